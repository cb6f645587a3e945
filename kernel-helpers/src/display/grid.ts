/**
 * Feature maps and filters as image grids in a notebook.
 *
 * The tensor helpers accept the exercise arrays (`Tensor4`, `Filter4`) or any tfjs tensor: a
 * tensor is recognised by its `shape` and `arraySync()` (duck typing), so this module never
 * imports tfjs.
 */
import type { Filter4, Tensor4 } from "../tensor";
import { displayBundle } from "./bundle";
import { encodePng, gridLayout, imageGridPng, imageGridRgba, ImageGridOptions, imageSizes, imageTilesRgba } from "./png";
import { escapeMarkup, figureCaption, KEEP_WORDS, toBase64 } from "./util";

/** What the helpers need from a tfjs tensor (tf.Tensor4D / tf.Tensor3D satisfy it). */
export interface TensorLike {
  readonly shape: readonly number[];
  arraySync(): unknown;
}

export interface ShowImageGridOptions extends ImageGridOptions {
  /** Shown above the grid. */
  title?: string;
  /**
   * One caption per image, shown under it (missing entries are left blank; [] = no captions).
   * A "\n" in a label starts a new line, e.g. `정답 8\n예측 1`.
   */
  labels?: string[];
}

function isTensorLike(x: unknown): x is TensorLike {
  return (
    typeof x === "object" && x !== null && !Array.isArray(x) && Array.isArray((x as TensorLike).shape) && typeof (x as TensorLike).arraySync === "function"
  );
}

