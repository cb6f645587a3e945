/**
 * Flat-array reference kernels: the fast instructor versions of the week's exercises.
 *
 * Layouts (row-major):
 *   - inputs / outputs: NHWC, `shape = [N, H, W, C]`
 *   - filters: `[KH, KW, Cin, Cout]`, which read as a matrix is (KH*KW*Cin) x Cout
 *   - im2col matrices: one row per output position, rows ordered (n, oh, ow), columns ordered
 *     (kh, kw, c), so that `im2col(x) · W` is the convolution output in NHWC order.
 *
 * Inputs may be Float32Array or Float64Array (or any ArrayLike<number>); all results are
 * Float64Array and all arithmetic is double precision.
 *
 * Everything here is dependency-free: no tfjs.
 */
import type { Shape4 } from "../tensor";

export type FloatArray = Float32Array | Float64Array;
/** Read-only numeric input: a typed array, or a plain number[]. */
export type NumericArray = ArrayLike<number>;

/** A flat NHWC tensor (or [KH, KW, Cin, Cout] filter). */
export interface FlatTensor4 {
  data: Float64Array;
  shape: Shape4;
}

export interface ConvBackwardFlat {
  /** Same shape as the input x. */
  dx: Float64Array;
  /** Same shape as the filter w, [KH, KW, Cin, Cout]. */
  dw: Float64Array;
  /** Length Cout. */
  db: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Geometry
// ---------------------------------------------------------------------------------------------

/**
 * floor((n + 2p - k) / s) + 1. Throws a RangeError on non-integer arguments, n < 1, k < 1, s < 1,
 * p < 0, or when the result would be below 1 (the window does not fit).
 */
export function convOutputSize(inputSize: number, filterSize: number, stride: number, pad: number): number {
  const check = (v: number, label: string, min: number) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new RangeError(`convOutputSize: ${label} must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  check(inputSize, "inputSize", 1);
  check(filterSize, "filterSize", 1);
  check(stride, "stride", 1);
  check(pad, "pad", 0);
  const out = Math.floor((inputSize + 2 * pad - filterSize) / stride) + 1;
  if (out < 1) {
    throw new RangeError(`convOutputSize: a filter of size ${filterSize} does not fit an input of size ${inputSize} with pad ${pad} ` + `(output size ${out})`);
  }
  return out;
}

function checkFlat(data: NumericArray, shape: readonly number[], what: string): void {
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`${what}: shape must be 4 positive integers, got ${JSON.stringify(shape)}`);
  }
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (data.length !== size) {
    throw new RangeError(`${what}: data has ${data.length} values but shape [${shape.join(", ")}] needs ${size}`);
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM
// ---------------------------------------------------------------------------------------------

/** Row-major transpose of a rows x cols matrix into a new Float64Array (cols x rows). */
export function transposeFlat(a: NumericArray, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  // Tiles of 32x32 keep both the reads and the writes within a few cache lines.
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T);
      for (let i = i0; i < i1; i++) {
        const ai = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = a[ai + j];
      }
    }
  }
  return out;
}

export interface GemmOptions {
  /** `a` is stored k x m and used transposed. */
  transA?: boolean;
  /** `b` is stored n x k and used transposed. */
  transB?: boolean;
  /** Add to the existing contents of `c` instead of overwriting them. */
  accumulate?: boolean;
}

/** Depth of a k-block: a 4-row strip of A plus a 256-deep panel of B^T stay in L2. */
const GEMM_KB = 256;

/**
 * C = op(A) · op(B) (or C += ... with `accumulate`), all row-major: op(A) is m x k, op(B) is
 * k x n, C is m x n.
 *
 * Implementation: B is packed transposed (n x k) so that both operands are read contiguously along
 * k, the k dimension is blocked, and a 4x4 register tile of C is computed at a time (16
 * accumulators, 8 loads per 16 multiply-adds). Leftover rows and columns use plain dot products.
 */
export function gemm(a: NumericArray, b: NumericArray, c: FloatArray | number[], m: number, k: number, n: number, opts: GemmOptions = {}): void {
  if (a.length < m * k) throw new RangeError(`gemm: A has ${a.length} values, needs ${m * k}`);
  if (b.length < k * n) throw new RangeError(`gemm: B has ${b.length} values, needs ${k * n}`);
  if (c.length < m * n) throw new RangeError(`gemm: C has ${c.length} values, needs ${m * n}`);
  // A as m x k, B^T as n x k, both contiguous along k.
  const A: NumericArray = opts.transA ? transposeFlat(a, k, m) : a;
  const Bt: NumericArray = opts.transB ? b : transposeFlat(b, k, n);
  if (!opts.accumulate) for (let i = 0; i < m * n; i++) c[i] = 0;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let p0 = 0; p0 < k; p0 += GEMM_KB) {
    const p1 = Math.min(k, p0 + GEMM_KB);
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * k;
      const a1 = a0 + k;
      const a2 = a1 + k;
      const a3 = a2 + k;
      for (let j = 0; j < n4; j += 4) {
        const b0 = j * k;
        const b1 = b0 + k;
        const b2 = b1 + k;
        const b3 = b2 + k;
        const c0 = i * n + j;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        let s00 = c[c0],
          s01 = c[c0 + 1],
          s02 = c[c0 + 2],
          s03 = c[c0 + 3];
        let s10 = c[c1],
          s11 = c[c1 + 1],
          s12 = c[c1 + 2],
          s13 = c[c1 + 3];
        let s20 = c[c2],
          s21 = c[c2 + 1],
          s22 = c[c2 + 2],
          s23 = c[c2 + 3];
        let s30 = c[c3],
          s31 = c[c3 + 1],
          s32 = c[c3 + 2],
          s33 = c[c3 + 3];
        for (let p = p0; p < p1; p++) {
          const x0 = A[a0 + p],
            x1 = A[a1 + p],
            x2 = A[a2 + p],
            x3 = A[a3 + p];
          const y0 = Bt[b0 + p],
            y1 = Bt[b1 + p],
            y2 = Bt[b2 + p],
            y3 = Bt[b3 + p];
          s00 += x0 * y0;
          s01 += x0 * y1;
          s02 += x0 * y2;
          s03 += x0 * y3;
          s10 += x1 * y0;
          s11 += x1 * y1;
          s12 += x1 * y2;
          s13 += x1 * y3;
          s20 += x2 * y0;
          s21 += x2 * y1;
          s22 += x2 * y2;
          s23 += x2 * y3;
          s30 += x3 * y0;
          s31 += x3 * y1;
          s32 += x3 * y2;
          s33 += x3 * y3;
        }
        c[c0] = s00;
        c[c0 + 1] = s01;
        c[c0 + 2] = s02;
        c[c0 + 3] = s03;
        c[c1] = s10;
        c[c1 + 1] = s11;
        c[c1 + 2] = s12;
        c[c1 + 3] = s13;
        c[c2] = s20;
        c[c2 + 1] = s21;
        c[c2 + 2] = s22;
        c[c2 + 3] = s23;
        c[c3] = s30;
        c[c3 + 1] = s31;
        c[c3 + 2] = s32;
        c[c3 + 3] = s33;
      }
    }
    // Edges: the last n % 4 columns of the first m4 rows, then every column of the last m % 4 rows.
    for (let i = 0; i < m; i++) {
      const ai = i * k;
      for (let j = i < m4 ? n4 : 0; j < n; j++) {
        const bj = j * k;
        let s = c[i * n + j];
        for (let p = p0; p < p1; p++) s += A[ai + p] * Bt[bj + p];
        c[i * n + j] = s;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im
// ---------------------------------------------------------------------------------------------

/**
 * im2col of one image: x[xOff ...] is H x W x C; writes OH*OW rows of KH*KW*C columns into
 * `out` starting at `outOff`. Out-of-range (padding) positions are zero.
 */
function im2colImage(
  x: NumericArray,
  xOff: number,
  H: number,
  W: number,
  C: number,
  KH: number,
  KW: number,
  stride: number,
  pad: number,
  OH: number,
  OW: number,
  out: Float64Array,
  outOff: number,
): void {
  const rowLen = KH * KW * C;
  let r = outOff;
  for (let oh = 0; oh < OH; oh++) {
    const h0 = oh * stride - pad;
    for (let ow = 0; ow < OW; ow++) {
      const w0 = ow * stride - pad;
      let q = r;
      for (let kh = 0; kh < KH; kh++) {
        const h = h0 + kh;
        if (h < 0 || h >= H) {
          out.fill(0, q, q + KW * C);
          q += KW * C;
          continue;
        }
        const rowBase = xOff + h * W * C;
        for (let kw = 0; kw < KW; kw++) {
          const w = w0 + kw;
          if (w < 0 || w >= W) {
            out.fill(0, q, q + C);
          } else {
            const src = rowBase + w * C;
            for (let c = 0; c < C; c++) out[q + c] = x[src + c];
          }
          q += C;
        }
      }
      r += rowLen;
    }
  }
}

/** Adjoint of im2colImage: adds each row of `cols` back into the (unpadded) image. */
function col2imImage(
  cols: NumericArray,
  colsOff: number,
  H: number,
  W: number,
  C: number,
  KH: number,
  KW: number,
  stride: number,
  pad: number,
  OH: number,
  OW: number,
  dx: Float64Array,
  dxOff: number,
): void {
  const rowLen = KH * KW * C;
  let r = colsOff;
  for (let oh = 0; oh < OH; oh++) {
    const h0 = oh * stride - pad;
    for (let ow = 0; ow < OW; ow++) {
      const w0 = ow * stride - pad;
      let q = r;
      for (let kh = 0; kh < KH; kh++) {
        const h = h0 + kh;
        if (h < 0 || h >= H) {
          q += KW * C;
          continue;
        }
        const rowBase = dxOff + h * W * C;
        for (let kw = 0; kw < KW; kw++) {
          const w = w0 + kw;
          if (w >= 0 && w < W) {
            const dst = rowBase + w * C;
            for (let c = 0; c < C; c++) dx[dst + c] += cols[q + c];
          }
          q += C;
        }
      }
      r += rowLen;
    }
  }
}

/**
 * im2col of an NHWC batch. Returns a (N*OH*OW) x (KH*KW*C) row-major matrix; rows ordered
 * (n, oh, ow), columns ordered (kh, kw, c); zero padding of `pad` on every side.
 */
export function im2colFlat(
  x: NumericArray,
  xShape: Shape4,
  filterH: number,
  filterW: number,
  stride: number,
  pad: number,
): { data: Float64Array; rows: number; cols: number; outH: number; outW: number } {
  checkFlat(x, xShape, "im2colFlat x");
  const [N, H, W, C] = xShape;
  const OH = convOutputSize(H, filterH, stride, pad);
  const OW = convOutputSize(W, filterW, stride, pad);
  const rowLen = filterH * filterW * C;
  const data = new Float64Array(N * OH * OW * rowLen);
  for (let n = 0; n < N; n++) {
    im2colImage(x, n * H * W * C, H, W, C, filterH, filterW, stride, pad, OH, OW, data, n * OH * OW * rowLen);
  }
  return { data, rows: N * OH * OW, cols: rowLen, outH: OH, outW: OW };
}

/**
 * col2im: the adjoint (transpose) of im2colFlat. Each entry of `cols` is added back to the input
 * position it was copied from (entries that came from padding are dropped), so overlapping
 * windows accumulate. Returns an NHWC array of shape `xShape`.
 */
export function col2imFlat(cols: NumericArray, xShape: Shape4, filterH: number, filterW: number, stride: number, pad: number): Float64Array {
  const [N, H, W, C] = xShape;
  const OH = convOutputSize(H, filterH, stride, pad);
  const OW = convOutputSize(W, filterW, stride, pad);
  const rowLen = filterH * filterW * C;
  if (cols.length !== N * OH * OW * rowLen) {
    throw new RangeError(`col2imFlat: cols has ${cols.length} values, expected ${N * OH * OW} x ${rowLen}`);
  }
  const dx = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++) {
    col2imImage(cols, n * OH * OW * rowLen, H, W, C, filterH, filterW, stride, pad, OH, OW, dx, n * H * W * C);
  }
  return dx;
}

// ---------------------------------------------------------------------------------------------
// Convolution
// ---------------------------------------------------------------------------------------------

function convGeometry(xShape: Shape4, wShape: Shape4, stride: number, pad: number, what: string) {
  const [N, H, W, C] = xShape;
  const [KH, KW, Cin, Cout] = wShape;
  if (Cin !== C) throw new RangeError(`${what}: the filter has ${Cin} input channels but x has ${C}`);
  const OH = convOutputSize(H, KH, stride, pad);
  const OW = convOutputSize(W, KW, stride, pad);
  return { N, H, W, C, KH, KW, Cout, OH, OW, K: KH * KW * C, P: OH * OW };
}

/**
 * Convolution (cross-correlation, like tf.conv2d) with symmetric zero padding, via im2col + GEMM,
 * one image at a time (so the im2col buffer stays one image large).
 * x: NHWC [N, H, W, C]; w: [KH, KW, C, Cout]; b: length Cout (or null for no bias).
 */
export function conv2dForwardFlat(
  x: NumericArray,
  xShape: Shape4,
  w: NumericArray,
  wShape: Shape4,
  b: NumericArray | null,
  stride: number,
  pad: number,
): FlatTensor4 {
  checkFlat(x, xShape, "conv2dForwardFlat x");
  checkFlat(w, wShape, "conv2dForwardFlat w");
  const g = convGeometry(xShape, wShape, stride, pad, "conv2dForwardFlat");
  if (b && b.length !== g.Cout) throw new RangeError(`conv2dForwardFlat: b has ${b.length} values but there are ${g.Cout} filters`);
  const out = new Float64Array(g.N * g.P * g.Cout);
  const cols = new Float64Array(g.P * g.K);
  const Wt = transposeFlat(w, g.K, g.Cout); // packed once for all images
  for (let n = 0; n < g.N; n++) {
    im2colImage(x, n * g.H * g.W * g.C, g.H, g.W, g.C, g.KH, g.KW, stride, pad, g.OH, g.OW, cols, 0);
    const o = out.subarray(n * g.P * g.Cout, (n + 1) * g.P * g.Cout);
    gemm(cols, Wt, o, g.P, g.K, g.Cout, { transB: true });
    if (b) {
      for (let r = 0; r < g.P; r++) {
        const base = r * g.Cout;
        for (let co = 0; co < g.Cout; co++) o[base + co] += b[co];
      }
    }
  }
  return { data: out, shape: [g.N, g.OH, g.OW, g.Cout] };
}

/**
 * Gradients of a convolution given the upstream gradient `dout` (NHWC [N, OH, OW, Cout]):
 * db = sum of dout over (n, oh, ow); dw = im2col(x)^T · dout; dx = col2im(dout · w^T).
 */
export function conv2dBackwardFlat(
  dout: NumericArray,
  x: NumericArray,
  xShape: Shape4,
  w: NumericArray,
  wShape: Shape4,
  stride: number,
  pad: number,
): ConvBackwardFlat {
  checkFlat(x, xShape, "conv2dBackwardFlat x");
  checkFlat(w, wShape, "conv2dBackwardFlat w");
  const g = convGeometry(xShape, wShape, stride, pad, "conv2dBackwardFlat");
  if (dout.length !== g.N * g.P * g.Cout) {
    throw new RangeError(`conv2dBackwardFlat: dout has ${dout.length} values, expected [${g.N}, ${g.OH}, ${g.OW}, ${g.Cout}]`);
  }
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  const dw = new Float64Array(g.K * g.Cout);
  const db = new Float64Array(g.Cout);
  const cols = new Float64Array(g.P * g.K);
  const dcols = new Float64Array(g.P * g.K);
  const doutN = new Float64Array(g.P * g.Cout);
  for (let n = 0; n < g.N; n++) {
    for (let i = 0; i < doutN.length; i++) doutN[i] = dout[n * g.P * g.Cout + i];
    for (let r = 0; r < g.P; r++) {
      const base = r * g.Cout;
      for (let co = 0; co < g.Cout; co++) db[co] += doutN[base + co];
    }
    im2colImage(x, n * g.H * g.W * g.C, g.H, g.W, g.C, g.KH, g.KW, stride, pad, g.OH, g.OW, cols, 0);
    // dw (K x Cout) += cols^T (K x P) · dout_n (P x Cout)
    gemm(cols, doutN, dw, g.K, g.P, g.Cout, { transA: true, accumulate: true });
    // dcols (P x K) = dout_n (P x Cout) · w^T (Cout x K); w is stored K x Cout = "n x k" for transB.
    gemm(doutN, w, dcols, g.P, g.Cout, g.K, { transB: true });
    col2imImage(dcols, 0, g.H, g.W, g.C, g.KH, g.KW, stride, pad, g.OH, g.OW, dx, n * g.H * g.W * g.C);
  }
  return { dx, dw, db };
}

// ---------------------------------------------------------------------------------------------
// Pooling (no padding, floor output size, square windows)
// ---------------------------------------------------------------------------------------------

function poolGeometry(xShape: Shape4, poolSize: number, stride: number) {
  const [N, H, W, C] = xShape;
  return { N, H, W, C, OH: convOutputSize(H, poolSize, stride, 0), OW: convOutputSize(W, poolSize, stride, 0) };
}

/**
 * Max pooling. Also returns, for every output element, the flat index into x of the first
 * maximum in window scan order (kh, then kw); NaN inputs never win.
 */
export function maxPoolForwardFlat(x: NumericArray, xShape: Shape4, poolSize: number, stride: number): FlatTensor4 & { argmax: Int32Array } {
  checkFlat(x, xShape, "maxPoolForwardFlat x");
  const { N, H, W, C, OH, OW } = poolGeometry(xShape, poolSize, stride);
  const out = new Float64Array(N * OH * OW * C);
  const argmax = new Int32Array(out.length);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = ((n * H + oh * stride) * W + ow * stride) * C + c;
          for (let kh = 0; kh < poolSize; kh++) {
            const rowBase = (n * H + oh * stride + kh) * W;
            for (let kw = 0; kw < poolSize; kw++) {
              const idx = (rowBase + ow * stride + kw) * C + c;
              const v = x[idx];
              if (v > best) {
                best = v;
                at = idx;
              }
            }
          }
          out[o] = x[at];
          argmax[o++] = at;
        }
  return { data: out, shape: [N, OH, OW, C], argmax };
}

/** Routes each upstream gradient to its window's first maximum; overlapping windows accumulate. */
export function maxPoolBackwardFlat(dout: NumericArray, x: NumericArray, xShape: Shape4, poolSize: number, stride: number): Float64Array {
  const { argmax, data } = maxPoolForwardFlat(x, xShape, poolSize, stride);
  if (dout.length !== data.length) {
    throw new RangeError(`maxPoolBackwardFlat: dout has ${dout.length} values, expected ${data.length}`);
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < argmax.length; i++) dx[argmax[i]] += dout[i];
  return dx;
}

export function avgPoolForwardFlat(x: NumericArray, xShape: Shape4, poolSize: number, stride: number): FlatTensor4 {
  checkFlat(x, xShape, "avgPoolForwardFlat x");
  const { N, H, W, C, OH, OW } = poolGeometry(xShape, poolSize, stride);
  const out = new Float64Array(N * OH * OW * C);
  const inv = 1 / (poolSize * poolSize);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let kh = 0; kh < poolSize; kh++) {
            const rowBase = (n * H + oh * stride + kh) * W;
            for (let kw = 0; kw < poolSize; kw++) s += x[(rowBase + ow * stride + kw) * C + c];
          }
          out[o++] = s * inv;
        }
  return { data: out, shape: [N, OH, OW, C] };
}

/** Spreads each upstream gradient evenly over its window; overlapping windows accumulate. */
export function avgPoolBackwardFlat(dout: NumericArray, xShape: Shape4, poolSize: number, stride: number): Float64Array {
  const [N, H, W, C] = xShape;
  const { OH, OW } = poolGeometry(xShape, poolSize, stride);
  if (dout.length !== N * OH * OW * C) {
    throw new RangeError(`avgPoolBackwardFlat: dout has ${dout.length} values, expected [${N}, ${OH}, ${OW}, ${C}]`);
  }
  const dx = new Float64Array(N * H * W * C);
  const inv = 1 / (poolSize * poolSize);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          const g = dout[o++] * inv;
          for (let kh = 0; kh < poolSize; kh++) {
            const rowBase = (n * H + oh * stride + kh) * W;
            for (let kw = 0; kw < poolSize; kw++) dx[(rowBase + ow * stride + kw) * C + c] += g;
          }
        }
  return dx;
}
