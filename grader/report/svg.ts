/**
 * The class report's charts as inline SVG (no script, no library, nothing fetched): a column
 * chart of the score histogram and a bar chart of each exercise's mean with its spread. Every
 * mark carries a <title>, which browsers show on hover. Labels are escaped: exercise names come
 * from the assignment, not from learners, but nothing is trusted to be markup.
 */
import { escapeHtml } from "../results/feedback";

function fmt(n: number): string {
  return Number(n.toFixed(1)).toString();
}

export interface Column {
  label: string;
  value: number;
  title: string;
}

/** Vertical bars with a count axis (whole numbers), `xTitle` under the labels. */
export function columnChartSvg(columns: Column[], title: string, xTitle: string): string {
  const W = 640;
  const H = 240;
  const M = { left: 40, right: 10, top: 14, bottom: 46 };
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const max = Math.max(1, ...columns.map((c) => c.value));
  const step = plotW / Math.max(1, columns.length);
  const y = (v: number) => M.top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  const ticks = niceTicks(max);
  for (const t of ticks) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(t))}" y2="${fmt(y(t))}"/>`);
    parts.push(`<text class="label" x="${M.left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  columns.forEach((c, i) => {
    const x = M.left + i * step;
    if (c.value > 0) {
      parts.push(
        `<rect class="mark" x="${fmt(x + 2)}" y="${fmt(y(c.value))}" width="${fmt(step - 4)}" height="${fmt(M.top + plotH - y(c.value))}"><title>${escapeHtml(c.title)}</title></rect>`,
      );
      parts.push(`<text class="value" x="${fmt(x + step / 2)}" y="${fmt(y(c.value) - 3)}" text-anchor="middle">${c.value}</text>`);
    }
    parts.push(`<text class="label" x="${fmt(x + step / 2)}" y="${M.top + plotH + 14}" text-anchor="middle">${escapeHtml(c.label)}</text>`);
  });
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>`);
  parts.push(`<text class="label" x="${M.left + plotW / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(xTitle)}</text>`);
  return svg("chart histogram", W, H, title, parts);
}

export interface RangeBar {
  label: string;
  /** Share of the maximum, 0 to 1. */
  value: number;
  /** The spread shown as a whisker, as shares of the maximum. */
  low: number;
  high: number;
  title: string;
}

/** Horizontal bars from 0 to 100 %, each with a whisker for its spread. */
export function rangeBarChartSvg(bars: RangeBar[], title: string, xTitle: string): string {
  const W = 640;
  const row = 24;
  const M = { left: 150, right: 20, top: 8, bottom: 40 };
  const plotW = W - M.left - M.right;
  const H = M.top + bars.length * row + M.bottom;
  const x = (share: number) => M.left + Math.min(1, Math.max(0, share)) * plotW;
  const parts: string[] = [];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${M.top}" y2="${M.top + bars.length * row}"/>`);
    parts.push(`<text class="label" x="${fmt(x(t))}" y="${M.top + bars.length * row + 14}" text-anchor="middle">${t * 100}%</text>`);
  }
  bars.forEach((b, i) => {
    const top = M.top + i * row;
    const mid = top + row / 2;
    parts.push(`<text class="label" x="${M.left - 6}" y="${fmt(mid + 4)}" text-anchor="end">${escapeHtml(b.label)}</text>`);
    // A bar of at least a pixel, so that a mean of 0 still shows where it is.
    parts.push(
      `<rect class="mark" x="${M.left}" y="${fmt(top + 4)}" width="${fmt(Math.max(1, x(b.value) - M.left))}" height="${row - 8}"><title>${escapeHtml(b.title)}</title></rect>`,
    );
    parts.push(`<line class="whisker" x1="${fmt(x(b.low))}" x2="${fmt(x(b.high))}" y1="${fmt(mid)}" y2="${fmt(mid)}"/>`);
    for (const end of [b.low, b.high]) parts.push(`<line class="whisker" x1="${fmt(x(end))}" x2="${fmt(x(end))}" y1="${fmt(mid - 5)}" y2="${fmt(mid + 5)}"/>`);
  });
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + bars.length * row}"/>`);
  parts.push(`<text class="label" x="${M.left + plotW / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(xTitle)}</text>`);
  return svg("chart exercises", W, H, title, parts);
}

/** Up to five whole-number ticks from 0 to at least `max`. */
function niceTicks(max: number): number[] {
  const step = Math.max(1, Math.ceil(max / 4));
  const ticks: number[] = [];
  for (let t = 0; t <= max; t += step) ticks.push(t);
  return ticks;
}

function svg(cls: string, w: number, h: number, title: string, parts: string[]): string {
  return `<svg class="${cls}" role="img" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title>${parts.join("")}</svg>`;
}
