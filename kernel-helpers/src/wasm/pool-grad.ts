/**
 * MaxPoolGrad for the wasm backend in plain JavaScript on the wasm heap. tfjs-backend-wasm has
 * this kernel, but it is slow; this one visits each pooling window once.
 *
 * Semantics follow tfjs (cpu backend): within a window, the gradient goes to the first position
 * (row-major) holding the strictly largest value; windows overlapping the padding only look at
 * real pixels; overlapping windows add up.
 */
import * as tf from "@tensorflow/tfjs";
import { asShape4, f32, markCourseKit, type WasmBackend, type KernelArgs } from "./access";

export function maxPoolGradJs(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const dy = args.inputs.dy as tf.TensorInfo;
  const input = args.inputs.input as tf.TensorInfo;
  if (dy.dtype !== "float32" || input.dtype !== "float32") return undefined;
  const info = tf.backend_util.computePool2DInfo(
    asShape4(input.shape, "MaxPoolGrad input"),
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  // Overlapping windows can route several dy values to one pixel: add them in float64 (as the
  // cpu backend does) and round once. Otherwise each pixel gets at most one value.
  const overlapping = strideHeight < fh || strideWidth < fw;
  const out = backend.makeOutput(input.shape.slice(), "float32");
  const x = f32(backend, input);
  const g = f32(backend, dy);
  const result = f32(backend, out);
  const dx: Float32Array | Float64Array = overlapping ? new Float64Array(result.length) : result;
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let r = 0; r < outHeight; r++) {
      const r0 = r * strideHeight - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(inHeight, r0 + fh);
      for (let q = 0; q < outWidth; q++) {
        const q0 = q * strideWidth - left;
        const qMin = Math.max(0, q0);
        const qMax = Math.min(inWidth, q0 + fw);
        const o = ((b * outHeight + r) * outWidth + q) * inChannels;
        for (let d = 0; d < inChannels; d++) {
          let best = Number.NEGATIVE_INFINITY;
          let where = -1;
          for (let xr = rMin; xr < rMax; xr++) {
            let i = ((b * inHeight + xr) * inWidth + qMin) * inChannels + d;
            for (let xc = qMin; xc < qMax; xc++, i += inChannels) {
              const v = x[i];
              const better = v > best; // branch-free: the comparison is unpredictable
              best = better ? v : best;
              where = better ? i : where;
            }
          }
          if (where >= 0) dx[where] += g[o + d];
        }
      }
    }
  }
  if (overlapping) result.set(dx);
  return out;
}

export function fastMaxPoolGrad(original: tf.KernelFunc): tf.KernelFunc {
  return markCourseKit((args) => maxPoolGradJs(args) ?? original(args));
}
