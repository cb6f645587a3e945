/**
 * An exercise's pair similarities as an inline SVG histogram: twenty bins from 0 to 1 on a log
 * count axis (a class of 300 has 44,850 pairs and a handful of copies, which a linear axis would
 * flatten to nothing), the median and the flag threshold as lines, flagged pairs in red and as
 * ticks under the axis.
 */
import { escapeHtml } from "../results/feedback";

export interface HistogramInput {
  similarities: ArrayLike<number>;
  median: number;
  threshold?: number;
  flagged: number[];
  title: string;
}

const BINS = 20;
const W = 560;
const H = 180;
const M = { left: 44, right: 12, top: 12, bottom: 42 };

function fmt(n: number): string {
  return Number(n.toFixed(1)).toString();
}

export function histogramSvg(input: HistogramInput): string {
  const bin = (s: number) => Math.min(BINS - 1, Math.floor(s * BINS));
  const counts = new Array<number>(BINS).fill(0);
  const flaggedCounts = new Array<number>(BINS).fill(0);
  for (let i = 0; i < input.similarities.length; i++) counts[bin(input.similarities[i])]++;
  for (const s of input.flagged) flaggedCounts[bin(s)]++;
  const max = Math.max(1, ...counts);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (s: number) => M.left + s * plotW;
  const y = (count: number) => M.top + plotH - (Math.log10(1 + count) / Math.log10(1 + max)) * plotH;
  const parts: string[] = [];
  counts.forEach((count, i) => {
    if (count === 0) return;
    const from = i / BINS;
    const note = flaggedCounts[i] ? `, ${flaggedCounts[i]} flagged` : "";
    parts.push(
      `<rect class="${flaggedCounts[i] ? "bar flagged" : "bar"}" x="${fmt(x(from) + 1)}" y="${fmt(y(count))}" width="${fmt(plotW / BINS - 2)}" height="${fmt(M.top + plotH - y(count))}">` +
        `<title>${from.toFixed(2)}–${(from + 1 / BINS).toFixed(2)}: ${count} pair${count === 1 ? "" : "s"}${note}</title></rect>`,
    );
  });
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="axis" x1="${fmt(x(tick))}" x2="${fmt(x(tick))}" y1="${M.top + plotH}" y2="${M.top + plotH + 4}"/>`);
    parts.push(`<text class="label" x="${fmt(x(tick))}" y="${M.top + plotH + 16}" text-anchor="middle">${tick}</text>`);
  }
  const ticks = [1, 10, 100, 1000, 10000, 100000].filter((c) => c < max);
  for (const count of [...ticks, max]) {
    parts.push(`<text class="label" x="${M.left - 6}" y="${fmt(y(count) + 4)}" text-anchor="end">${count}</text>`);
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${fmt(y(count))}" y2="${fmt(y(count))}"/>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>`);
  parts.push(
    `<line class="median" x1="${fmt(x(input.median))}" x2="${fmt(x(input.median))}" y1="${M.top}" y2="${M.top + plotH}"><title>median ${input.median.toFixed(3)}</title></line>`,
  );
  if (input.threshold !== undefined) {
    parts.push(
      `<line class="threshold" x1="${fmt(x(input.threshold))}" x2="${fmt(x(input.threshold))}" y1="${M.top}" y2="${M.top + plotH}"><title>flagged from ${input.threshold.toFixed(3)}</title></line>`,
    );
  }
  for (const f of input.flagged) parts.push(`<line class="rug" x1="${fmt(x(f))}" x2="${fmt(x(f))}" y1="${M.top + plotH + 20}" y2="${M.top + plotH + 27}"/>`);
  parts.push(`<text class="label" x="${M.left + plotW / 2}" y="${H - 4}" text-anchor="middle">pair similarity (count axis is logarithmic)</text>`);
  return `<svg class="histogram" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(input.title)}</title>${parts.join("")}</svg>`;
}
