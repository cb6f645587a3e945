/**
 * Gradients of depthwise conv2d for the wasm backend (both missing from tfjs-backend-wasm 4.22),
 * written as direct loops on the wasm heap with float64 accumulators. Depthwise layers are small
 * (one filter per input channel), so a plain loop is fast enough for the course's models.
 *
 * Filter layout [KH, KW, C, M]; output channel c*M + m reads input channel c.
 */
import * as tf from "@tensorflow/tfjs";
import { asShape4, f32, markCourseKit, type WasmBackend, type KernelArgs } from "./access";

export function depthwiseBackpropFilterWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filterShape = asShape4(attrs.filterShape, "DepthwiseConv2dNativeBackpropFilter filterShape");
  const info = tf.backend_util.computeConv2DInfo(
    asShape4(x.shape, "DepthwiseConv2dNativeBackpropFilter x"),
    filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const mult = outChannels / inChannels;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const acc = new Float64Array(filterHeight * filterWidth * inChannels * mult);
  const out = backend.makeOutput(filterShape.slice(), "float32");
  const xv = f32(backend, x);
  const g = f32(backend, dy);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const gBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (kh * filterWidth + kw) * inChannels * mult;
            for (let c = 0; c < inChannels; c++) {
              const v = xv[xBase + c];
              for (let m = 0; m < mult; m++) acc[wBase + c * mult + m] += v * g[gBase + c * mult + m];
            }
          }
        }
      }
    }
  }
  f32(backend, out).set(acc);
  return out;
}

export function depthwiseBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const inputShape = asShape4(attrs.inputShape, "DepthwiseConv2dNativeBackpropInput inputShape");
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    asShape4(filter.shape, "DepthwiseConv2dNativeBackpropInput filter"),
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth } = info;
  const mult = outChannels / inChannels;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const acc = new Float64Array(batchSize * inHeight * inWidth * inChannels);
  const out = backend.makeOutput(inputShape.slice(), "float32");
  const w = f32(backend, filter);
  const g = f32(backend, dy);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const gBase = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh * dilationHeight - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw * dilationWidth - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((b * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (kh * filterWidth + kw) * inChannels * mult;
            for (let c = 0; c < inChannels; c++) {
              let s = 0;
              for (let m = 0; m < mult; m++) s += g[gBase + c * mult + m] * w[wBase + c * mult + m];
              acc[xBase + c] += s;
            }
          }
        }
      }
    }
  }
  f32(backend, out).set(acc);
  return out;
}

export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropFilter",
  backendName: "wasm",
  kernelFunc: markCourseKit(depthwiseBackpropFilterWasm as tf.KernelFunc),
};

export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: "DepthwiseConv2dNativeBackpropInput",
  backendName: "wasm",
  kernelFunc: markCourseKit(depthwiseBackpropInputWasm as tf.KernelFunc),
};
