/**
 * Week 7's misconception catalogue against its hidden tests, run in-process with a scripted
 * learner (tests/support/hidden-test-harness.ts). For every checked call of every hidden test:
 * - each mistake's variants stand far apart from the expected result and from every other
 *   mistake's variants (a match within the test's tolerance is unambiguous);
 * - answering with a variant's result gets that mistake named, also in float32;
 * - answering with perturbations of the expected result or of any variant (scaled, shifted,
 *   noisy, one value changed) never gets a mistake named;
 * and every catalogued mistake shows on at least one hidden test.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { createRng } from "@course-kit/kernel-helpers/random";
import { reference } from "@course-kit/kernel-helpers/reference";
import { NestedNumbers, relError, shapeOf } from "@course-kit/kernel-helpers/tensor";
import { loadAssignment } from "../../grader/assignment/load";
import { Catalogue, catalogueProblems, known, SEPARATION, VariantSet } from "../../grader/testing/misconceptions";
import { Answer, HiddenTest, loadHiddenTests, loadModule, returned } from "../support/hidden-test-harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const CATALOGUE = path.join(WEEK7, "hidden-tests", "misconceptions.ts");

/** The instructor's kernels as the learner. */
const referenceAnswer: Answer = (_i, fn, args) => {
  try {
    return returned((reference as unknown as Record<string, (...a: unknown[]) => unknown>)[fn](...args));
  } catch (err) {
    return { kind: "threw", name: (err as Error).name, message: (err as Error).message, output: "", ms: 0 };
  }
};

/** Answer call `k` with `value`, every other call as the reference does. */
const answering =
  (k: number, value: unknown): Answer =>
  (i, fn, args) =>
    i === k ? returned(value) : referenceAnswer(i, fn, args);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Largest relative error between two results (Infinity when their shapes differ); exact equality for `equal` tests. */
function apart(a: unknown, b: unknown, kind: "close" | "equal"): number {
  if (kind === "equal") return JSON.stringify(a) === JSON.stringify(b) ? 0 : Infinity;
  if (isRecord(b)) return isRecord(a) ? Math.max(0, ...Object.keys(b).map((k) => apart(a[k], b[k], kind))) : Infinity;
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (!sa || !sb || sa.join() !== sb.join()) return Infinity;
  return relError(a as NestedNumbers, b as NestedNumbers);
}

/** Apply `f` to every number of a result (numeric trees and records of them). */
function mapNumbers(v: unknown, f: (x: number, i: number) => number): unknown {
  let i = 0;
  const walk = (node: unknown): unknown =>
    typeof node === "number"
      ? f(node, i++)
      : Array.isArray(node)
        ? node.map(walk)
        : isRecord(node)
          ? Object.fromEntries(Object.entries(node).map(([k, x]) => [k, walk(x)]))
          : node;
  return walk(v);
}

function countNumbers(v: unknown): number {
  let n = 0;
  mapNumbers(v, (x) => (n++, x));
  return n;
}

/** Wrong answers near `v` that no catalogued mistake explains. */
function perturbations(v: unknown, kind: "close" | "equal", seed: number): { what: string; value: unknown }[] {
  if (kind === "close") {
    const rng = createRng(seed);
    const middle = Math.floor(countNumbers(v) / 2);
    return [
      { what: "scaled by 1.001", value: mapNumbers(v, (x) => x * 1.001) },
      { what: "shifted by 0.05", value: mapNumbers(v, (x) => x + 0.05) },
      { what: "noise of 0.01", value: mapNumbers(v, (x) => x + 0.01 * rng.normal()) },
      { what: "one value changed", value: mapNumbers(v, (x, i) => (i === middle ? x + 0.5 : x)) },
    ];
  }
  if (typeof v === "number")
    return [
      { what: "+2", value: v + 2 },
      { what: "x3", value: v * 3 },
      { what: "-3", value: v - 3 },
    ];
  const layers = v as { name: string; outputShape: number[]; params: number }[];
  const edit = (i: number, change: (l: (typeof layers)[number]) => object) => layers.map((l, j) => (j === i ? { ...l, ...change(l) } : l));
  return [
    { what: "last layer's params + 1", value: edit(layers.length - 1, (l) => ({ params: l.params + 1 })) },
    { what: "first layer's height + 1", value: edit(0, (l) => ({ outputShape: [l.outputShape[0] + 1, ...l.outputShape.slice(1)] })) },
    { what: "last layer left out", value: layers.slice(0, -1) },
  ];
}

interface Probe {
  test: HiddenTest;
  call: number;
  set: VariantSet;
}

