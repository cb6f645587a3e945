/**
 * Training curves (one value per epoch per metric) as a Vega-Lite v5 spec, a self-made SVG line
 * chart and a text summary, displayed together so each Jupyter client picks what it can render.
 *
 * History keys follow Keras/tfjs: "loss", "acc", ... for training and "val_loss", "val_acc", ...
 * for validation. Each base metric (the key without "val_") gets its own panel; in it, training
 * series are solid and validation series dashed. With several runs, colour tells the runs apart;
 * with one run, colour tells training from validation. Epochs are numbered from 1. Non-finite
 * values (NaN from a diverged run, Infinity) are left out of the charts, and the text summary
 * says when the last value is not finite.
 */
import { displayBundle } from "./bundle";
import { escapeMarkup, formatNumber } from "./util";

/** Metric name -> one value per epoch, e.g. `model.fit(...)`'s `history.history`. */
export type TrainingHistory = Record<string, number[]>;

export interface TrainingCurvesOptions {
  title?: string;
  /** Metrics to draw, as base names ("loss" draws loss and val_loss) or exact keys ("val_acc"). */
  metrics?: string[];
  /** Title of the x axis (default "epoch"). */
  xLabel?: string;
}

type Split = "train" | "val";

interface Series {
  run: string;
  key: string;
  metric: string;
  split: Split;
  /** Identifies the series: "key" (one run) or "run: key". */
  label: string;
  /** Legend text of its line style: "train"/"val" (one run) or "run (train)". */
  styleLabel: string;
  /** Index into PALETTE. */
  color: number;
  values: number[];
}

interface Panel {
  metric: string;
  series: Series[];
}

interface Prepared {
  runs: string[];
  multiRun: boolean;
  panels: Panel[];
  missing: string[];
}

/** Tableau 10. */
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const VAL_DASH = "6 4";

function isHistory(x: unknown): boolean {
  return typeof x === "object" && x !== null && Object.values(x).every((v) => Array.isArray(v) || ArrayBuffer.isView(v));
}

/** Numbers stay; a scalar tensor (tfjs logs may hold them) is read with dataSync(); else NaN. */
function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "object" && v !== null && typeof (v as { dataSync?: unknown }).dataSync === "function") {
    return Number((v as { dataSync(): ArrayLike<number> }).dataSync()[0]);
  }
  return NaN;
}

function splitKey(key: string): { metric: string; split: Split } {
  return key.startsWith("val_") && key.length > 4 ? { metric: key.slice(4), split: "val" } : { metric: key, split: "train" };
}

function prepare(histories: Record<string, TrainingHistory> | TrainingHistory, options: TrainingCurvesOptions): Prepared {
  const entries = Object.entries(histories as Record<string, unknown>);
  const runsMap: [string, TrainingHistory][] =
    entries.length > 0 && isHistory(histories) ? [["", histories as TrainingHistory]] : (entries as [string, TrainingHistory][]);
  const runs = runsMap.map(([r]) => r);
  const multiRun = runs.length > 1 || (runs.length === 1 && runs[0] !== "");
  const all: Series[] = [];
  runsMap.forEach(([run, history], runIndex) => {
    if (!isHistory(history)) throw new TypeError(`showTrainingCurves: run "${run}" is not a history (metric name -> values per epoch)`);
    for (const [key, raw] of Object.entries(history)) {
      const { metric, split } = splitKey(key);
      all.push({
        run,
        key,
        metric,
        split,
        label: multiRun ? `${run}: ${key}` : key,
        styleLabel: multiRun ? `${run} (${split})` : split,
        color: (multiRun ? runIndex : split === "train" ? 0 : 1) % PALETTE.length,
        values: Array.from(raw as ArrayLike<unknown>, toNumber),
      });
    }
  });
  const panels: Panel[] = [];
  const panelOf = (metric: string): Panel => {
    let p = panels.find((q) => q.metric === metric);
    if (!p) panels.push((p = { metric, series: [] }));
    return p;
  };
  const missing: string[] = [];
  if (options.metrics) {
    for (const m of options.metrics) {
      const hits = all.filter((s) => s.key === m || s.metric === m);
      if (hits.length === 0) missing.push(m);
      for (const s of hits) if (!panels.some((p) => p.series.includes(s))) panelOf(s.metric).series.push(s);
    }
  } else {
    for (const s of all) panelOf(s.metric).series.push(s);
  }
  for (const p of panels) {
    p.series.sort((a, b) => runs.indexOf(a.run) - runs.indexOf(b.run) || (a.split === b.split ? 0 : a.split === "train" ? -1 : 1));
  }
  return { runs, multiRun, panels, missing };
}

