/**
 * Public check cases: the few test cases learners see, used in three places with one meaning:
 * the check cell after each exercise (run in the notebook's kernel), `tsnb check` (run against
 * the sandboxed notebook code), and the hidden tests' assertions (`judge` gives both the same
 * verdicts and messages). This module is dependency-free apart from tensor.ts and the message
 * catalogue; its messages are in English unless a `lang` is given.
 */
import { Language, message } from "./messages";
import { compareArrays, NestedNumbers, previewValue } from "./tensor";

export type Expectation =
  /** Numeric result (nested arrays, or an object of them such as { dx, dw, db }) within a relative tolerance. */
  | { kind: "close"; value: NestedNumbers | Record<string, NestedNumbers>; tolerance?: number }
  /** Exact structural equality (numbers compared with ===), e.g. describeNetwork's summaries. */
  | { kind: "equal"; value: unknown }
  /** The call must throw an error with this name, e.g. "RangeError". */
  | { kind: "throws"; errorName: string };

export interface PublicCase {
  exercise: string;
  name: string;
  args: unknown[];
  expect: Expectation;
}

/** What a call did: returned a value or threw. `where` locates the throw in the learner's code. */
export type CallResult = { returned: unknown } | { threw: { name: string; message: string; where?: string } };

export interface Verdict {
  ok: boolean;
  message: string;
}

/** Where a difference is: "" at the top (the message needs no prefix), else "[0].outputShape: ". */
function at(path: string): string {
  return path ? `${path}: ` : "";
}

/** The first place where `actual` differs from `expected`, showing the learner's value there. */
function firstDifference(actual: unknown, expected: unknown, path: string, lang: Language): string | undefined {
  if (typeof expected === "number" || typeof expected === "string" || typeof expected === "boolean" || expected === null) {
    if (Object.is(actual, expected) || actual === expected) return undefined;
    return at(path) + message(lang, "judge.expectedValue", { expected: JSON.stringify(expected), actual: previewValue(actual, lang) });
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return at(path) + message(lang, "judge.expectedArray", { length: expected.length, actual: previewValue(actual, lang) });
    if (actual.length !== expected.length) {
      return at(path) + message(lang, "judge.entries", { expected: expected.length, actual: actual.length, preview: previewValue(actual, lang) });
    }
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(actual[i], expected[i], `${path}[${i}]`, lang);
      if (d) return d;
    }
    return undefined;
  }
  if (typeof expected === "object") {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
      return at(path) + message(lang, "judge.expectedObject", { actual: previewValue(actual, lang) });
    }
    for (const key of Object.keys(expected)) {
      const d = firstDifference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], path ? `${path}.${key}` : key, lang);
      if (d) return d;
    }
    return undefined;
  }
  return undefined;
}

function isNumericTree(v: unknown): v is NestedNumbers {
  return typeof v === "number" || Array.isArray(v);
}

/** Judge one call result against an expectation; the message is safe and useful to show learners. */
export function judge(result: CallResult, expect: Expectation, lang: Language = "en"): Verdict {
  if ("threw" in result) {
    const { name, message: text, where } = result.threw;
    const thrown = { name, message: text, where: where ? ` (${where})` : "" };
    if (expect.kind === "throws") {
      return name === expect.errorName
        ? { ok: true, message: message(lang, "judge.threwAsExpected", { name }) }
        : { ok: false, message: message(lang, "judge.threwOther", { expected: expect.errorName, ...thrown }) };
    }
    return { ok: false, message: message(lang, "judge.threw", thrown) };
  }
  const actual = result.returned;
  switch (expect.kind) {
    case "throws":
      return { ok: false, message: message(lang, "judge.returned", { expected: expect.errorName, actual: previewValue(actual, lang) }) };
    case "equal": {
      const diff = firstDifference(actual, expect.value, "", lang);
      return diff ? { ok: false, message: diff } : { ok: true, message: message(lang, "judge.equal") };
    }
    case "close": {
      if (isNumericTree(expect.value)) return compareArrays(actual, expect.value, { tolerance: expect.tolerance, name: "result", lang });
      if (typeof actual !== "object" || actual === null || Array.isArray(actual)) {
        return {
          ok: false,
          message: message(lang, "judge.expectedObjectWith", { keys: Object.keys(expect.value).join(", "), actual: previewValue(actual, lang) }),
        };
      }
      const notes: string[] = [];
      for (const [key, value] of Object.entries(expect.value)) {
        const c = compareArrays((actual as Record<string, unknown>)[key], value, { tolerance: expect.tolerance, name: key, lang });
        if (!c.ok) return { ok: false, message: `${key}: ${c.message}` };
        notes.push(`${key} ${c.message}`);
      }
      return { ok: true, message: notes.join("; ") };
    }
  }
}

/** A deep copy through JSON, so a learner's function cannot change a case's arguments. */
function copyArgs(args: unknown[]): unknown[] {
  return JSON.parse(JSON.stringify(args)) as unknown[];
}

export interface CaseOutcome {
  name: string;
  ok: boolean;
  message: string;
}

/** Run cases directly on a function (inside the notebook kernel). Never throws. */
export function runCases(cases: PublicCase[], fn: (...args: never[]) => unknown, lang: Language = "en"): CaseOutcome[] {
  return cases.map((c) => {
    let result: CallResult;
    try {
      result = { returned: (fn as (...args: unknown[]) => unknown)(...copyArgs(c.args)) };
    } catch (err) {
      const e = err as { name?: unknown; message?: unknown };
      result = { threw: { name: typeof e?.name === "string" ? e.name : "Error", message: typeof e?.message === "string" ? e.message : String(err) } };
    }
    return { name: c.name, ...judge(result, c.expect, lang) };
  });
}
