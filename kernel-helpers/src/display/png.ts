/**
 * Image grids as PNG (pngjs is loaded lazily, on the first PNG written; no tfjs here).
 *
 * Layout: every image gets a cell of (maxH * scale) x (maxW * scale) output pixels, where maxH and
 * maxW are the largest height and width among the images (images may have different sizes; a
 * smaller image is centred in its cell, offsets rounded down). Cells are laid out row-major,
 * `cols` per row, with `gap` output pixels between neighbouring cells (none around the outside).
 * The PNG is RGBA: image pixels are opaque, gaps and unused cell area are fully transparent, so
 * the notebook background shows through and cannot be mistaken for a pixel value.
 */
import type { PNG as PngClass } from "pngjs";
import { colorizer, Colormap, emptyRange, extendRange, flatValues, Rgb, ValueRange } from "./color";

export interface ImageGridOptions {
  /**
   * Cells per row, never more than the number of images. Default: all images in one row when the
   * row is at most ONE_ROW_MAX_WIDTH pixels wide (images compared side by side stay side by
   * side), else ceil(sqrt(n)).
   */
  cols?: number;
  /**
   * Output pixels per input pixel (nearest-neighbour upscaling), a positive integer.
   * Default: floor(64 / max(maxH, maxW)), at least 1, so small kernels stay visible.
   */
  scale?: number;
  /** Transparent output pixels between cells. Default 2. */
  gap?: number;
  /** "each" (default): every image uses its own value range; "all": one range for all images. */
  normalize?: "each" | "all";
  /** "gray" (default) or "diverging" (blue-white-red around 0, for filters and gradients). */
  colormap?: Colormap;
}

/** An RGBA bitmap (4 bytes per pixel, row-major). */
export interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface GridLayout {
  n: number;
  cols: number;
  rows: number;
  scale: number;
  gap: number;
  cellWidth: number;
  cellHeight: number;
  width: number;
  height: number;
}

function checkInt(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

/** Checks that each image is a non-empty rectangular 2-D array; returns [h, w] per image. */
export function imageSizes(images: readonly (readonly (readonly number[])[])[]): [number, number][] {
  if (!Array.isArray(images) || images.length === 0) throw new RangeError("imageGrid: no images");
  return images.map((img, i) => {
    if (!Array.isArray(img) || img.length === 0 || !Array.isArray(img[0]) || img[0].length === 0) {
      throw new RangeError(`imageGrid: image ${i} must be a non-empty 2-D array (h x w)`);
    }
    const w = img[0].length;
    img.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== w) {
        throw new RangeError(`imageGrid: image ${i} is ragged (row ${r} has ${Array.isArray(row) ? row.length : "no"} values, row 0 has ${w})`);
      }
    });
    return [img.length, w];
  });
}

/**
 * The widest default single row, in output pixels: it fits a notebook's output area next to the
 * prompt on a laptop screen (about 980 px in Jupyter Notebook 6 in a 1280 px window), with room
 * for the labelled figure's cell padding.
 */
export const ONE_ROW_MAX_WIDTH = 800;

export function gridLayout(sizes: readonly [number, number][], options: ImageGridOptions = {}): GridLayout {
  const n = sizes.length;
  const maxH = Math.max(...sizes.map((s) => s[0]));
  const maxW = Math.max(...sizes.map((s) => s[1]));
  const scale = checkInt("scale", options.scale ?? Math.max(1, Math.floor(64 / Math.max(maxH, maxW))), 1);
  const gap = checkInt("gap", options.gap ?? 2, 0);
  const cellWidth = maxW * scale;
  const cellHeight = maxH * scale;
  const oneRow = n * cellWidth + (n - 1) * gap <= ONE_ROW_MAX_WIDTH;
  const cols = Math.min(n, checkInt("cols", options.cols ?? (oneRow ? n : Math.ceil(Math.sqrt(n))), 1));
  const rows = Math.ceil(n / cols);
  return {
    n,
    cols,
    rows,
    scale,
    gap,
    cellWidth,
    cellHeight,
    width: cols * cellWidth + (cols - 1) * gap,
    height: rows * cellHeight + (rows - 1) * gap,
  };
}

