/**
 * Small helpers for writing tfjs kernels for the wasm backend in TypeScript.
 *
 * A kernel receives `TensorInfo`s whose data lives on the wasm heap. We read them through
 * `backend.typedArrayFromHeap`, which returns a *view* of the heap: any allocation (for instance
 * `backend.makeOutput`) may grow the heap and detach earlier views, so every kernel here
 * allocates its outputs first and takes its views afterwards.
 *
 * Other wasm kernels (Conv2D, Transpose, ...) are called directly through the kernel registry,
 * the same way tfjs's own kernels call each other; intermediates are released with
 * `backend.disposeData`.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

export type WasmBackend = BackendWasm;
export type Attrs = tf.NamedAttrMap;

/** What tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

export const WASM = "wasm";

/** Marks kernel functions installed by this module, so registration stays idempotent. */
export const COURSE_KIT_MARK = Symbol.for("course-kit.wasm-training-kernel");

export function isCourseKitKernel(fn: unknown): boolean {
  return typeof fn === "function" && (fn as unknown as Record<symbol, unknown>)[COURSE_KIT_MARK] === true;
}

export function markCourseKit<F extends tf.KernelFunc>(fn: F): F {
  (fn as unknown as Record<symbol, unknown>)[COURSE_KIT_MARK] = true;
  return fn;
}

/** Calls a kernel registered for the wasm backend, e.g. `callWasm("Transpose", b, { x }, { perm })`. */
export function callWasm(name: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): tf.TensorInfo {
  const config = tf.getKernel(name, WASM);
  if (config === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs`);
  return out;
}

export function release(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Float32 view of a tensor on the wasm heap (valid until the next allocation). */
export function f32(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== "float32") throw new TypeError(`expected a float32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function i32(backend: WasmBackend, info: tf.TensorInfo): Int32Array {
  if (info.dtype !== "int32") throw new TypeError(`expected an int32 tensor, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Int32Array;
}

/** The four pads (top, bottom, left, right) and strides that tfjs derived for a conv. */
export interface PadInfo4 {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export function asShape4(shape: readonly number[], what: string): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`${what}: expected a rank-4 tensor, got shape [${shape.join(", ")}]`);
  return [shape[0], shape[1], shape[2], shape[3]];
}
