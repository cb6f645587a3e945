/**
 * Training kernels for tfjs's wasm backend.
 *
 * tfjs-backend-wasm 4.22 runs the forward pass of a conv net well (XNNPACK), but
 *  - has no Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter/Input or
 *    UnsortedSegmentSum kernels, so training a conv net (or an embedding) throws, and
 *  - has slow Conv2DBackpropInput, MaxPoolGrad and transposed BatchMatMul kernels, which
 *    dominate the time of a LeNet training step, and a slow GatherV2, which model.fit uses to
 *    cut out every batch.
 * `registerWasmTrainingKernels()` adds the missing kernels and wraps the slow ones with faster
 * equivalents (keeping the original for cases the fast path does not cover).
 */
import * as tf from "@tensorflow/tfjs";
import { isCourseKitKernel, WASM } from "./access";
import { conv2DBackpropFilterConfig, fastConv2DBackpropInput } from "./conv-grad";
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from "./depthwise-grad";
import { fastGatherV2 } from "./gather";
import { fastBatchMatMul } from "./matmul";
import { fastMaxPoolGrad } from "./pool-grad";
import { unsortedSegmentSumConfig } from "./segment-sum";

export { conv2DBackpropFilterWasm, conv2DBackpropInputViaConv } from "./conv-grad";

/** Kernels that tfjs-backend-wasm 4.22 lacks and that this module adds. */
const ADDED: tf.KernelConfig[] = [conv2DBackpropFilterConfig, depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig, unsortedSegmentSumConfig];

/** Kernels that exist in tfjs-backend-wasm but are slow in training; wrapped with a fast path. */
const ACCELERATED: [string, (original: tf.KernelFunc) => tf.KernelFunc][] = [
  ["Conv2DBackpropInput", fastConv2DBackpropInput],
  ["MaxPoolGrad", fastMaxPoolGrad],
  ["BatchMatMul", fastBatchMatMul],
  ["GatherV2", fastGatherV2],
];

export const WASM_ADDED_KERNELS: readonly string[] = ADDED.map((k) => k.kernelName);
export const WASM_ACCELERATED_KERNELS: readonly string[] = ACCELERATED.map(([name]) => name);

/** The original wasm kernels we wrapped, so that the speed-ups can be switched off (benchmarks). */
const originals = new Map<string, tf.KernelConfig>();

let wasmPackageLoaded = false;

/** Loads @tensorflow/tfjs-backend-wasm, which registers the 'wasm' backend and its kernels. */
export function loadWasmBackendPackage(): void {
  if (wasmPackageLoaded) return;
  require("@tensorflow/tfjs-backend-wasm");
  wasmPackageLoaded = true;
}

function lookup(name: string): tf.KernelConfig | undefined {
  return tf.getKernel(name, WASM);
}

function replaceKernel(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, WASM);
  tf.registerKernel(config);
}

/**
 * Adds the missing wasm gradient kernels and the faster training kernels. Idempotent: kernels
 * registered by an earlier call (even from another copy of this module) are left alone.
 */
export function registerWasmTrainingKernels(): void {
  loadWasmBackendPackage();
  for (const config of ADDED) {
    if (lookup(config.kernelName) === undefined) tf.registerKernel(config);
  }
  setWasmKernelAcceleration(true);
}

/**
 * Turns the wrapped fast paths (Conv2DBackpropInput, MaxPoolGrad, BatchMatMul, GatherV2) on or off
 * (off restores tfjs-backend-wasm's own kernels). Used by the benchmark to show their effect.
 */
export function setWasmKernelAcceleration(enabled: boolean): void {
  loadWasmBackendPackage();
  for (const [name, wrap] of ACCELERATED) {
    const current = lookup(name);
    if (current === undefined) continue;
    const ours = isCourseKitKernel(current.kernelFunc);
    if (enabled && !ours) {
      originals.set(name, current);
      replaceKernel({ ...current, kernelFunc: wrap(current.kernelFunc) });
    } else if (!enabled && ours) {
      const original = originals.get(name);
      if (original !== undefined) replaceKernel(original);
    }
  }
}

/** Which of this module's kernels are currently registered for 'wasm'. */
export function wasmTrainingKernelStatus(): { kernelName: string; kind: "added" | "accelerated"; active: boolean }[] {
  return [
    ...WASM_ADDED_KERNELS.map((kernelName) => ({
      kernelName,
      kind: "added" as const,
      active: isCourseKitKernel(lookup(kernelName)?.kernelFunc),
    })),
    ...WASM_ACCELERATED_KERNELS.map((kernelName) => ({
      kernelName,
      kind: "accelerated" as const,
      active: isCourseKitKernel(lookup(kernelName)?.kernelFunc),
    })),
  ];
}
