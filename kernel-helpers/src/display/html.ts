/**
 * 2-D arrays as HTML tables and heatmaps (text/html for notebooks, aligned text as text/plain).
 * Every string that comes from the caller is HTML-escaped.
 */
import { colorizer, Colormap, contrastText, emptyRange, extendRange, flatValues } from "./color";
import { displayBundle } from "./bundle";
import { alignedText, escapeMarkup, figureCaption, formatNumber, KEEP_WORDS } from "./util";

/** `element` under its caption in a <figure>, or `element` alone when there is no caption. */
function withCaption(element: string, caption?: string): string {
  if (caption === undefined) return element;
  return `<figure class="ck-figure" style="margin:0;${KEEP_WORDS}">${figureCaption(caption)}${element}</figure>`;
}

export interface TableOptions {
  /** Column headers (a <thead> row). */
  header?: string[];
  caption?: string;
  /** Decimals for numbers; default: integers as they are, other numbers with up to 4 decimals. */
  digits?: number;
}

export interface HeatmapOptions {
  caption?: string;
  /** Decimals of the values written in the cells (default as in tableHtml). */
  digits?: number;
  /** Write the values in the cells (default true); otherwise only colours (value in a tooltip). */
  showValues?: boolean;
  /** Default: "diverging" if the matrix has a negative value, else "gray" (low black, high white). */
  colormap?: Colormap;
  /** Labels of the rows (a first header column) and of the columns (a header row). */
  rowLabels?: string[];
  colLabels?: string[];
}

function cellText(v: string | number, digits?: number): string {
  return typeof v === "number" ? formatNumber(v, digits) : String(v);
}

/**
 * A number written as text, possibly with a short unit: "1012.2", "61,706", "97.85%", "1.0배",
 * "3.3%p", "4.7e-7". Notebooks often format their numbers before showing them.
 */
const NUMBER_TEXT = /^[-+−]?(\d[\d,]*(\.\d+)?|\.\d+)(e[-+]?\d+)?[^\d\s]{0,2}$/i;

/**
 * Whether each column holds numbers only (numbers, or numbers written as text; empty cells do not
 * count): such columns are right-aligned, all others left-aligned, header included.
 */
function numericColumns(rows: (string | number)[][], width: number): boolean[] {
  return Array.from({ length: width }, (_, j) => {
    const cells = rows.map((r) => r[j]).filter((v) => v !== undefined && v !== "");
    return cells.length > 0 && cells.every((v) => typeof v === "number" || NUMBER_TEXT.test(v.trim()));
  });
}

/** The inline alignment of a column (front ends such as Jupyter Notebook right-align every cell). */
function alignment(numeric: boolean): string {
  return `text-align:${numeric ? "right" : "left"}`;
}

/**
 * An HTML <table>: `rows[i][j]` is a cell, numbers formatted with `digits`. Columns of numbers
 * are right-aligned, the others left-aligned. Short rows are padded with empty cells to the widest
 * row (or to the header). Korean text wraps only between words. With a caption, the table sits
 * in a <figure> under a <figcaption>, which may be wider than the table (a <caption> would wrap
 * to the table's width).
 */
