/**
 * Runs an assignment's hidden tests in this process against a scripted learner: each call of
 * `learner.f(...)` is answered with plain data chosen by the caller, as the sandbox would answer
 * it. The tests are bundled with esbuild the way Jest transforms them, `tsnb/testing` is the built
 * grader module, and the fixtures the tests compute are kept here, so a test can read what the
 * grading process would have computed (such as each call's misconception variants). No Jest, no
 * sandbox: this audits test data and catalogues, it grades nothing.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type { Language } from "@course-kit/kernel-helpers/messages";
import { buildSync } from "esbuild";
import type { SandboxRegistry } from "../../grader/jest/registry";
import type { CallOutcome } from "../../grader/sandbox/host";

const TESTING = path.resolve(__dirname, "..", "..", "grader", "testing", "index.js");

/** How the scripted learner answers call number `index` (0-based, within one run of a test). */
export type Answer = (index: number, fn: string, args: unknown[]) => CallOutcome;

export interface TestRun {
  passed: boolean;
  /** The failure, as the grader would read it. */
  error?: { name: string; message: string; misconception?: string };
  calls: { fn: string; args: unknown[] }[];
  /** Fixture keys the run read, in order. */
  fixtures: string[];
}

export interface HiddenTest {
  exercise: string;
  title: string;
  points: number;
  run(answer: Answer): Promise<TestRun>;
}

export const returned = (value: unknown): CallOutcome => ({ kind: "returned", value: JSON.parse(JSON.stringify(value)), output: "", ms: 0 });

/** Evaluate a TypeScript module bundled by esbuild, with `tsnb/testing` resolved to the built grader. */
export function loadModule(file: string): Record<string, unknown> {
  const { outputFiles } = buildSync({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: "node",
    format: "cjs",
    target: "es2022",
    external: ["@course-kit/*"],
    alias: { "tsnb/testing": TESTING },
  });
  const module = { exports: {} as Record<string, unknown> };
  new Function("require", "module", "exports", "__filename", "__dirname", outputFiles[0].text)(
    createRequire(file),
    module,
    module.exports,
    file,
    path.dirname(file),
  );
  return module.exports;
}

export interface Harness {
  tests: HiddenTest[];
  /** A fixture the tests computed, parsed afresh. */
  fixture(key: string): unknown;
}

/** Load hidden test files; their tests register here instead of with Jest, and speak `lang`. */
export function loadHiddenTests(files: string[], lang: Language = "en"): Harness {
  const store = new Map<string, string>();
  let answer: Answer = () => ({ kind: "internal", message: "no answer scripted", output: "", ms: 0 });
  let calls: TestRun["calls"] = [];
  let reads: string[] = [];
  const registry: SandboxRegistry = {
    current: 0,
    bridge: () => ({
      call: async (fn, args) => {
        calls.push({ fn, args });
        return answer(calls.length - 1, fn, args);
      },
      cells: () => [],
    }),
    finish: async () => undefined,
    fixture: <T>(key: string, compute: () => T): T => {
      reads.push(key);
      if (!store.has(key)) store.set(key, JSON.stringify(compute()));
      return JSON.parse(store.get(key)!) as T;
    },
    lang,
    // The harness runs the tests in mocha's own realm: its Math.random is left alone.
    reseed: () => undefined,
  };

  const tests: HiddenTest[] = [];
  const groups: string[] = [];
  const saved = { describe: (globalThis as Record<string, unknown>).describe, test: (globalThis as Record<string, unknown>).test };
  const g = globalThis as Record<string, unknown>;
  g.__tsnbSandboxes = registry;
  g.describe = (name: string, body: () => void) => {
    groups.push(name);
    try {
      body();
    } finally {
      groups.pop();
    }
  };
  g.test = (name: string, body: () => Promise<void> | void) => {
    const marker = /\s\[(\d+(?:\.\d+)?) pts?\]$/.exec(name);
    tests.push({
      exercise: groups[0],
      title: marker ? name.slice(0, marker.index) : name,
      points: marker ? Number(marker[1]) : 0,
      run: async (a) => {
        answer = a;
        calls = [];
        reads = [];
        try {
          await body();
          return { passed: true, calls, fixtures: reads };
        } catch (err) {
          const e = err as { name?: string; message?: string; misconception?: string };
          return { passed: false, error: { name: String(e.name), message: String(e.message), misconception: e.misconception }, calls, fixtures: reads };
        }
      },
    });
  };
  try {
    for (const file of files) loadModule(file);
  } finally {
    g.describe = saved.describe;
    g.test = saved.test;
    delete g.__tsnbSandboxes;
  }
  return { tests, fixture: (key) => JSON.parse(store.get(key) ?? "null") };
}