/** One row per finite value: the long-format data of the Vega-Lite spec. */
export interface CurvePoint {
  run: string;
  metric: string;
  key: string;
  split: Split;
  series: string;
  epoch: number;
  value: number;
}

/**
 * A Vega-Lite v5 spec (mime "application/vnd.vegalite.v5+json"), faceted by metric (independent
 * y scales); each facet layers a line mark (stroke dash = split) and a point mark (dots with
 * tooltips). x = epoch (integer ticks), y = value, colour = run (several runs) or split (one run).
 */
export function trainingCurvesSpec(histories: Record<string, TrainingHistory> | TrainingHistory, options: TrainingCurvesOptions = {}): Record<string, unknown> {
  const prep = prepare(histories, options);
  const values: CurvePoint[] = [];
  let maxEpochs = 0;
  for (const p of prep.panels) {
    for (const s of p.series) {
      maxEpochs = Math.max(maxEpochs, s.values.length);
      s.values.forEach((v, i) => {
        if (Number.isFinite(v)) values.push({ run: s.run, metric: s.metric, key: s.key, split: s.split, series: s.label, epoch: i + 1, value: v });
      });
    }
  }
  // Integer epoch ticks, the same as the SVG's.
  const xs = epochScale(maxEpochs);
  const colorField = prep.multiRun ? "run" : "split";
  const splits = (["train", "val"] as const).filter((sp) => prep.panels.some((p) => p.series.some((s) => s.split === sp)));
  const dashes = splits.map((sp) => (sp === "train" ? [1, 0] : VAL_DASH.split(" ").map(Number)));
  const colorDomain = prep.multiRun ? prep.runs : splits;
  const colorRange = prep.multiRun ? prep.runs.map((_, i) => PALETTE[i % PALETTE.length]) : splits.map((sp) => PALETTE[sp === "train" ? 0 : 1]);
  const spec: Record<string, unknown> = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    data: { values },
    facet: { field: "metric", type: "nominal", sort: prep.panels.map((p) => p.metric), header: { title: null, labelFontSize: 12 } },
    columns: Math.max(1, Math.min(3, prep.panels.length)),
    spec: {
      width: 260,
      height: 180,
      // Shared by both layers: position and colour.
      encoding: {
        x: {
          field: "epoch",
          type: "quantitative",
          title: options.xLabel ?? "epoch",
          scale: { domain: [xs.lo, xs.hi], nice: false },
          axis: { values: xs.ticks, format: "d" },
        },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        color: {
          field: colorField,
          type: "nominal",
          title: colorField,
          scale: { domain: colorDomain, range: colorRange },
          legend: { symbolType: "stroke", symbolStrokeWidth: 2 },
        },
      },
      layer: [
        {
          mark: { type: "line", strokeWidth: 1.8 },
          encoding: {
            strokeDash: {
              field: "split",
              type: "nominal",
              title: "split",
              scale: { domain: splits, range: dashes },
              legend: { symbolType: "stroke", symbolStrokeWidth: 2 },
            },
            detail: { field: "series", type: "nominal" },
          },
        },
        {
          // Dots mark the epochs (and make a single-epoch series visible); tooltips show the values.
          mark: { type: "point", filled: true, size: maxEpochs <= 30 ? 30 : 8 },
          encoding: {
            tooltip: [
              { field: "series", type: "nominal" },
              { field: "epoch", type: "quantitative" },
              { field: "value", type: "quantitative", format: ".4~g" },
            ],
          },
        },
      ],
    },
    resolve: { scale: { y: "independent" } },
  };
  if (options.title !== undefined) spec.title = options.title;
  return spec;
}

interface NiceScale {
  lo: number;
  hi: number;
  ticks: number[];
  decimals: number;
}

function niceStep(raw: number): number {
  const exp = Math.floor(Math.log10(raw));
  const f = raw / 10 ** exp;
  const nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * 10 ** exp;
}

function niceScale(min: number, max: number, target = 5): NiceScale {
  if (!(max > min)) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / target);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let k = Math.round(lo / step); k <= Math.round(hi / step); k++) ticks.push(k * step);
  return { lo, hi, ticks, decimals: Math.max(0, -Math.floor(Math.log10(step))) };
}

/** Epoch axis: integer ticks only; a single epoch gets a half-epoch margin on each side. */
function epochScale(epochs: number): NiceScale {
  const lo = 1;
  const hi = Math.max(1, epochs);
  if (hi === lo) return { lo: 0.5, hi: 1.5, ticks: [1], decimals: 0 };
  const step = Math.max(1, Math.round(niceStep((hi - lo) / 6)));
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  if (ticks[0] !== 1 && (ticks.length === 0 || ticks[0] - 1 >= step / 2)) ticks.unshift(1);
  return { lo, hi, ticks, decimals: 0 };
}

