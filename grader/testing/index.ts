/**
 * The API hidden tests are written with (imported as "tsnb/testing"). Tests never touch
 * learner code directly: `learner.f(...)` sends the arguments to the submission's sandbox and
 * resolves to the plain data it returned. Failures raised here carry messages written for the
 * learner, in the language the grader was asked for (the assignment's by default); the grader
 * shows nothing else of a failing test (no source, no stack).
 *
 *   exercise("conv2dForward", () => {
 *     graded("stride 2, pad 1, 3 channels", 2, async () => {
 *       expectClose(await learner.conv2dForward(x, w, b, 2, 1), reference.conv2dForward(x, w, b, 2, 1));
 *     });
 *   });
 */
import { createHash } from "node:crypto";
import { CallResult, Expectation, judge } from "@course-kit/kernel-helpers/checks";
import { Language, Localized, message } from "@course-kit/kernel-helpers/messages";
import type { SandboxBridge, SandboxRegistry } from "../jest/registry";
import { computeVariantSet, KnownMistakes, nameMistake, ResultExpectation } from "./misconceptions";

export { known, SEPARATION } from "./misconceptions";
export type { Catalogue, KnownMistakes, Misconception, Params, Variant, VariantSet } from "./misconceptions";

// The grading environment loads this module once per submission (jest.isolateModules), after
// setting `current`; so each copy of the module talks to one submission's sandbox.
const registry = (globalThis as { __tsnbSandboxes?: SandboxRegistry }).__tsnbSandboxes;
const submissionIndex = registry?.current ?? 0;
/** The language of every message this module writes. */
const lang: Language = registry?.lang ?? "en";

/** A failure whose message is meant for the learner. */
export class GradingFailure extends Error {
  /** `<exercise>/<id>` of the catalogued mistake the result was matched to (instructor-facing). */
  misconception?: string;
  /** The learner's code ran out of time (a call's limit or the submission's), for the class report. */
  timedOut?: true;

  constructor(text: string, misconception?: string, timedOut = false) {
    super(text);
    this.name = "GradingFailure";
    // Own properties: they reach the grader even from a Jest worker, where errors travel as JSON.
    if (misconception) this.misconception = misconception;
    if (timedOut) this.timedOut = true;
  }
}

/** The learner's function threw; `thrown` lets expectThrows inspect it. */
export class LearnerThrew extends GradingFailure {
  constructor(
    readonly fn: string,
    readonly thrown: { name: string; message: string; where?: string },
  ) {
    super(message(lang, "learner.threw", { fn, name: thrown.name, message: thrown.message, where: thrown.where ? ` (${thrown.where})` : "" }));
  }
}

function bridge(): SandboxBridge {
  if (!registry) throw new Error("tsnb/testing: no learner sandbox; run these tests through `tsnb grade` or `tsnb check`");
  return registry.bridge(submissionIndex);
}

/** Why a function is not there, in the learner's terms. */
function missingMessage(fn: string): string {
  const cells = bridge().cells();
  const own = cells.find((c) => c.exercise === fn && !c.ok);
  if (own) return message(lang, "learner.cellFailed", { fn, error: own.error ?? "" });
  const broken = cells.filter((c) => !c.ok && !c.exercise);
  if (broken.length) return message(lang, "learner.setupFailed", { fn, error: broken[0].error ?? "" });
  if (cells.some((c) => c.exercise === fn)) return message(lang, "learner.renamed", { fn });
  return message(lang, "learner.cellMissing", { fn });
}

/**
 * Test data that does not depend on the submission (inputs, expected results, numerical
 * gradients), computed once per grading process and reused for every submission. It must be
 * plain JSON data; `key` must be unique within the assignment's tests.
 */
export function fixture<T>(key: string, compute: () => T): T {
  return registry ? registry.fixture(key, compute) : compute();
}

