/**
 * Small string helpers shared by the display modules (not re-exported from the package index).
 */
import stringWidth from "string-width";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML/SVG element content and double- or single-quoted attribute values. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/**
 * CSS that lets text wrap only between words. Browsers otherwise break Korean between any two
 * syllables (CSS `word-break: normal`), which splits words in narrow captions and table cells.
 */
export const KEEP_WORDS = "word-break:keep-all;overflow-wrap:break-word";

/** The caption of a figure (image grid, table, heatmap): bold, above it, whole words per line. */
export function figureCaption(text: string): string {
  return `<figcaption style="font-weight:bold;margin-bottom:4px;${KEEP_WORDS}">${escapeMarkup(text)}</figcaption>`;
}

/**
 * Formats a number for a table cell or a summary.
 * - `digits` given: fixed-point with that many decimals.
 * - otherwise integers print as they are, other values with at most 4 decimals
 *   (exponential notation for very small or very large magnitudes).
 * NaN prints as "NaN", infinities as "∞" / "-∞".
 */
export function formatNumber(v: number, digits?: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "-∞";
  if (digits !== undefined) return v.toFixed(Math.max(0, Math.min(20, Math.floor(digits))));
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e6) return v.toExponential(3);
  return String(Number(v.toFixed(4)));
}

/** Base64 of raw bytes (Jupyter carries binary mime data such as image/png as base64 text). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Left- or right-pads each column so a 2-D array of strings prints as an aligned text table. Widths
 * are what a terminal shows (string-width): a Korean syllable takes two columns.
 */
export function alignedText(rows: string[][], rightAlign: (row: number, col: number) => boolean): string {
  const ncol = rows.reduce((m, r) => Math.max(m, r.length), 0);
  const widths = new Array<number>(ncol).fill(0);
  for (const r of rows) r.forEach((cell, j) => (widths[j] = Math.max(widths[j], stringWidth(cell))));
  return rows
    .map((r, i) =>
      widths
        .map((w, j) => {
          const cell = r[j] ?? "";
          const pad = " ".repeat(w - stringWidth(cell));
          return rightAlign(i, j) ? pad + cell : cell + pad;
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
