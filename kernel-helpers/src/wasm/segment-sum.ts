/**
 * UnsortedSegmentSum for the wasm backend (missing from tfjs-backend-wasm 4.22). It is the
 * gradient of tf.gather, so without it an embedding layer cannot train on wasm.
 * out[s, ...] = sum of x[i, ...] over the i with segmentIds[i] = s; ids outside
 * [0, numSegments) are ignored, as on the cpu backend.
 */
import * as tf from "@tensorflow/tfjs";
import { markCourseKit, type WasmBackend, type KernelArgs } from "./access";

export function unsortedSegmentSumWasm(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const ids = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
  if (x.dtype !== "float32" && x.dtype !== "int32") throw new TypeError(`UnsortedSegmentSum: unsupported dtype ${x.dtype}`);
  const idRank = ids.shape.length;
  const count = ids.shape.reduce((p, d) => p * d, 1);
  const innerShape = x.shape.slice(idRank);
  const inner = innerShape.reduce((p, d) => p * d, 1);
  const acc = new Float64Array(numSegments * inner);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const xv = backend.typedArrayFromHeap(x);
  const iv = backend.typedArrayFromHeap(ids);
  for (let i = 0; i < count; i++) {
    const s = iv[i];
    if (!(s >= 0 && s < numSegments) || Math.floor(s) !== s) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) acc[dst + j] += xv[src + j];
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: "UnsortedSegmentSum",
  backendName: "wasm",
  kernelFunc: markCourseKit(unsortedSegmentSumWasm as tf.KernelFunc),
};
