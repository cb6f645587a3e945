/**
 * Nested-array wrappers around the flat kernels, with exactly the exercise signatures. Every
 * wrapper validates its arguments (shape4 for tensors, integers for sizes) and returns fresh plain
 * arrays, so the results can be compared with learner output or sent as JSON.
 */
import { Filter4, Shape4, Tensor4, flatten4, formatShape, shape4, unflatten4 } from "../tensor";
import {
  avgPoolBackwardFlat,
  avgPoolForwardFlat,
  col2imFlat,
  conv2dBackwardFlat,
  conv2dForwardFlat,
  convOutputSize,
  gemm,
  im2colFlat,
  maxPoolBackwardFlat,
  maxPoolForwardFlat,
} from "./flat";

function intArg(v: unknown, label: string, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${label} must be an integer >= ${min}, got ${typeof v === "number" ? v : typeof v}`);
  }
  return v;
}

function biasVector(b: unknown, cout: number): Float64Array {
  if (!Array.isArray(b) && !ArrayBuffer.isView(b)) throw new TypeError(`b must be an array of ${cout} numbers`);
  const arr = b as ArrayLike<unknown>;
  if (arr.length !== cout) throw new RangeError(`b has ${arr.length} values but w has ${cout} filters`);
  const out = new Float64Array(cout);
  for (let i = 0; i < cout; i++) {
    const v = arr[i];
    if (typeof v !== "number") throw new TypeError(`b[${i}] is not a number`);
    out[i] = v;
  }
  return out;
}

function convArgs(x: Tensor4, w: Filter4, stride: number, pad: number) {
  const fx = flatten4(x, "x");
  const fw = flatten4(w, "w");
  intArg(stride, "stride", 1);
  intArg(pad, "pad", 0);
  if (fw.shape[2] !== fx.shape[3]) {
    throw new RangeError(`w has ${fw.shape[2]} input channels (shape ${formatShape(fw.shape)}) but x has ${fx.shape[3]}`);
  }
  const outH = convOutputSize(fx.shape[1], fw.shape[0], stride, pad);
  const outW = convOutputSize(fx.shape[2], fw.shape[1], stride, pad);
  return { fx, fw, outH, outW };
}

function checkDout(dout: Tensor4, expected: Shape4): Float64Array {
  const f = flatten4(dout, "dout");
  if (f.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`dout has shape ${formatShape(f.shape)} but the forward output has shape ${formatShape(expected)}`);
  }
  return f.data;
}

/** Convolution output size floor((n+2p-k)/s)+1; RangeError on invalid arguments or a result < 1. */
export { convOutputSize };

/** Cross-correlation (like tf.conv2d) of an NHWC batch with symmetric zero padding. */
export function conv2dForward(x: Tensor4, w: Filter4, b: number[], stride: number, pad: number): Tensor4 {
  const { fx, fw } = convArgs(x, w, stride, pad);
  const bias = biasVector(b, fw.shape[3]);
  const out = conv2dForwardFlat(fx.data, fx.shape, fw.data, fw.shape, bias, stride, pad);
  return unflatten4(out.data, out.shape);
}

/**
 * The same convolution written out as im2col (whole batch) followed by one matrix product with
 * the filter read as a (KH*KW*Cin) x Cout matrix.
 */
export function conv2dIm2col(x: Tensor4, w: Filter4, b: number[], stride: number, pad: number): Tensor4 {
  const { fx, fw, outH, outW } = convArgs(x, w, stride, pad);
  const bias = biasVector(b, fw.shape[3]);
  const [KH, KW, , Cout] = fw.shape;
  const cols = im2colFlat(fx.data, fx.shape, KH, KW, stride, pad);
  const out = new Float64Array(cols.rows * Cout);
  gemm(cols.data, fw.data, out, cols.rows, cols.cols, Cout);
  for (let r = 0; r < cols.rows; r++) for (let co = 0; co < Cout; co++) out[r * Cout + co] += bias[co];
  return unflatten4(out, [fx.shape[0], outH, outW, Cout]);
}

/**
 * The plain nested-loop convolution (loops over n, oh, ow, cout, kh, kw, cin) on nested arrays,
 * written the way the exercise is usually first solved (full x[n][h][w][c] * w[kh][kw][c][co]
 * indexing, padding skipped by bounds checks), for benchmarks and comparisons. Same signature and
 * result as conv2dForward.
 */
export function conv2dNaive(x: Tensor4, w: Filter4, b: number[], stride: number, pad: number): Tensor4 {
  const [N, H, W, C] = shape4(x, "x");
  const [KH, KW, Cin, Cout] = shape4(w, "w");
  intArg(stride, "stride", 1);
  intArg(pad, "pad", 0);
  if (Cin !== C) throw new RangeError(`w has ${Cin} input channels but x has ${C}`);
  const bias = biasVector(b, Cout);
  const OH = convOutputSize(H, KH, stride, pad);
  const OW = convOutputSize(W, KW, stride, pad);
  const out: Tensor4 = [];
  for (let n = 0; n < N; n++) {
    const img: number[][][] = [];
    for (let oh = 0; oh < OH; oh++) {
      const row: number[][] = [];
      for (let ow = 0; ow < OW; ow++) {
        const pix: number[] = [];
        for (let co = 0; co < Cout; co++) {
          let s = bias[co];
          for (let kh = 0; kh < KH; kh++) {
            const h = oh * stride - pad + kh;
            if (h < 0 || h >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const ww = ow * stride - pad + kw;
              if (ww < 0 || ww >= W) continue;
              for (let c = 0; c < C; c++) s += x[n][h][ww][c] * w[kh][kw][c][co];
            }
          }
          pix.push(s);
        }
        row.push(pix);
      }
      img.push(row);
    }
    out.push(img);
  }
  return out;
}

/** Rows ordered (n, oh, ow); columns ordered (kh, kw, c); zero padding. */
export function im2col(x: Tensor4, filterH: number, filterW: number, stride: number, pad: number): number[][] {
  const fx = flatten4(x, "x");
  intArg(filterH, "filterH", 1);
  intArg(filterW, "filterW", 1);
  intArg(stride, "stride", 1);
  intArg(pad, "pad", 0);
  const r = im2colFlat(fx.data, fx.shape, filterH, filterW, stride, pad);
  const rows = new Array<number[]>(r.rows);
  for (let i = 0; i < r.rows; i++) rows[i] = Array.from(r.data.subarray(i * r.cols, (i + 1) * r.cols));
  return rows;
}

/**
 * The adjoint of im2col: adds every entry of `cols` back to the input position it was copied from
 * (padding entries are dropped; overlapping windows accumulate). `xShape` is the input's shape.
 */
export function col2im(cols: number[][], xShape: Shape4, filterH: number, filterW: number, stride: number, pad: number): Tensor4 {
  if (!Array.isArray(xShape) || xShape.length !== 4) throw new RangeError("xShape must be [N, H, W, C]");
  xShape.forEach((d, i) => intArg(d, `xShape[${i}]`, 1));
  intArg(filterH, "filterH", 1);
  intArg(filterW, "filterW", 1);
  intArg(stride, "stride", 1);
  intArg(pad, "pad", 0);
  const [N, H, W, C] = xShape;
  const rows = N * convOutputSize(H, filterH, stride, pad) * convOutputSize(W, filterW, stride, pad);
  const rowLen = filterH * filterW * C;
  if (!Array.isArray(cols) || cols.length !== rows) {
    throw new RangeError(`cols must have ${rows} rows, got ${Array.isArray(cols) ? cols.length : typeof cols}`);
  }
  const flat = new Float64Array(rows * rowLen);
  for (let i = 0; i < rows; i++) {
    const row = cols[i];
    if (!Array.isArray(row) || row.length !== rowLen) throw new RangeError(`cols[${i}] must have ${rowLen} entries`);
    for (let j = 0; j < rowLen; j++) flat[i * rowLen + j] = row[j];
  }
  return unflatten4(col2imFlat(flat, xShape, filterH, filterW, stride, pad), xShape);
}

export function conv2dBackward(dout: Tensor4, x: Tensor4, w: Filter4, stride: number, pad: number): { dx: Tensor4; dw: Filter4; db: number[] } {
  const { fx, fw, outH, outW } = convArgs(x, w, stride, pad);
  const d = checkDout(dout, [fx.shape[0], outH, outW, fw.shape[3]]);
  const g = conv2dBackwardFlat(d, fx.data, fx.shape, fw.data, fw.shape, stride, pad);
  return { dx: unflatten4(g.dx, fx.shape), dw: unflatten4(g.dw, fw.shape), db: Array.from(g.db) };
}

function poolArgs(x: Tensor4, poolSize: number, stride: number) {
  const fx = flatten4(x, "x");
  intArg(poolSize, "poolSize", 1);
  intArg(stride, "stride", 1);
  const outShape: Shape4 = [fx.shape[0], convOutputSize(fx.shape[1], poolSize, stride, 0), convOutputSize(fx.shape[2], poolSize, stride, 0), fx.shape[3]];
  return { fx, outShape };
}

/** Max pooling without padding, floor output size. */
export function maxPoolForward(x: Tensor4, poolSize: number, stride: number): Tensor4 {
  const { fx } = poolArgs(x, poolSize, stride);
  const r = maxPoolForwardFlat(fx.data, fx.shape, poolSize, stride);
  return unflatten4(r.data, r.shape);
}

/** Average pooling without padding, floor output size. */
export function avgPoolForward(x: Tensor4, poolSize: number, stride: number): Tensor4 {
  const { fx } = poolArgs(x, poolSize, stride);
  const r = avgPoolForwardFlat(fx.data, fx.shape, poolSize, stride);
  return unflatten4(r.data, r.shape);
}

/** Each gradient goes to the first max of its window (scan order kh, then kw); overlaps accumulate. */
export function maxPoolBackward(dout: Tensor4, x: Tensor4, poolSize: number, stride: number): Tensor4 {
  const { fx, outShape } = poolArgs(x, poolSize, stride);
  const d = checkDout(dout, outShape);
  return unflatten4(maxPoolBackwardFlat(d, fx.data, fx.shape, poolSize, stride), fx.shape);
}

/** Each gradient is spread evenly over its window; overlaps accumulate. */
export function avgPoolBackward(dout: Tensor4, x: Tensor4, poolSize: number, stride: number): Tensor4 {
  const { fx, outShape } = poolArgs(x, poolSize, stride);
  const d = checkDout(dout, outShape);
  return unflatten4(avgPoolBackwardFlat(d, fx.shape, poolSize, stride), fx.shape);
}
