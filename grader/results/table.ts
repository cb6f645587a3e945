/**
 * Plain-text tables for the terminal (summary after grading, check results). Columns are as wide
 * as a terminal shows their text: a Korean syllable takes two columns (string-width).
 */
import stringWidth from "string-width";

export type Align = "left" | "right";

export function textTable(header: string[], rows: (string | number)[][], align: Align[] = []): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => stringWidth(r[c] ?? ""))));
  const line = (r: string[]) =>
    r
      .map((v, c) => {
        const pad = " ".repeat(widths[c] - stringWidth(v));
        return align[c] === "right" ? pad + v : v + pad;
      })
      .join("  ")
      .trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n") + "\n";
}
