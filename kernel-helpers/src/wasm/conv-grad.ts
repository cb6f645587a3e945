/**
 * Gradients of conv2d for the wasm backend, built from wasm kernels that are already fast
 * (XNNPACK's Conv2D, Transpose, Reverse), so that no multiply-add runs in JavaScript.
 *
 * Conv2DBackpropFilter (missing from tfjs-backend-wasm 4.22):
 *   dW[kh, kw, c, o] = sum over n, oh, ow of  xpad[n, oh*sh + kh, ow*sw + kw, c] * dy[n, oh, ow, o]
 * Read with c as the batch, (h, w) as space and n as the input channel, this is a stride-1 conv
 * of x^T = [C, H, W, N] with the "filter" dy^T = [OH, OW, N, O] dilated by the forward strides:
 *   dW^T[c, kh, kw, o] = sum over oh, ow, n of x^T[c, kh + sh*oh, kw + sw*ow, n] * dy^T[oh, ow, n, o]
 * so dW = transpose(conv2d(x^T, dy^T, strides 1, dilations (sh, sw), pads of the forward conv)).
 *
 * Conv2DBackpropInput (present in wasm, but a naive loop about 10x slower than Conv2D):
 *   dx = conv2d(dy with (stride-1) zeros inserted between rows/columns,
 *               the filter flipped in space with in/out channels swapped,
 *               pads (K-1-padTop, ...) chosen so the result has the input's height and width).
 *   Used for strides up to 2x2; larger strides keep the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { asShape4, callWasm, f32, markCourseKit, release, type WasmBackend, type KernelArgs } from "./access";

const { computeConv2DInfo, convertConv2DDataFormat } = tf.backend_util;

function conv2dExplicit(
  backend: WasmBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  dilations: [number, number],
  pads: [number, number, number, number],
): tf.TensorInfo {
  const [top, bottom, left, right] = pads;
  return callWasm(
    "Conv2D",
    backend,
    { x, filter },
    {
      strides: [1, 1],
      dilations,
      pad: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      dataFormat: "NHWC",
    },
  );
}

/**
 * tfjs's conv2d gradient does not pass dimRoundingMode on to the backprop kernels, so with
 * 'round'/'ceil' dy can have more rows/columns than the kernel's conv info says. The cpu backend
 * then reads only the first outHeight x outWidth positions of dy; so do we.
 */
function dyMatchingInfo(backend: WasmBackend, dy: tf.TensorInfo, outHeight: number, outWidth: number, temps: tf.TensorInfo[]): tf.TensorInfo {
  const [, h, w] = asShape4(dy.shape, "dy");
  if (h === outHeight && w === outWidth) return dy;
  if (h < outHeight || w < outWidth) {
    throw new Error(`conv2d gradient: dy is [${dy.shape.join(", ")}] but the conv produces ${outHeight}x${outWidth}`);
  }
  const cut = callWasm("Slice", backend, { x: dy }, { begin: [0, 0, 0, 0], size: [-1, outHeight, outWidth, -1] });
  temps.push(cut);
  return cut;
}

export function conv2DBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  let x = args.inputs.x as tf.TensorInfo;
  let dy = args.inputs.dy as tf.TensorInfo;
  const format = convertConv2DDataFormat(attrs.dataFormat);
  const info = computeConv2DInfo(
    asShape4(x.shape, "Conv2DBackpropFilter x"),
    asShape4(attrs.filterShape, "Conv2DBackpropFilter filterShape"),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    format,
  );
  const temps: tf.TensorInfo[] = [];
  try {
    if (format === "channelsFirst") {
      x = callWasm("Transpose", backend, { x }, { perm: [0, 2, 3, 1] });
      dy = callWasm("Transpose", backend, { x: dy }, { perm: [0, 2, 3, 1] });
      temps.push(x, dy);
    }
    const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
    dy = dyMatchingInfo(backend, dy, outHeight, outWidth, temps);
    const { top, left } = info.padInfo;
    // Rows of the padded input that the filter gradient reads: kh + sh*oh < filterHeight + sh*(outHeight-1).
    const bottom = filterHeight + strideHeight * (outHeight - 1) - top - inHeight;
    const right = filterWidth + strideWidth * (outWidth - 1) - left - inWidth;
    const xT = callWasm("Transpose", backend, { x }, { perm: [3, 1, 2, 0] }); // [C, H, W, N]
    temps.push(xT);
    const dyT = callWasm("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, N, O]
    temps.push(dyT);
    let dwT = conv2dExplicit(backend, xT, dyT, [strideHeight, strideWidth], [top, Math.max(0, bottom), left, Math.max(0, right)]); // [C, KH (+ unused rows), KW (+ unused cols), O]
    temps.push(dwT);
    if (dwT.shape[1] !== filterHeight || dwT.shape[2] !== filterWidth) {
      // A negative bottom/right means the forward conv never read the last rows/columns.
      dwT = callWasm("Slice", backend, { x: dwT }, { begin: [0, 0, 0, 0], size: [-1, filterHeight, filterWidth, -1] });
      temps.push(dwT);
    }
    return callWasm("Transpose", backend, { x: dwT }, { perm: [1, 2, 0, 3] });
  } finally {
    release(backend, ...temps);
  }
}