const PANEL_W = 320;
const PANEL_H = 220;
const MARGIN = { left: 58, right: 14, top: 26, bottom: 40 };
const r2 = (v: number): string => String(Math.round(v * 100) / 100);

/** The plot rectangle of the panel in grid position k (exported for tests of the scaling). */
export function trainingCurvesPlotArea(k: number, panels: number, hasTitle: boolean): { x: number; y: number; width: number; height: number } {
  const cols = Math.max(1, Math.min(3, panels));
  const top = hasTitle ? 30 : 0;
  return {
    x: (k % cols) * PANEL_W + MARGIN.left,
    y: top + Math.floor(k / cols) * PANEL_H + MARGIN.top,
    width: PANEL_W - MARGIN.left - MARGIN.right,
    height: PANEL_H - MARGIN.top - MARGIN.bottom,
  };
}

/**
 * A self-contained SVG line chart (no scripts, no external resources): one panel per metric with
 * axes, gridlines, tick labels and the metric as panel title, one <polyline> per series that has
 * a finite value (a series with a single value also gets a dot), and a legend of the line styles under the panels.
 */
export function trainingCurvesSvg(histories: Record<string, TrainingHistory> | TrainingHistory, options: TrainingCurvesOptions = {}): string {
  const prep = prepare(histories, options);
  const hasTitle = options.title !== undefined;
  const titleSvg = hasTitle ? `<text x="8" y="20" font-size="14" font-weight="bold">${escapeMarkup(options.title ?? "")}</text>` : "";
  const svgOpen = (w: number, h: number): string =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">` +
    `<rect x="0" y="0" width="${w}" height="${h}" fill="#fff"/>`;
  if (prep.panels.length === 0) {
    const h = (hasTitle ? 30 : 0) + 40;
    return `${svgOpen(PANEL_W, h)}${titleSvg}<text x="8" y="${h - 14}" fill="#666">no training data</text></svg>`;
  }
  const cols = Math.min(3, prep.panels.length);
  const rows = Math.ceil(prep.panels.length / cols);
  const width = cols * PANEL_W;
  const parts: string[] = [];
  prep.panels.forEach((panel, k) => {
    const area = trainingCurvesPlotArea(k, prep.panels.length, hasTitle);
    const finite = panel.series.flatMap((s) => s.values.filter(Number.isFinite));
    const ys = finite.length > 0 ? niceScale(Math.min(...finite), Math.max(...finite)) : niceScale(0, 1);
    const xs = epochScale(Math.max(0, ...panel.series.map((s) => s.values.length)));
    const px = (e: number): number => area.x + ((e - xs.lo) / (xs.hi - xs.lo)) * area.width;
    const py = (v: number): number => area.y + area.height - ((v - ys.lo) / (ys.hi - ys.lo)) * area.height;
    const g: string[] = [`<g class="panel" data-metric="${escapeMarkup(panel.metric)}">`];
    g.push(
      `<text class="panel-title" x="${r2(area.x + area.width / 2)}" y="${r2(area.y - 9)}" text-anchor="middle" font-size="12" font-weight="bold">${escapeMarkup(panel.metric)}</text>`,
    );
    for (const t of ys.ticks) {
      const y = r2(py(t));
      g.push(`<line x1="${area.x}" y1="${y}" x2="${area.x + area.width}" y2="${y}" stroke="#e6e6e6"/>`);
      g.push(`<line class="tick" x1="${area.x - 4}" y1="${y}" x2="${area.x}" y2="${y}" stroke="#333"/>`);
      g.push(`<text class="y-tick" x="${area.x - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t.toFixed(ys.decimals)}</text>`);
    }
    const axisY = area.y + area.height;
    for (const t of xs.ticks) {
      const x = r2(px(t));
      g.push(`<line class="tick" x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#333"/>`);
      g.push(`<text class="x-tick" x="${x}" y="${axisY + 15}" text-anchor="middle">${t}</text>`);
    }
    g.push(`<rect class="plot-area" x="${area.x}" y="${area.y}" width="${area.width}" height="${area.height}" fill="none" stroke="#333"/>`);
    g.push(`<text class="x-label" x="${r2(area.x + area.width / 2)}" y="${axisY + 31}" text-anchor="middle">${escapeMarkup(options.xLabel ?? "epoch")}</text>`);
    if (finite.length === 0) {
      g.push(`<text x="${r2(area.x + area.width / 2)}" y="${r2(area.y + area.height / 2)}" text-anchor="middle" fill="#666">no data</text>`);
    }
    for (const s of panel.series) {
      const pts = s.values.flatMap((v, i) => (Number.isFinite(v) ? [[px(i + 1), py(v)]] : []));
      if (pts.length === 0) continue;
      const stroke = PALETTE[s.color];
      const dash = s.split === "val" ? ` stroke-dasharray="${VAL_DASH}"` : "";
      g.push(
        `<polyline class="series" data-series="${escapeMarkup(s.label)}" fill="none" stroke="${stroke}" stroke-width="1.8"${dash} points="${pts.map(([x, y]) => `${r2(x)},${r2(y)}`).join(" ")}"/>`,
      );
      if (pts.length === 1) g.push(`<circle cx="${r2(pts[0][0])}" cy="${r2(pts[0][1])}" r="3" fill="${stroke}"/>`);
    }
    g.push("</g>");
    parts.push(g.join(""));
  });
  // Legend: one entry per line style (colour + dash), flowing left to right under the panels;
  // the panel titles name the metrics.
  const seen = new Map<string, Series>();
  for (const p of prep.panels) {
    for (const s of p.series) if (!seen.has(s.styleLabel) && s.values.some(Number.isFinite)) seen.set(s.styleLabel, s);
  }
  const legendOrder = [...seen.values()].sort(
    (a, b) => prep.runs.indexOf(a.run) - prep.runs.indexOf(b.run) || (a.split === b.split ? 0 : a.split === "train" ? -1 : 1),
  );
  let lx = 10;
  let ly = (hasTitle ? 30 : 0) + rows * PANEL_H + 12;
  const legend: string[] = ['<g class="legend">'];
  for (const s of legendOrder) {
    const w = 36 + 7 * [...s.styleLabel].length;
    if (lx + w > width && lx > 10) {
      lx = 10;
      ly += 18;
    }
    const dash = s.split === "val" ? ` stroke-dasharray="${VAL_DASH}"` : "";
    legend.push(
      `<g class="legend-entry"><line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${PALETTE[s.color]}" stroke-width="2"${dash}/>` +
        `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeMarkup(s.styleLabel)}</text></g>`,
    );
    lx += w + 12;
  }
  legend.push("</g>");
  const height = ly + 14;
  return `${svgOpen(width, height)}${titleSvg}${parts.join("")}${legend.join("")}</svg>`;
}