describe("week 7 misconception catalogue against the hidden tests", function () {
  this.timeout(300_000);
  const assignment = loadAssignment(WEEK7);
  const harness = loadHiddenTests(assignment.hiddenTests);
  const catalogues = Object.values(loadModule(CATALOGUE)).filter((v): v is Catalogue<unknown[]> => isRecord(v) && "misconceptions" in v);
  const probes: Probe[] = [];
  const where = (p: Probe) => `${p.test.exercise}: ${p.test.title} (call ${p.call + 1})`;
  const kindOf = (p: Probe) => p.set.expect.kind;
  const tolOf = (p: Probe) => (p.set.expect.kind === "close" ? (p.set.expect.tolerance ?? 1e-5) : 0);

  before(async () => {
    for (const test of harness.tests) {
      const base = await test.run(referenceAnswer);
      assert.ok(base.passed, `${test.exercise}: ${test.title} fails with the reference kernels: ${base.error?.message}`);
      for (let k = 0; k < base.calls.length; k++) {
        // A result that fails every test makes the test compute the call's variants.
        const run = await test.run(answering(k, "not a result"));
        assert.ok(!run.passed && !run.error?.misconception);
        const key = run.fixtures.find((f) => f.startsWith("misconceptions/"));
        if (key) probes.push({ test, call: k, set: harness.fixture(key) as VariantSet });
      }
    }
  });

  it("finds the hidden tests and the catalogues of all nine exercises", () => {
    for (const ex of assignment.exercises)
      assert.ok(
        harness.tests.some((t) => t.exercise === ex.name),
        ex.name,
      );
    assert.deepEqual(catalogues.map((c) => c.exercise).sort(), assignment.exercises.map((e) => e.name).sort());
    assert.ok(probes.length >= 45, `${probes.length} checked calls`);
    for (const test of harness.tests.filter((t) => !/throws/.test(t.title))) {
      assert.ok(
        probes.some((p) => p.test === test),
        `${test.exercise}: ${test.title} looks for no mistakes`,
      );
    }
  });

  it("has a sentence for every mistake in English and in Korean, with the same placeholders, and no sentence without one", () => {
    const placeholders = (sentence: string) => [...new Set(sentence.match(/\{\w+\}/g) ?? [])].sort();
    for (const c of catalogues) {
      const ids = c.misconceptions.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, `${c.exercise}: duplicate ids`);
      assert.deepEqual(Object.keys(c.feedback).sort(), ["en", "ko"], c.exercise);
      assert.deepEqual(Object.keys(c.feedback.en).sort(), [...ids].sort(), `${c.exercise}: en`);
      assert.deepEqual(Object.keys(c.feedback.ko).sort(), [...ids].sort(), `${c.exercise}: ko`);
      for (const id of ids) {
        assert.deepEqual(placeholders(c.feedback.ko[id]), placeholders(c.feedback.en[id]), `${c.exercise}/${id}`);
        // Korean sentences are Korean (Hangul), in the notebooks' polite style.
        assert.match(c.feedback.ko[id], /[가-힣]/, `${c.exercise}/${id}`);
        assert.match(c.feedback.ko[id], /(니다|세요|나요)[.?]/, `${c.exercise}/${id}: ${c.feedback.ko[id]}`);
        assert.doesNotMatch(c.feedback.ko[id], /(?<!니)다\./, `${c.exercise}/${id}: plain -다 ending`);
      }
      assert.deepEqual(catalogueProblems(c), [], c.exercise);
    }
  });

  it("refuses a catalogue whose sentences are incomplete in some language, before any result is judged", () => {
    const base = catalogues.find((c) => c.exercise === "convOutputSize")!;
    const { "pad-once": _dropped, ...ko } = base.feedback.ko;
    const missing = { ...base, feedback: { en: base.feedback.en, ko } };
    assert.deepEqual(catalogueProblems(missing), ["convOutputSize/pad-once: no ko sentence"]);
    const renamed = { ...base, feedback: { en: base.feedback.en, ko: { ...base.feedback.ko, "pad-once": "pad {padding}: 양쪽에 0을 채웁니다." } } };
    assert.deepEqual(catalogueProblems(renamed), ["convOutputSize/pad-once: ko has placeholders {padding}, en has {pad, twoPad}"]);
    assert.throws(() => known(renamed, 7, 3, 1, 1), /misconception catalogue of convOutputSize: .*pad-once/);
  });

  it("names the mistake in Korean when the grader speaks Korean", async () => {
    const korean = loadHiddenTests(assignment.hiddenTests, "ko");
    const probe = probes.find((p) => p.test.exercise === "conv2dForward" && p.set.results.some((r) => r.id === "conv2dForward/bias-missing"))!;
    const test = korean.tests.find((t) => t.exercise === probe.test.exercise && t.title === probe.test.title)!;
    const variant = probe.set.results.find((r) => r.id === "conv2dForward/bias-missing")!;
    const run = await test.run(answering(probe.call, variant.value));
    assert.equal(run.error?.misconception, "conv2dForward/bias-missing");
    assert.match(
      run.error.message,
      /^출력이 필터마다 정확히 bias만큼 다릅니다\. 모든 출력 값에 `b\[co\]`를 한 번씩 더했나요\? \(최대 상대 오차 \S+ \(위치 (\[\d+\]){4}\): 기댓값 \S+, 반환값 \S+\)$/,
    );
    // A wrong answer no mistake explains gets the usual message, in Korean.
    const unrelated = await test.run(answering(probe.call, "not a result"));
    assert.match(unrelated.error!.message, /^모양이 \[[\d, ]+\]인 배열이어야 하는데 반환값이 "not a result"입니다$/);
    // Every variant answer is named in Korean too, its sentence filled.
    const problems: string[] = [];
    for (const p of probes) {
      const koTest = korean.tests.find((t) => t.exercise === p.test.exercise && t.title === p.test.title)!;
      for (const r of p.set.results) {
        const named = await koTest.run(answering(p.call, r.value));
        const text = named.error?.message ?? "passed";
        if (named.error?.misconception !== r.id || /[{}]/.test(text.replace(/\{ [^}]*\}/g, "")) || !/[가-힣]/.test(text))
          problems.push(`${where(p)}: ${r.id}: ${text}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("keeps every mistake's variants far apart from the expected result and from other mistakes on every checked call", () => {
    const problems: string[] = [];
    for (const p of probes) {
      const tol = tolOf(p);
      assert.ok(tol * 100 <= SEPARATION, `${where(p)}: tolerance ${tol}`);
      for (const e of p.set.excluded)
        if (e.reason !== "same-as-expected")
          problems.push(`${where(p)}: ${e.id}${e.form >= 0 ? ` form ${e.form + 1}` : ""} left out: ${e.reason} ${e.detail ?? ""}`);
      for (const [i, r] of p.set.results.entries()) {
        const d = apart(r.value, p.set.expect.value, kindOf(p));
        if (!(d >= SEPARATION)) problems.push(`${where(p)}: ${r.id} is within ${d} of the expected result`);
        for (const other of p.set.results.slice(i + 1)) {
          const d2 = apart(r.value, other.value, kindOf(p));
          if (other.id !== r.id && !(d2 >= SEPARATION)) problems.push(`${where(p)}: ${r.id} and ${other.id} are within ${d2}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("shows every catalogued mistake on at least one hidden test", () => {
    const shown = new Set(probes.flatMap((p) => p.set.results.map((r) => r.id)));
    const all = catalogues.flatMap((c) => c.misconceptions.map((m) => `${c.exercise}/${m.id}`));
    assert.deepEqual(
      all.filter((id) => !shown.has(id)),
      [],
    );
    assert.equal(all.length, 29);
  });

  it("names the mistake when the learner's result is a variant's, in float64 and in float32", async () => {
    const problems: string[] = [];
    let named = 0;
    for (const p of probes) {
      for (const r of p.set.results) {
        const values = kindOf(p) === "close" ? [r.value, mapNumbers(r.value, Math.fround)] : [r.value];
        for (const value of values) {
          const run = await p.test.run(answering(p.call, value));
          if (run.passed || run.error?.misconception !== r.id) {
            problems.push(`${where(p)}: ${r.id} named ${run.error?.misconception ?? "nothing"} (${run.error?.message ?? "passed"})`);
          } else if (/[{}]/.test(run.error.message) || !run.error.message.endsWith(")")) {
            problems.push(`${where(p)}: ${r.id}: badly filled message: ${run.error.message}`);
          } else named++;
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(named > 100, `${named} named`);
    console.log(`      ${probes.length} checked calls, ${named} variant answers named`);
  });

  it("never names a mistake for wrong answers that are none of the catalogued ones", async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const [n, p] of probes.entries()) {
      const kind = kindOf(p);
      const known = [p.set.expect.value, ...p.set.results.map((r) => r.value)];
      for (const [b, base] of known.entries()) {
        for (const { what, value } of perturbations(base, kind, 1000 * n + b)) {
          // A perturbation that happens to be a catalogued answer (an integer size off by one) is not unrelated.
          if (known.some((k) => apart(value, k, kind) <= Math.max(tolOf(p), 1e-5))) continue;
          const run = await p.test.run(answering(p.call, value));
          checked++;
          if (run.passed || run.error?.misconception) {
            problems.push(
              `${where(p)}: ${b === 0 ? "expected" : p.set.results[b - 1].id} ${what}: ${run.passed ? "passed" : `named ${run.error?.misconception}`}`,
            );
          }
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 500, `${checked} wrong answers checked`);
    console.log(`      ${checked} wrong answers left unnamed`);
  });

  it("builds the max-pool variants on a router that reproduces the reference", () => {
    const { routePoolGradient, firstMaximum } = loadModule(CATALOGUE) as {
      routePoolGradient: (...a: unknown[]) => unknown;
      firstMaximum: (w: number[]) => number[];
    };
    const rng = createRng(5);
    const x = [0, 1].map(() => Array.from({ length: 5 }, () => Array.from({ length: 7 }, () => [Math.round(rng.normal()), rng.normal()])));
    const dout = [0, 1].map(() => Array.from({ length: 2 }, () => Array.from({ length: 3 }, () => [rng.normal(), rng.normal()])));
    assert.deepEqual(routePoolGradient(dout, x, 3, 2, firstMaximum, true), reference.maxPoolBackward(dout, x, 3, 2));
  });
});
