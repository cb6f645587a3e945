/**
 * tfjs-backend-wasm's BatchMatMul is about ten times slower when an operand is transposed than
 * when it is not (measured on [64,400]x[400,120]: 5.5 ms vs 0.67 ms), and backpropagation through
 * a dense layer uses exactly the transposed forms. This wrapper materialises the transposes with
 * the wasm Transpose kernel and calls the original kernel untransposed.
 */
import * as tf from "@tensorflow/tfjs";
import { callWasm, markCourseKit, release, type WasmBackend } from "./access";

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

export function fastBatchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  const fn: tf.KernelFunc = (args) => {
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    if (!(attrs.transposeA || attrs.transposeB) || a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) {
      return original(args);
    }
    const backend = args.backend as WasmBackend;
    const temps: tf.TensorInfo[] = [];
    try {
      let a2 = a;
      let b2 = b;
      if (attrs.transposeA) {
        a2 = callWasm("Transpose", backend, { x: a }, { perm: swapLastTwo(a.shape.length) });
        temps.push(a2);
      }
      if (attrs.transposeB) {
        b2 = callWasm("Transpose", backend, { x: b }, { perm: swapLastTwo(b.shape.length) });
        temps.push(b2);
      }
      return original({ inputs: { a: a2, b: b2 }, backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      release(backend, ...temps);
    }
  };
  return markCourseKit(fn);
}
