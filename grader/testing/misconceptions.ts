/**
 * Misconceptions named in feedback. Beside its hidden tests, an assignment keeps a catalogue of
 * each exercise's common mistakes, written as buggy variants of the reference ("forms": the ways
 * a mistake is usually written). When a learner's result fails a test, it is compared with every
 * variant's result on the same input; if it matches the variants of exactly one mistake, the
 * feedback names that mistake and says what to check.
 *
 * Everything here works on plain data in the Jest process: learner code is never run. A variant
 * is only used on an input where it stands far apart (SEPARATION) from the expected result and
 * from every other mistake's variants, so that a match within the test's tolerance is
 * unambiguous; what was left out, and why, is kept for the catalogue's audit.
 *
 * The sentences are the assignment's own messages, one table per language, filled by the kit's
 * message formatter like its own catalogue.
 */
import { Expectation, judge } from "@course-kit/kernel-helpers/checks";
import { formatTemplate, Language, LANGUAGES, message, placeholdersOf } from "@course-kit/kernel-helpers/messages";
import { compareArrays, NestedNumbers } from "@course-kit/kernel-helpers/tensor";

/** Values a feedback sentence interpolates, e.g. { stride: 2 } for "... (stride {stride} here)". */
export type Params = Record<string, string | number>;

/** What code that makes a mistake returns on one call, and values for its feedback sentence. */
export interface Variant {
  value: unknown;
  params?: Params;
}

export interface Misconception<A extends unknown[]> {
  /** Stable id, unique within the exercise; the grade data carries `<exercise>/<id>`. */
  id: string;
  /** Instructor-facing name, for reports ("bias missing"). */
  name: string;
  /** Values for the feedback sentence that follow from the call's arguments alone. */
  params?: (...args: A) => Params;
  /**
   * The ways the mistake is commonly written. Each returns what such code returns on these
   * arguments, or undefined where it would not return a value (it would throw, or the mistake
   * cannot be written for these arguments). A form that does not change the result on some
   * input is simply not used there.
   */
  forms: ((...args: A) => Variant | undefined)[];
}

/** One exercise's catalogue: the mistakes, and the learner-facing sentences of each in one place. */
export interface Catalogue<A extends unknown[]> {
  exercise: string;
  misconceptions: Misconception<A>[];
  /**
   * Per language, a sentence per misconception id; `{name}` is filled from the variant's params.
   * Every language has a sentence for every mistake, with the same placeholders.
   */
  feedback: Record<Language, Record<string, string>>;
}

/**
 * What is wrong with a catalogue's sentences: a mistake without a sentence in some language, a
 * sentence without a mistake, or placeholders that differ between languages. Empty when sound.
 */
export function catalogueProblems(catalogue: Catalogue<any>): string[] {
  const problems: string[] = [];
  const ids = catalogue.misconceptions.map((m) => m.id);
  const sentence = (lang: Language, id: string): string | undefined => catalogue.feedback[lang]?.[id];
  for (const lang of LANGUAGES) {
    for (const id of ids) if (sentence(lang, id) === undefined) problems.push(`${catalogue.exercise}/${id}: no ${lang} sentence`);
    for (const id of Object.keys(catalogue.feedback[lang] ?? {}))
      if (!ids.includes(id)) problems.push(`${catalogue.exercise}/${id}: a ${lang} sentence for no mistake`);
  }
  // Every translation fills the placeholders the English sentence has.
  for (const id of ids) {
    const english = sentence("en", id);
    if (english === undefined) continue;
    const want = placeholdersOf(english).sort().join(", ");
    for (const lang of LANGUAGES) {
      const text = sentence(lang, id);
      const got = text === undefined ? want : placeholdersOf(text).sort().join(", ");
      if (got !== want) problems.push(`${catalogue.exercise}/${id}: ${lang} has placeholders {${got}}, en has {${want}}`);
    }
  }
  return problems;
}

/** A catalogue and the arguments of one checked call, as handed to expectClose / expectEqual. */
export interface KnownMistakes {
  catalogue: Catalogue<any>;
  args: unknown[];
}

const sound = new WeakSet<Catalogue<any>>();

/**
 * `known(catalogue, ...args)`: the mistakes to look for when the call with these arguments fails.
 * A catalogue whose sentences are incomplete fails every test that uses it, the solution's too, so
 * `tsnb validate` reports it before any learner is graded.
 */
export function known<A extends unknown[]>(catalogue: Catalogue<A>, ...args: A): KnownMistakes {
  if (!sound.has(catalogue)) {
    const problems = catalogueProblems(catalogue);
    if (problems.length) throw new Error(`misconception catalogue of ${catalogue.exercise}: ${problems.join("; ")}`);
    sound.add(catalogue);
  }
  return { catalogue, args };
}

/** A comparison a variant is judged by: the test's own expectation, minus `throws`. */
export type ResultExpectation = Extract<Expectation, { kind: "close" | "equal" }>;

/** Smallest difference (largest relative error, as compareArrays measures it) that tells two results apart. */
export const SEPARATION = 1e-2;
/** A test whose tolerance is this close to SEPARATION cannot name mistakes reliably. */
const MAX_TOLERANCE = SEPARATION / 100;

export interface VariantResult {
  /** `<exercise>/<misconception id>`. */
  id: string;
  params: Params;
  value: unknown;
}

