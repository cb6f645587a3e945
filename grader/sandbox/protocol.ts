/**
 * What travels between the grader and a learner's sandbox process. Everything is plain JSON;
 * numbers JSON cannot carry (NaN, ±Infinity, -0 does not matter here) are boxed so that a
 * learner's NaN reaches the tests as NaN rather than as null.
 *
 * The child says what happened as data (a message key and its values, a cell and a line); the
 * grader's side puts it into words in the learner's language, so the child loads no catalogue.
 */
import type { MessageRef } from "@course-kit/kernel-helpers/messages";

/** One transpiled cell as the sandbox loads it. */
export interface LearnerCell {
  /** Human label used in feedback, e.g. "week07-01-conv.ipynb, cell 12 (conv2dForward)". */
  label: string;
  /** The notebook it belongs to. Each notebook gets a realm of its own, as it gets a kernel. */
  notebook: string;
  /** The exercise this cell implements (solution cells), if any. */
  exercise?: string;
  /** JavaScript produced from the cell's TypeScript. */
  code: string;
  /** Source map (v3 JSON) from the JavaScript back to the cell's TypeScript lines. */
  map?: string;
  /** A problem found before loading (e.g. a syntax error); the cell is then not loaded. */
  compileError?: string;
}

export interface LearnerProgram {
  cells: LearnerCell[];
}

export const PROGRAM_FILE = "learner.json";

/** Where learner code threw: the cell's label and a line of the learner's TypeScript. */
export interface ThrowSite {
  cell: string;
  line: number;
}

/** What learner code threw, read without trusting it (errors.ts). */
export interface Thrown {
  name: string;
  message: string;
  where?: ThrowSite;
}

/** How a cell loaded, as the grader reports it (in the learner's language). */
export interface CellLoadResult {
  label: string;
  exercise?: string;
  ok: boolean;
  error?: string;
}

/** How a cell loaded, as the child says it: its compile error (already in words), or what it threw. */
export interface LoadedCell {
  label: string;
  exercise?: string;
  ok: boolean;
  compileError?: string;
  thrown?: Thrown;
}

/** Child → parent, once, after the cells are loaded. */
export interface ReadyMessage {
  type: "ready";
  cells: LoadedCell[];
  output: string;
}

/**
 * What the learner's realm itself says, in the learner's language: the error of a module that is
 * not offered (`{module}` is filled in the realm), the mark of cut output, and names for odd throws.
 */
/**
 * The seed of `Math.random` in every learner realm (one sequence per notebook, restarted in each
 * sandbox): learner code draws the same numbers in every grading, whatever the submission's name,
 * its place in the batch or --jobs, so randomness in learner code cannot move a score. The
 * sequence is kernel-helpers' createRng(LEARNER_RANDOM_SEED).next().
 */
export const LEARNER_RANDOM_SEED = 7;

export interface RealmTexts {
  moduleUnavailable: string;
  moduleUnavailableNew: string;
  outputTruncated: string;
  thrownValue: string;
  proxyThrown: string;
}

/** Parent → child, first: the program to load. */
export interface LoadRequest {
  type: "load";
  program: LearnerProgram;
  texts: RealmTexts;
}

/** Parent → child. */
export interface CallRequest {
  type: "call";
  id: number;
  fn: string;
  args: unknown;
  timeoutMs: number;
}

export type CallReply =
  | { type: "reply"; id: number; kind: "returned"; value: unknown; output: string; ms: number }
  | ({ type: "reply"; id: number; kind: "threw"; output: string; ms: number } & Thrown)
  | { type: "reply"; id: number; kind: "missing" | "invalid-result" | "timeout"; reason: MessageRef; output: string; ms: number }
  /** The runner's own failure (not the learner's): for the instructor log, in English. */
  | { type: "reply"; id: number; kind: "internal"; message: string; output: string; ms: number };

export type ChildMessage = ReadyMessage | CallReply;

const BOX = "__tsnb_number";

/** Replace non-finite numbers by boxes so the value survives JSON. */
export function boxNumbers(value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : { [BOX]: String(value) };
  if (Array.isArray(value)) return value.map(boxNumbers);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = boxNumbers(v);
    return out;
  }
  return value;
}

export function unboxNumbers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unboxNumbers);
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === BOX) return Number((value as Record<string, unknown>)[BOX]);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unboxNumbers(v);
    return out;
  }
  return value;
}

export const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Exit code of a sandbox process whose own set-up failed (a grader problem, not the learner's). */
export const SETUP_FAILED = 3;