/** A short text summary: per run, the number of epochs and the last value of each key. */
export function trainingCurvesText(histories: Record<string, TrainingHistory> | TrainingHistory, options: TrainingCurvesOptions = {}): string {
  const prep = prepare(histories, options);
  const lines = [options.title !== undefined ? `Training curves: ${options.title}` : "Training curves"];
  const series = prep.panels.flatMap((p) => p.series);
  if (series.length === 0) lines.push("no training data");
  for (const run of prep.runs) {
    const mine = series.filter((s) => s.run === run);
    if (mine.length === 0) continue;
    const epochs = Math.max(...mine.map((s) => s.values.length));
    const items = mine.map((s) => {
      if (s.values.length === 0) return `${s.key} no data`;
      const last = s.values[s.values.length - 1];
      if (Number.isFinite(last)) return `${s.key} ${formatNumber(last)}`;
      let i = s.values.length - 1;
      while (i >= 0 && !Number.isFinite(s.values[i])) i--;
      return i >= 0
        ? `${s.key} ${formatNumber(last)} (last finite ${formatNumber(s.values[i])} at epoch ${i + 1})`
        : `${s.key} ${formatNumber(last)} (no finite value)`;
    });
    lines.push(`${run !== "" ? `${run}: ` : ""}${epochs} epoch${epochs === 1 ? "" : "s"}; last ${items.join(", ")}`);
  }
  if (prep.missing.length > 0) lines.push(`not found: ${prep.missing.join(", ")}`);
  return lines.join("\n");
}

/**
 * Displays training curves as one bundle: application/vnd.vegalite.v5+json (JupyterLab),
 * image/svg+xml (clients without Vega-Lite) and text/plain (a summary of the last values).
 * `histories` is one history or several named runs, e.g. `{ transfer: h1, scratch: h2 }`.
 */
export function showTrainingCurves(histories: Record<string, TrainingHistory> | TrainingHistory, options: TrainingCurvesOptions = {}): void {
  displayBundle({
    "application/vnd.vegalite.v5+json": trainingCurvesSpec(histories, options),
    "image/svg+xml": trainingCurvesSvg(histories, options),
    "text/plain": trainingCurvesText(histories, options),
  });
}
