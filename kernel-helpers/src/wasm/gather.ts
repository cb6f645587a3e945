/**
 * GatherV2 along axis 0 (what model.fit does to cut every batch out of the training tensors)
 * as row copies on the wasm heap. tfjs-backend-wasm's kernel computes every element's index
 * separately, about 1.5 ms for 64 MNIST images; a row copy takes a few microseconds. Other
 * axes, batchDims, dtypes and out-of-range indices go to the original kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { markCourseKit, type WasmBackend, type KernelArgs } from "./access";

export function gatherRowsJs(args: KernelArgs): tf.TensorInfo | undefined {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as tf.GatherV2Attrs;
  const x = args.inputs.x as tf.TensorInfo;
  const indices = args.inputs.indices as tf.TensorInfo;
  if ((attrs.batchDims ?? 0) !== 0 || x.shape.length === 0) return undefined;
  const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
  if (axis !== 0 || indices.dtype !== "int32") return undefined;
  if (x.dtype !== "float32" && x.dtype !== "int32" && x.dtype !== "bool") return undefined;
  const rows = x.shape[0];
  const idx = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < idx.length; i++) if (!(idx[i] >= 0 && idx[i] < rows)) return undefined;
  const rowShape = x.shape.slice(1);
  const rowSize = rowShape.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([...indices.shape, ...rowShape], x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const ids = backend.typedArrayFromHeap(indices) as Int32Array; // re-read: makeOutput may grow the heap
  for (let i = 0; i < ids.length; i++) {
    const from = ids[i] * rowSize;
    dst.set(src.subarray(from, from + rowSize), i * rowSize);
  }
  return out;
}

export function fastGatherV2(original: tf.KernelFunc): tf.KernelFunc {
  return markCourseKit((args) => gatherRowsJs(args) ?? original(args));
}