function checkIndex(name: string, i: number, n: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${name} ${i} out of range [0, ${n})`);
}

/** hwc[h][w][c] -> maps[c][h][w] */
function channelsFirst(hwc: number[][][]): number[][][] {
  const h = hwc.length;
  const w = h > 0 ? hwc[0].length : 0;
  const c = w > 0 ? hwc[0][0].length : 0;
  const maps: number[][][] = [];
  for (let k = 0; k < c; k++) {
    const m: number[][] = [];
    for (let i = 0; i < h; i++) {
      const row = new Array<number>(w);
      for (let j = 0; j < w; j++) row[j] = hwc[i][j][k];
      m.push(row);
    }
    maps.push(m);
  }
  return maps;
}

/**
 * The channels of one sample of an NHWC batch as 2-D images: `featureMaps(x, n)[c][i][j] = x[n][i][j][c]`.
 * Also accepts a tfjs tensor of rank 4 (NHWC) or rank 3 (one HWC sample; `sample` must be 0).
 */
export function featureMaps(x: Tensor4 | TensorLike, sample = 0): number[][][] {
  if (isTensorLike(x)) {
    const rank = x.shape.length;
    if (rank === 3) {
      checkIndex("sample", sample, 1);
      return channelsFirst(x.arraySync() as number[][][]);
    }
    if (rank !== 4) throw new RangeError(`featureMaps: expected a rank-4 NHWC (or rank-3 HWC) tensor, got shape [${x.shape.join(", ")}]`);
    checkIndex("sample", sample, x.shape[0]);
    return channelsFirst((x.arraySync() as Tensor4)[sample]);
  }
  checkIndex("sample", sample, x.length);
  return channelsFirst(x[sample]);
}

/**
 * The kernels that read input channel `inChannel`, one 2-D image per output channel:
 * `filterImages(w, ci)[co][i][j] = w[i][j][ci][co]`. Also accepts a tfjs rank-4 tensor
 * [kh, kw, cin, cout], e.g. `convLayer.getWeights()[0]`.
 */
export function filterImages(w: Filter4 | TensorLike, inChannel = 0): number[][][] {
  let arr: Filter4;
  if (isTensorLike(w)) {
    if (w.shape.length !== 4) throw new RangeError(`filterImages: expected a rank-4 [kh, kw, cin, cout] tensor, got shape [${w.shape.join(", ")}]`);
    arr = w.arraySync() as Filter4;
  } else {
    arr = w;
  }
  const kh = arr.length;
  const kw = kh > 0 ? arr[0].length : 0;
  const cin = kw > 0 ? arr[0][0].length : 0;
  checkIndex("inChannel", inChannel, cin);
  const cout = arr[0][0][inChannel].length;
  const out: number[][][] = [];
  for (let o = 0; o < cout; o++) {
    out.push(arr.map((row) => row.map((cell) => cell[inChannel][o])));
  }
  return out;
}

/** Label lines may be wider than a tiny image, up to this many pixels, before they wrap. */
const LABEL_MIN_WIDTH = 64;

/**
 * The HTML figure of a grid. Without labels it embeds the grid PNG itself; with labels it is a
 * table of one PNG per image (same scale and colours as the grid): per grid row, a row of images
 * (top-aligned) and under it a row of their labels, so labels line up even when the images
 * differ in size. Labels wrap between words only, within the grid's cell width (the largest
 * image, at least LABEL_MIN_WIDTH px), and cells keep a gap so that neighbouring labels never
 * run together.
 */
export function imageGridHtml(images: number[][][], options: ShowImageGridOptions = {}): string {
  const title = options.title !== undefined ? figureCaption(options.title) : "";
  const alt = escapeMarkup(options.title ?? "image grid");
  const figure = (body: string) => `<figure class="ck-image-grid" style="margin:0;${KEEP_WORDS}">${title}${body}</figure>`;
  if (!options.labels || options.labels.length === 0) {
    const grid = imageGridRgba(images, options);
    const src = `data:image/png;base64,${toBase64(encodePng(grid))}`;
    return figure(`<img src="${src}" width="${grid.width}" height="${grid.height}" alt="${alt}" style="image-rendering:pixelated;margin:0" />`);
  }
  const tiles = imageTilesRgba(images, options);
  const { cols, cellWidth } = gridLayout(imageSizes(images), options);
  const labelWidth = Math.max(cellWidth, LABEL_MIN_WIDTH);
  // Notebook front ends stripe and highlight table rows; a grid is not a data table.
  const row = (cells: string[]) => `<tr style="background:none">${cells.join("")}</tr>`;
  const rows: string[] = [];
  for (let i = 0; i < tiles.length; i += cols) {
    const group = tiles.slice(i, i + cols);
    rows.push(
      row(
        group.map((t, k) => {
          const label = escapeMarkup(options.labels?.[i + k] ?? "");
          return (
            `<td style="text-align:center;vertical-align:top;padding:2px 4px 0">` +
            `<img src="data:image/png;base64,${toBase64(encodePng(t))}" width="${t.width}" height="${t.height}" alt="${label || alt}" style="image-rendering:pixelated;margin:0 auto" /></td>`
          );
        }),
      ),
    );
    rows.push(
      row(
        group.map((_, k) => {
          const label = escapeMarkup(options.labels?.[i + k] ?? "");
          return (
            `<td style="text-align:center;vertical-align:top;padding:1px 4px 4px">` +
            `<div style="font-size:11px;line-height:1.25;margin:0 auto;max-width:${labelWidth}px;white-space:pre-line;${KEEP_WORDS}">${label}</div></td>`
          );
        }),
      ),
    );
  }
  return figure(`<table style="border-collapse:collapse;margin:0">${rows.join("")}</table>`);
}

function gridSummary(images: number[][][], options: ShowImageGridOptions): string {
  const sizes = imageSizes(images);
  const same = sizes.every((s) => s[0] === sizes[0][0] && s[1] === sizes[0][1]);
  const dims = same ? `${sizes[0][0]}x${sizes[0][1]}` : "of different sizes";
  const head = options.title !== undefined ? `${options.title}: ` : "";
  const oneLine = (label: string) => label.replace(/\s*\n\s*/g, " / ");
  const labels =
    options.labels && options.labels.length > 0
      ? `; labels: ${options.labels.slice(0, 8).map(oneLine).join(", ")}${options.labels.length > 8 ? ", ..." : ""}`
      : "";
  return `${head}image grid of ${images.length} images ${dims} (${options.colormap ?? "gray"}, normalize=${options.normalize ?? "each"})${labels}`;
}

/**
 * Displays images as a grid: text/html (figure with title and labels), image/png (the plain
 * grid) and text/plain (a one-line summary). An empty list displays a short text note.
 */
export function showImageGrid(images: number[][][], options: ShowImageGridOptions = {}): void {
  if (images.length === 0) {
    displayBundle({ "text/plain": `${options.title !== undefined ? options.title + ": " : ""}(no images)` });
    return;
  }
  displayBundle({
    "text/html": imageGridHtml(images, options),
    "image/png": imageGridPng(images, options),
    "text/plain": gridSummary(images, options),
  });
}

/**
 * Displays the channels of one sample (labels "channel 0", "channel 1", ... unless given;
 * `labels: []` shows the plain grid without labels).
 */
export function showFeatureMaps(x: Tensor4 | TensorLike, options: ShowImageGridOptions & { sample?: number } = {}): void {
  const maps = featureMaps(x, options.sample ?? 0);
  showImageGrid(maps, { ...options, labels: options.labels ?? maps.map((_, c) => `channel ${c}`) });
}

/**
 * Displays the kernels of input channel `inChannel`, one per output channel, with the diverging
 * colour map and one shared range by default (so kernels can be compared).
 */
export function showFilters(w: Filter4 | TensorLike, options: ShowImageGridOptions & { inChannel?: number } = {}): void {
  const imgs = filterImages(w, options.inChannel ?? 0);
  showImageGrid(imgs, {
    ...options,
    colormap: options.colormap ?? "diverging",
    normalize: options.normalize ?? "all",
    labels: options.labels ?? imgs.map((_, o) => `filter ${o}`),
  });
}
