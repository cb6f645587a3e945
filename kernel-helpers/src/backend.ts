/**
 * Choosing a TensorFlow.js backend for the notebooks.
 *
 * Order of preference: tfjs-node ('tensorflow', native TensorFlow, when the optional dependency
 * installed), then 'wasm' (XNNPACK kernels; we add the gradient kernels it lacks so that conv
 * nets can train), then the pure-JavaScript 'cpu' backend, which always works but trains a
 * LeNet far too slowly for a notebook.
 */
import * as tf from "@tensorflow/tfjs";
import { loadWasmBackendPackage, registerWasmTrainingKernels } from "./wasm";

export {
  registerWasmTrainingKernels,
  setWasmKernelAcceleration,
  wasmTrainingKernelStatus,
  WASM_ACCELERATED_KERNELS,
  WASM_ADDED_KERNELS,
} from "./wasm";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  error?: string;
}

export interface BackendReport {
  name: BackendName;
  tried: BackendAttempt[];
  /** One human line, e.g. "Using tfjs backend 'wasm' (tfjs-node not installed: ...)". */
  message: string;
}

export interface SelectBackendOptions {
  /** Backends to try, in order. Default ["tensorflow", "wasm", "cpu"]. */
  prefer?: BackendName[];
  /** Do not print the message. */
  quiet?: boolean;
}

export const DEFAULT_BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];
const KNOWN: readonly string[] = DEFAULT_BACKEND_ORDER;

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** Why tfjs-node could not be used, in words a learner understands. */
function describeTfjsNodeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = firstLine(error);
  if (code === "MODULE_NOT_FOUND" && text.includes("@tensorflow/tfjs-node")) return `tfjs-node not installed: ${text}`;
  return `tfjs-node failed to load: ${text}`;
}

async function activate(name: BackendName): Promise<void> {
  if (name === "tensorflow") {
    // Loading tfjs-node registers the 'tensorflow' backend (and needs its native library).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-node");
  } else if (name === "wasm") {
    loadWasmBackendPackage();
    registerWasmTrainingKernels();
  }
  if (tf.findBackendFactory(name) === null || tf.findBackendFactory(name) === undefined) {
    throw new Error(`backend '${name}' is not registered with tfjs`);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  if (tf.getBackend() !== name) throw new Error(`tfjs reports backend '${tf.getBackend()}' after selecting '${name}'`);
}

/**
 * Selects the fastest tfjs backend that works here and reports what was tried. Safe to call
 * repeatedly (the kernels are registered once; the chosen backend is re-activated).
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendReport> {
  const prefer = options.prefer ?? [...DEFAULT_BACKEND_ORDER];
  if (prefer.length === 0) throw new RangeError("selectBackend: `prefer` lists no backend");
  const tried: BackendAttempt[] = [];
  let chosen: BackendName | undefined;
  for (const name of prefer) {
    if (!KNOWN.includes(name)) {
      tried.push({ name, ok: false, error: `unknown backend name (expected one of ${KNOWN.join(", ")})` });
      continue;
    }
    if (tried.some((t) => t.name === name)) continue;
    try {
      await activate(name);
      tried.push({ name, ok: true });
      chosen = name;
      break;
    } catch (error) {
      tried.push({ name, ok: false, error: name === "tensorflow" ? describeTfjsNodeError(error) : firstLine(error) });
    }
  }
  if (chosen === undefined) {
    const reasons = tried.map((t) => `${t.name}: ${t.error}`).join("; ");
    throw new Error(`selectBackend: no tfjs backend could be used (${reasons})`);
  }
  const failures = tried.filter((t) => !t.ok).map((t) => (t.name === "tensorflow" ? `${t.error}` : `${t.name} failed: ${t.error}`));
  const message = `Using tfjs backend '${chosen}'` + (failures.length > 0 ? ` (${failures.join("; ")})` : "");
  if (options.quiet !== true) console.log(message);
  return { name: chosen, tried, message };
}