/** One value -> colour function per image, following `normalize` and `colormap`. */
export function imageColorizers(images: readonly (readonly (readonly number[])[])[], options: ImageGridOptions = {}): ((v: number) => Rgb)[] {
  const cmap = options.colormap ?? "gray";
  const mode = options.normalize ?? "each";
  if (mode === "all") {
    const range: ValueRange = emptyRange();
    for (const img of images) extendRange(range, flatValues(img));
    const f = colorizer(cmap, range);
    return images.map(() => f);
  }
  if (mode !== "each") throw new RangeError(`normalize must be "each" or "all", got "${String(mode)}"`);
  return images.map((img) => colorizer(cmap, extendRange(emptyRange(), flatValues(img))));
}

/** Paints `img` upscaled by `scale` into `dst` with its top-left corner at (x0, y0). */
function paint(dst: Rgba, img: readonly (readonly number[])[], color: (v: number) => Rgb, scale: number, x0: number, y0: number): void {
  for (let i = 0; i < img.length; i++) {
    for (let j = 0; j < img[i].length; j++) {
      const c = color(img[i][j]);
      for (let dy = 0; dy < scale; dy++) {
        let p = ((y0 + i * scale + dy) * dst.width + x0 + j * scale) * 4;
        for (let dx = 0; dx < scale; dx++, p += 4) {
          dst.data[p] = c[0];
          dst.data[p + 1] = c[1];
          dst.data[p + 2] = c[2];
          dst.data[p + 3] = 255;
        }
      }
    }
  }
}

/** Renders the grid as an RGBA bitmap (see the module comment for the layout). */
export function imageGridRgba(images: number[][][], options: ImageGridOptions = {}): Rgba & { layout: GridLayout } {
  const sizes = imageSizes(images);
  const layout = gridLayout(sizes, options);
  const colors = imageColorizers(images, options);
  const out: Rgba = { width: layout.width, height: layout.height, data: new Uint8Array(layout.width * layout.height * 4) };
  images.forEach((img, k) => {
    const [h, w] = sizes[k];
    const x0 = (k % layout.cols) * (layout.cellWidth + layout.gap) + Math.floor((layout.cellWidth - w * layout.scale) / 2);
    const y0 = Math.floor(k / layout.cols) * (layout.cellHeight + layout.gap) + Math.floor((layout.cellHeight - h * layout.scale) / 2);
    paint(out, img, colors[k], layout.scale, x0, y0);
  });
  return { ...out, layout };
}

/**
 * Renders each image on its own (upscaled by the grid's scale, coloured exactly as in the grid,
 * so "all" normalisation still shares one range). Used for labelled HTML figures.
 */
export function imageTilesRgba(images: number[][][], options: ImageGridOptions = {}): Rgba[] {
  const sizes = imageSizes(images);
  const { scale } = gridLayout(sizes, options);
  const colors = imageColorizers(images, options);
  return images.map((img, k) => {
    const [h, w] = sizes[k];
    const tile: Rgba = { width: w * scale, height: h * scale, data: new Uint8Array(w * h * scale * scale * 4) };
    paint(tile, img, colors[k], scale, 0, 0);
    return tile;
  });
}

/** Encodes an RGBA bitmap as PNG bytes. */
export function encodePng(bitmap: Rgba): Uint8Array {
  // Lazy so that importing the package index does not load pngjs (e.g. in the grading sandbox).
  const { PNG } = require("pngjs") as { PNG: typeof PngClass };
  const png = new PNG({ width: bitmap.width, height: bitmap.height, colorType: 6 });
  Buffer.from(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.byteLength).copy(png.data);
  const buf = PNG.sync.write(png, { colorType: 6, inputColorType: 6, inputHasAlpha: true });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * A grid of 2-D images (feature maps, filters, digits) as PNG bytes. `images[i]` is h x w
 * (`images[i][row][col]`); images may differ in size. See `ImageGridOptions` for the defaults.
 * Throws a RangeError for an empty list, an empty or ragged image, or invalid options.
 */
export function imageGridPng(images: number[][][], options: ImageGridOptions = {}): Uint8Array {
  return encodePng(imageGridRgba(images, options));
}