export function tableHtml(rows: (string | number)[][], options: TableOptions = {}): string {
  const width = Math.max(options.header?.length ?? 0, ...rows.map((r) => r.length), 0);
  const numeric = numericColumns(rows, width);
  const head = options.header
    ? `<thead><tr>${Array.from({ length: width }, (_, j) => `<th style="${alignment(numeric[j])}">${escapeMarkup(options.header?.[j] ?? "")}</th>`).join("")}</tr></thead>`
    : "";
  const body = rows
    .map((r) => {
      const cells = Array.from({ length: width }, (_, j) => {
        const v = r[j];
        if (v === undefined) return "<td></td>";
        return `<td style="${alignment(numeric[j])}">${escapeMarkup(cellText(v, options.digits))}</td>`;
      });
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("");
  return withCaption(`<table class="ck-table" style="margin:0;${KEEP_WORDS}">${head}<tbody>${body}</tbody></table>`, options.caption);
}

/** The same table as aligned plain text (columns aligned as in tableHtml). */
export function tableText(rows: (string | number)[][], options: TableOptions = {}): string {
  const text = rows.map((r) => r.map((v) => cellText(v, options.digits)));
  const lines: string[][] = options.header ? [options.header.map(String), ...text] : text;
  const numeric = numericColumns(rows, Math.max(0, ...lines.map((l) => l.length)));
  const body = alignedText(lines, (_, j) => numeric[j]);
  return options.caption !== undefined ? `${options.caption}\n${body}` : body;
}

function heatmapColormap(matrix: number[][], colormap?: Colormap): Colormap {
  if (colormap) return colormap;
  return matrix.some((r) => r.some((v) => v < 0)) ? "diverging" : "gray";
}

/**
 * An HTML heatmap: a <table> whose cells are coloured by value (one range for the whole
 * matrix; see the colour maps in color.ts), with readable text colour on each cell.
 */
export function heatmapHtml(matrix: number[][], options: HeatmapOptions = {}): string {
  const cmap = heatmapColormap(matrix, options.colormap);
  const color = colorizer(cmap, extendRange(emptyRange(), flatValues(matrix)));
  const showValues = options.showValues ?? true;
  const width = Math.max(options.colLabels?.length ?? 0, ...matrix.map((r) => r.length), 0);
  const rowHead = options.rowLabels !== undefined;
  const head = options.colLabels
    ? `<thead><tr>${rowHead ? "<th></th>" : ""}${Array.from({ length: width }, (_, j) => `<th>${escapeMarkup(options.colLabels?.[j] ?? "")}</th>`).join("")}</tr></thead>`
    : "";
  const size = showValues ? "min-width:2.5em;padding:2px 6px" : "width:1.2em;height:1.2em;padding:0";
  const body = matrix
    .map((r, i) => {
      const label = rowHead ? `<th>${escapeMarkup(options.rowLabels?.[i] ?? "")}</th>` : "";
      const cells = Array.from({ length: width }, (_, j) => {
        const v = r[j];
        if (v === undefined) return "<td></td>";
        const bg = color(v);
        const text = formatNumber(v, options.digits);
        return `<td style="background-color:rgb(${bg[0]},${bg[1]},${bg[2]});color:${contrastText(bg)};text-align:right;${size}" title="[${i}][${j}] = ${escapeMarkup(formatNumber(v))}">${showValues ? escapeMarkup(text) : ""}</td>`;
      });
      return `<tr>${label}${cells.join("")}</tr>`;
    })
    .join("");
  return withCaption(
    `<table class="ck-heatmap" style="border-collapse:collapse;margin:0;${KEEP_WORDS}">${head}<tbody>${body}</tbody></table>`,
    options.caption,
  );
}

function heatmapText(matrix: number[][], options: HeatmapOptions): string {
  const rows: (string | number)[][] = matrix.map((r, i) => (options.rowLabels ? [options.rowLabels[i] ?? "", ...r] : r));
  const header = options.colLabels ? [...(options.rowLabels ? [""] : []), ...options.colLabels] : undefined;
  return tableText(rows, { header, caption: options.caption, digits: options.digits });
}

/** Displays a table (text/html + text/plain). */
export function showTable(rows: (string | number)[][], options: TableOptions = {}): void {
  displayBundle({ "text/html": tableHtml(rows, options), "text/plain": tableText(rows, options) });
}

/** Displays a heatmap (text/html + text/plain with the values). */
export function showHeatmap(matrix: number[][], options: HeatmapOptions = {}): void {
  displayBundle({ "text/html": heatmapHtml(matrix, options), "text/plain": heatmapText(matrix, options) });
}
