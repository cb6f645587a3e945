/**
 * Small rearrangements of nested tensors that the misconception catalogue builds its buggy
 * variants from: transposes, crops, channel slices, zero extension, and the orders of im2col's
 * rows and columns. Plain data in, fresh plain data out.
 */
import type { Tensor4 } from "@course-kit/kernel-helpers/tensor";

export type Dims4 = [number, number, number, number];

export function dims4(t: Tensor4): Dims4 {
  return [t.length, t[0].length, t[0][0].length, t[0][0][0].length];
}

/** m[i][j] → out[j][i] (the inner values are shared, not copied). */
function transpose<T>(m: T[][]): T[][] {
  return m[0].map((_, j) => m.map((row) => row[j]));
}

/** x[n][h][w][c] → out[n][w][h][c]. */
export function swapHW(t: Tensor4): Tensor4 {
  return t.map((img) => transpose(img));
}

/** w[kh][kw][c][co] → out[kw][kh][c][co]: the filter read with kh and kw exchanged. */
export function swapKernelHW(w: Tensor4): Tensor4 {
  return transpose(w);
}

/** w rotated by 180°: w[KH-1-kh][KW-1-kw] (true convolution's flip). */
export function rot180(w: Tensor4): Tensor4 {
  return w
    .slice()
    .reverse()
    .map((row) => row.slice().reverse());
}

/** The top-left oh x ow corner of every image. */
export function crop(t: Tensor4, oh: number, ow: number): Tensor4 {
  return t.map((img) => img.slice(0, oh).map((row) => row.slice(0, ow)));
}

/** Only input channel 0 of x[n][h][w][c]. */
export function firstChannel(x: Tensor4): Tensor4 {
  return x.map((img) => img.map((row) => row.map((px) => [px[0]])));
}

/** Only input channel 0 of w[kh][kw][c][co]. */
export function firstInputChannel(w: Tensor4): Tensor4 {
  return w.map((row) => row.map((taps) => [taps[0]]));
}

/** `extra` rows and columns of zeros added at the bottom and on the right. */
export function extendBottomRight(x: Tensor4, extra: number): Tensor4 {
  const C = x[0][0][0].length;
  const zeros = () => new Array<number>(C).fill(0);
  return x.map((img) => {
    const W = img[0].length + extra;
    const rows = img.map((row) => [...row.map((px) => px.slice()), ...Array.from({ length: extra }, zeros)]);
    return [...rows, ...Array.from({ length: extra }, () => Array.from({ length: W }, zeros))];
  });
}

/** Every order of three named axes except `natural` itself. */
export function otherOrders<T extends string>(natural: readonly [T, T, T]): [T, T, T][] {
  const [a, b, c] = natural;
  return [
    [a, c, b],
    [b, a, c],
    [b, c, a],
    [c, a, b],
    [c, b, a],
  ];
}

/**
 * Entries of a row-major index space (axis sizes in `natural` order) enumerated with the axes in
 * `order` instead: element i is the natural flat index of the i-th entry in that order.
 */
export function reordered<T extends string>(sizes: Record<T, number>, natural: readonly T[], order: readonly T[]): number[] {
  const stride = {} as Record<T, number>;
  let s = 1;
  for (let i = natural.length - 1; i >= 0; i--) {
    stride[natural[i]] = s;
    s *= sizes[natural[i]];
  }
  const out: number[] = [];
  const walk = (depth: number, base: number): void => {
    if (depth === order.length) return void out.push(base);
    const axis = order[depth];
    for (let i = 0; i < sizes[axis]; i++) walk(depth + 1, base + i * stride[axis]);
  };
  walk(0, 0);
  return out;
}

/** Rows of a matrix in the order `indices` gives. */
export function pickRows<T>(rows: T[], indices: number[]): T[] {
  return indices.map((i) => rows[i]);
}

/** The inverse of pickRows: row i goes to position indices[i]. */
export function placeRows<T>(rows: T[], indices: number[]): T[] {
  const out = new Array<T>(rows.length);
  indices.forEach((to, i) => (out[to] = rows[i]));
  return out;
}

/** Columns of every row in the order `indices` gives. */
export function pickColumns(rows: number[][], indices: number[]): number[][] {
  return rows.map((row) => indices.map((i) => row[i]));
}

/** NHWC tensor → rows (n, oh, ow) of its last axis. */
export function toRows(t: Tensor4): number[][] {
  return t.flatMap((img) => img.flatMap((row) => row.map((px) => px.slice())));
}

/** Rows (n, oh, ow) → NHWC tensor of shape [N, OH, OW, rows[0].length]. */
export function fromRows(rows: number[][], N: number, OH: number, OW: number): Tensor4 {
  return Array.from({ length: N }, (_, n) =>
    Array.from({ length: OH }, (_, oh) => Array.from({ length: OW }, (_, ow) => rows[(n * OH + oh) * OW + ow].slice())),
  );
}

/** The filter w[kh][kw][c][co] as a (KH*KW*C) x COUT matrix, rows in (kh, kw, c) order. */
export function filterMatrix(w: Tensor4): number[][] {
  return w.flatMap((row) => row.flatMap((taps) => taps.map((co) => co.slice())));
}

/** a (m x k) · b (k x n). */
export function matmul(a: number[][], b: number[][]): number[][] {
  const n = b[0].length;
  return a.map((row) => {
    const out = new Array<number>(n).fill(0);
    row.forEach((v, k) => {
      for (let j = 0; j < n; j++) out[j] += v * b[k][j];
    });
    return out;
  });
}