/** Call a learner function in the sandbox. Resolves to its result; rejects with GradingFailure. */
export async function call(fn: string, ...args: unknown[]): Promise<unknown> {
  const outcome = await bridge().call(fn, args);
  switch (outcome.kind) {
    case "returned":
      return outcome.value;
    case "threw":
      throw new LearnerThrew(fn, { name: outcome.name, message: outcome.message, where: outcome.where });
    case "missing":
      throw new GradingFailure(missingMessage(fn));
    case "invalid-result":
      throw new GradingFailure(message(lang, "learner.notPlainData", { fn, detail: outcome.message }));
    case "timeout":
      throw new GradingFailure(message(lang, "learner.timeout", { detail: outcome.message }), undefined, true);
    case "crashed":
      throw new GradingFailure(message(lang, "learner.crashed", { fn, detail: outcome.message }));
    case "budget":
      throw new GradingFailure(outcome.message, undefined, true);
    case "internal":
      // Not the learner's fault: a plain Error, reported as "could not check" and logged.
      throw new Error(`internal grader error while calling ${fn}: ${outcome.message}`);
  }
}

type LearnerFunctions = Record<string, (...args: any[]) => Promise<any>>;

/** `learner.name(...args)` is `call("name", ...args)`. */
export const learner: LearnerFunctions = new Proxy(
  {},
  {
    get: (_target, fn) => (typeof fn === "string" ? (...args: unknown[]) => call(fn, ...args) : undefined),
  },
);

/** Fail with the verdict's message (in the learner's language) unless `result` meets `expect`. */
export function assertVerdict(result: CallResult, expect: Expectation): void {
  const verdict = judge(result, expect, lang);
  if (!verdict.ok) throw new GradingFailure(verdict.message);
}

/**
 * Fail unless `actual` meets `expect`; a failing result that matches one of the catalogued
 * mistakes is named. The mistakes' results on this call are computed once per grading process
 * (a fixture keyed by the call), and only when some learner's result fails.
 */
function assertResult(actual: unknown, expect: ResultExpectation, mistakes?: KnownMistakes): void {
  const verdict = judge({ returned: actual }, expect, lang);
  if (verdict.ok) return;
  if (mistakes) {
    const key = createHash("sha1")
      .update(JSON.stringify([mistakes.args, expect]))
      .digest("hex");
    const set = fixture(`misconceptions/${mistakes.catalogue.exercise}/${key}`, () => computeVariantSet(mistakes.catalogue, mistakes.args, expect));
    const named = nameMistake(actual, set, mistakes.catalogue, expect, verdict.message, lang);
    if (named) throw new GradingFailure(named.message, named.id);
  }
  throw new GradingFailure(verdict.message);
}

/**
 * Numeric result within a relative tolerance (default 1e-5, float32-friendly). With `mistakes`
 * (`known(catalogue, ...args)`), a failing result that matches a catalogued mistake is named.
 */
export function expectClose(actual: unknown, expected: Extract<Expectation, { kind: "close" }>["value"], tolerance?: number, mistakes?: KnownMistakes): void {
  assertResult(actual, { kind: "close", value: expected, tolerance }, mistakes);
}

/** Exact structural equality; `mistakes` as for expectClose. */
export function expectEqual(actual: unknown, expected: unknown, mistakes?: KnownMistakes): void {
  assertResult(actual, { kind: "equal", value: expected }, mistakes);
}

/** The learner call must throw an error named `errorName`. Other failures pass through. */
export async function expectThrows(pending: Promise<unknown>, errorName: string): Promise<void> {
  let result: CallResult;
  try {
    result = { returned: await pending };
  } catch (err) {
    if (!(err instanceof LearnerThrew)) throw err;
    result = { threw: err.thrown };
  }
  assertVerdict(result, { kind: "throws", errorName });
}

/** Fail with a learner-facing message unless `condition` holds: one text, or one per language. */
export function ensure(condition: unknown, text: string | Localized): asserts condition {
  if (!condition) throw new GradingFailure(typeof text === "string" ? text : text[lang]);
}

declare const describe: (name: string, body: () => void) => void;
declare const test: (name: string, body: () => Promise<void> | void, timeout?: number) => void;

/** Group the tests of one exercise; `name` is the function's name. */
export function exercise(name: string, body: () => void): void {
  describe(name, body);
}

/** The marker the grader reads a test's points from; it is removed from the reported name. */
export const POINTS_MARKER = /\s\[(\d+(?:\.\d+)?) pts?\]$/;

/** One graded test worth `points`. */
export function graded(title: string, points: number, body: () => Promise<void> | void): void {
  if (!(points >= 0)) throw new Error(`graded("${title}"): points must be a number >= 0`);
  test(`${title} [${points} ${points === 1 ? "pt" : "pts"}]`, body);
}
