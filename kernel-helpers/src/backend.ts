/**
 * Choosing a TensorFlow.js backend for the notebooks.
 *
 * Order of preference: tfjs-node ('tensorflow', native TensorFlow, when the optional dependency
 * installed), then 'wasm' (XNNPACK kernels; we add the gradient kernels it lacks so that conv
 * nets can train), then the pure-JavaScript 'cpu' backend, which always works but trains a
 * LeNet far too slowly for a notebook.
 */
import * as tf from "@tensorflow/tfjs";
import { notebookLanguage } from "./language";
import { Language, message } from "./messages";
import { loadWasmBackendPackage, registerWasmTrainingKernels } from "./wasm";

export { registerWasmTrainingKernels, setWasmKernelAcceleration, wasmTrainingKernelStatus, WASM_ACCELERATED_KERNELS, WASM_ADDED_KERNELS } from "./wasm";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  error?: string;
}

export interface BackendReport {
  name: BackendName;
  tried: BackendAttempt[];
  /**
   * One line in plain words for the learner, in the notebook's language, e.g.
   * "TensorFlow.js 백엔드: wasm (WebAssembly, CPU)".
   * It names the backend in use and, when a preferred one could not be used for a reason other
   * than not being installed, says so; error texts stay in `details`.
   */
  message: string;
  /** One line per backend tried, with the error of each that failed (printed when `verbose`). */
  details: string[];
}

export interface SelectBackendOptions {
  /** Backends to try, in order. Default ["tensorflow", "wasm", "cpu"]. */
  prefer?: BackendName[];
  /** Do not print the message. */
  quiet?: boolean;
  /** Also print `details`: what was tried and why each failure happened (for instructors). */
  verbose?: boolean;
  /** The language of `message`; the notebook's (see language.ts) by default. */
  lang?: Language;
}

export const DEFAULT_BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];
const KNOWN: readonly string[] = DEFAULT_BACKEND_ORDER;

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

const NOT_INSTALLED = "tfjs-node not installed";

/** Why tfjs-node could not be used: not installed (the usual case: it is optional), or broken. */
function describeTfjsNodeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = firstLine(error);
  if (code === "MODULE_NOT_FOUND" && text.includes("@tensorflow/tfjs-node")) return `${NOT_INSTALLED}: ${text}`;
  return `tfjs-node failed to load: ${text}`;
}

/** The learner's line: the backend in use, and a plain note if a preferred one did not work. */
function backendMessage(chosen: BackendName, tried: BackendAttempt[], lang: Language): string {
  const line = message(lang, "backend.line", { backend: message(lang, `backend.${chosen}`) });
  // An optional package that is not installed is expected, not news.
  const broken = tried.filter((t) => !t.ok && !(t.error ?? "").startsWith(NOT_INSTALLED)).map((t) => t.name);
  if (broken.length === 0) return line;
  return message(lang, "backend.skipped", { line, backends: broken.join(", "), how: "selectBackend({ verbose: true })" });
}

async function activate(name: BackendName): Promise<void> {
  if (name === "tensorflow") {
    // Loading tfjs-node registers the 'tensorflow' backend (and needs its native library).
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
  const line = backendMessage(chosen, tried, options.lang ?? notebookLanguage());
  const details = tried.map((t) => `${t.name}: ${t.ok ? "in use" : t.error}`);
  if (options.quiet !== true) console.log(line);
  if (options.verbose === true) for (const detail of details) console.log(`  ${detail}`);
  return { name: chosen, tried, message: line, details };
}