/** dy with (stride - 1) zero rows/columns between its rows/columns: [N, (OH-1)*sh+1, (OW-1)*sw+1, C]. */
function insertZeros(backend: WasmBackend, dy: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n, oh, ow, c] = asShape4(dy.shape, "insertZeros");
  const hd = (oh - 1) * sh + 1;
  const wd = (ow - 1) * sw + 1;
  const out = backend.makeOutput([n, hd, wd, c], "float32");
  const src = f32(backend, dy);
  const dst = f32(backend, out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        const s = ((b * oh + r) * ow + q) * c;
        const d = ((b * hd + r * sh) * wd + q * sw) * c;
        for (let k = 0; k < c; k++) dst[d + k] = src[s + k];
      }
    }
  }
  return out;
}

/**
 * Conv2DBackpropInput through Conv2D. Returns undefined for cases it does not cover (NCHW,
 * pads larger than the filter, strides above 2x2), which the caller hands to the original kernel.
 */
export function conv2DBackpropInputViaConv(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  let dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const format = convertConv2DDataFormat(attrs.dataFormat);
  if (format !== "channelsLast" || dy.dtype !== "float32" || filter.dtype !== "float32") return undefined;
  const info = computeConv2DInfo(
    asShape4(attrs.inputShape, "Conv2DBackpropInput inputShape"),
    asShape4(filter.shape, "Conv2DBackpropInput filter"),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    format,
  );
  const { inHeight, inWidth, outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const pads: [number, number, number, number] = [
    filterHeight - 1 - info.padInfo.top,
    inHeight + info.padInfo.top - (outHeight - 1) * strideHeight - 1,
    filterWidth - 1 - info.padInfo.left,
    inWidth + info.padInfo.left - (outWidth - 1) * strideWidth - 1,
  ];
  if (pads.some((p) => p < 0)) return undefined;
  // Zero insertion multiplies the work by strideHeight * strideWidth. Measured against the
  // original kernel: stride 2 is ~3x faster this way, stride 4 (AlexNet conv1) ~3.5x slower.
  if (strideHeight * strideWidth > 4) return undefined;
  const temps: tf.TensorInfo[] = [];
  try {
    dy = dyMatchingInfo(backend, dy, outHeight, outWidth, temps);
    let src = dy;
    if (strideHeight > 1 || strideWidth > 1) {
      src = insertZeros(backend, dy, strideHeight, strideWidth);
      temps.push(src);
    }
    const flipped = callWasm("Reverse", backend, { x: filter }, { dims: [0, 1] });
    temps.push(flipped);
    const swapped = callWasm("Transpose", backend, { x: flipped }, { perm: [0, 1, 3, 2] }); // [KH, KW, O, C]
    temps.push(swapped);
    return conv2dExplicit(backend, src, swapped, [1, 1], pads);
  } finally {
    release(backend, ...temps);
  }
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: markCourseKit(conv2DBackpropFilterWasm as tf.KernelFunc),
};

/** Wraps the original wasm Conv2DBackpropInput kernel: fast path when possible, else the original. */
export function fastConv2DBackpropInput(original: tf.KernelFunc): tf.KernelFunc {
  const fn: tf.KernelFunc = (args) => conv2DBackpropInputViaConv(args) ?? original(args);
  return markCourseKit(fn);
}
