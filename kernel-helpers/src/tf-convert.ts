/**
 * Conversions between the exercise's nested arrays and tfjs tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { Filter4, Tensor4, flatten4 } from "./tensor";

/** A float32 tf.Tensor4D with the same shape and values (validates the nested array first). */
export function toTensor4(t: Tensor4 | Filter4): tf.Tensor4D {
  const { data, shape } = flatten4(t, "toTensor4 argument");
  return tf.tensor4d(Float32Array.from(data), shape, "float32");
}

/** A nested number[][][][] copy of a rank-4 tensor's values (the tensor is not disposed). */
export function fromTensor4(t: tf.Tensor): Tensor4 {
  if (t.rank !== 4) throw new RangeError(`fromTensor4: expected a rank-4 tensor, got rank ${t.rank} (shape [${t.shape.join(", ")}])`);
  return (t as tf.Tensor4D).arraySync();
}