export type ExclusionReason =
  /** The form gives the expected result on this input: the mistake does not show here. */
  | "same-as-expected"
  /** Fails the test, but within SEPARATION of the expected result. */
  | "too-close-to-expected"
  /** Within SEPARATION of another mistake's variant: a match could not say which. */
  | "ambiguous"
  /** The form itself threw: a bug in the catalogue. */
  | "failed";

export interface VariantSet {
  /** What the test compares with, and how (kept for the catalogue's audit). */
  expect: ResultExpectation;
  results: VariantResult[];
  excluded: { id: string; form: number; reason: ExclusionReason; detail?: string }[];
}

function tolerance(expect: ResultExpectation): number {
  return expect.kind === "close" ? (expect.tolerance ?? 1e-5) : 0;
}

/** Largest relative error between two numeric results (Infinity when they cannot be compared). */
function numericDistance(a: unknown, b: NestedNumbers): number {
  const c = compareArrays(a, b, { tolerance: 0 });
  return c.ok ? 0 : (c.maxRelError ?? Infinity);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * How far `a` is from `b` under the expectation's kind: for `close`, the largest relative error
 * over the keys the test compares; for `equal`, 0 or Infinity.
 */
export function distance(a: unknown, b: unknown, kind: ResultExpectation["kind"]): number {
  if (kind === "equal") {
    const same = judge({ returned: a }, { kind: "equal", value: b }).ok && judge({ returned: b }, { kind: "equal", value: a }).ok;
    return same ? 0 : Infinity;
  }
  if (!isRecord(b)) return numericDistance(a, b as NestedNumbers);
  if (!isRecord(a)) return Infinity;
  let worst = 0;
  for (const key of Object.keys(b)) worst = Math.max(worst, numericDistance(a[key], b[key] as NestedNumbers));
  return worst;
}

/** Keep only the keys the test compares (a test of `db` alone compares a variant's `db` alone). */
function projected(value: unknown, expected: unknown): unknown {
  if (!isRecord(expected) || !isRecord(value)) return value;
  return Object.fromEntries(Object.keys(expected).map((k) => [k, value[k]]));
}

function copy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * Every form's result on one call, keeping those that stand apart from the expected result and
 * from every other mistake's results. Plain JSON data: it is computed once per grading process.
 */
export function computeVariantSet(catalogue: Catalogue<any>, args: unknown[], expect: ResultExpectation): VariantSet {
  const tol = tolerance(expect);
  const kept: VariantResult[] = [];
  const excluded: VariantSet["excluded"] = [];
  for (const m of catalogue.misconceptions) {
    const id = `${catalogue.exercise}/${m.id}`;
    const common = m.params ? m.params(...copy(args)) : {};
    m.forms.forEach((form, i) => {
      let variant: Variant | undefined;
      try {
        variant = form(...copy(args));
      } catch (err) {
        excluded.push({ id, form: i, reason: "failed", detail: (err as Error).message });
        return;
      }
      if (variant === undefined) return;
      const value = copy(projected(variant.value, expect.value));
      const d = distance(value, expect.value, expect.kind);
      if (d <= tol) return void excluded.push({ id, form: i, reason: "same-as-expected" });
      if (d < SEPARATION) return void excluded.push({ id, form: i, reason: "too-close-to-expected", detail: `distance ${d}` });
      // Two forms of one mistake that agree here are one variant.
      if (kept.some((k) => k.id === id && distance(value, k.value, expect.kind) <= tol)) return;
      kept.push({ id, params: { ...common, ...variant.params }, value });
    });
  }
  const ambiguous = new Set<VariantResult>();
  for (let i = 0; i < kept.length; i++) {
    for (let j = i + 1; j < kept.length; j++) {
      if (kept[i].id === kept[j].id) continue;
      const d = Math.min(distance(kept[i].value, kept[j].value, expect.kind), distance(kept[j].value, kept[i].value, expect.kind));
      if (d < SEPARATION) {
        ambiguous.add(kept[i]).add(kept[j]);
        excluded.push({ id: kept[i].id, form: -1, reason: "ambiguous", detail: `within ${d} of ${kept[j].id}` });
      }
    }
  }
  return { expect, results: kept.filter((k) => !ambiguous.has(k)), excluded };
}

export interface NamedMistake {
  id: string;
  message: string;
}

/**
 * The mistake a failing result shows, if it matches the variants of exactly one mistake within
 * the test's own tolerance; `detail` is the usual failure message. The message is in `lang`.
 */
export function nameMistake(
  actual: unknown,
  set: VariantSet,
  catalogue: Catalogue<any>,
  expect: ResultExpectation,
  detail: string,
  lang: Language = "en",
): NamedMistake | undefined {
  if (tolerance(expect) > MAX_TOLERANCE) return undefined;
  const matches = set.results.filter((r) => judge({ returned: actual }, { ...expect, value: r.value } as Expectation).ok);
  if (matches.length === 0 || matches.some((m) => m.id !== matches[0].id)) return undefined;
  const match = matches[0];
  const local = match.id.slice(catalogue.exercise.length + 1);
  const feedback = formatTemplate(catalogue.feedback[lang][local], match.params);
  return { id: match.id, message: message(lang, "mistake.named", { feedback, detail }) };
}
