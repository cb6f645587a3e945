/**
 * The similarity report's data: per exercise, every pair of learners ranked by similarity, its
 * robust z-score against that exercise's spread, whether it is flagged, and for the pairs the
 * report shows in detail, the fragments the two share. Rendering lives in html.ts and csv.ts.
 */
import type { Exercise } from "../assignment/load";
import type { ClassSolutions } from "./collect";
import { compareSolutions, DolosParameters, DOLOS_DEFAULTS, SharedFragment } from "./compare";
import { DEFAULT_MIN_Z, isFlagged, robustZ, Spread, spreadOf } from "./spread";

export interface AnalysisOptions {
  dolos: DolosParameters;
  /** Robust z-score from which a pair is flagged. */
  minZ: number;
  /** Pairs per exercise shown in detail (with fragments) besides the flagged ones. */
  top: number;
  /** At most this many flagged pairs per exercise are shown in detail; the CSV has them all. */
  maxDetailed: number;
}

export const ANALYSIS_DEFAULTS: AnalysisOptions = { dolos: DOLOS_DEFAULTS, minZ: DEFAULT_MIN_Z, top: 5, maxDetailed: 50 };

export interface RankedPair {
  exercise: string;
  /** 1 is the most similar pair of its exercise. */
  rank: number;
  a: string;
  b: string;
  /** The two learners, whatever the order, across exercises (see SimilarityReport.keyOf). */
  key: number;
  similarity: number;
  z: number;
  flagged: boolean;
  /** Dolos' longest common run of fingerprints, and the shared fragments (longest first); for the pairs shown in detail. */
  longest?: number;
  fragments?: SharedFragment[];
}

export interface ExerciseResult {
  exercise: Exercise;
  template: string;
  /** Learner → solution source, for the learners compared. */
  sources: Map<string, string>;
  compared: string[];
  /** Left as the stub (or nothing beyond it that can be fingerprinted). */
  withoutOwnCode: string[];
  missing: string[];
  spread: Spread;
  /** All pairs, most similar first. */
  pairs: RankedPair[];
  byKey: Map<number, RankedPair>;
  /** Flagged pairs (up to maxDetailed) and the top ones, with fragments. */
  detailed: RankedPair[];
}

export interface SimilarityReport {
  assignment: string;
  learners: string[];
  exercises: ExerciseResult[];
  unreadable: ClassSolutions["unreadable"];
  options: AnalysisOptions;
  /** The key of two learners' pairs (the same in every exercise). */
  keyOf(a: string, b: string): number;
}

/** The same two learners' pair in every exercise, for "their other exercises". */
export function pairIndex(report: SimilarityReport): (exercise: string, a: string, b: string) => RankedPair | undefined {
  const byExercise = new Map(report.exercises.map((e) => [e.exercise.name, e.byKey]));
  return (exercise, a, b) => byExercise.get(exercise)?.get(report.keyOf(a, b));
}

export function analyzeClass(
  assignment: string,
  solutions: ClassSolutions,
  options: AnalysisOptions = ANALYSIS_DEFAULTS,
  onExercise: (exercise: string) => void = () => undefined,
): SimilarityReport {
  const learnerIndex = new Map(solutions.learners.map((l, i) => [l, i]));
  const n = solutions.learners.length;
  const keyOf = (a: string, b: string) => {
    const [i, j] = [learnerIndex.get(a)!, learnerIndex.get(b)!];
    return i < j ? i * n + j : j * n + i;
  };
  const exercises = solutions.exercises.map((ex): ExerciseResult => {
    const comparison = compareSolutions(ex.solutions, ex.template, options.dolos);
    const names = comparison.learners;
    const n = names.length;
    const count = (n * (n - 1)) / 2;
    const [left, right, similarity] = [new Uint32Array(count), new Uint32Array(count), new Float64Array(count)];
    for (let a = 0, k = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++, k++) [left[k], right[k], similarity[k]] = [a, b, comparison.similarity(a, b)];
    }
    const spread = spreadOf(similarity, options.minZ);
    // Most similar first; ties in name order (ranks of the names, compared as numbers).
    const nameRank = new Uint32Array(n);
    [...names.keys()].sort((x, y) => (names[x] < names[y] ? -1 : names[x] > names[y] ? 1 : 0)).forEach((i, r) => (nameRank[i] = r));
    const order = new Uint32Array(count).map((_, k) => k).sort(
      (x, y) => similarity[y] - similarity[x] || nameRank[left[x]] - nameRank[left[y]] || nameRank[right[x]] - nameRank[right[y]],
    );
    const global = names.map((name) => learnerIndex.get(name)!);
    const pairs = Array.from(order, (k, i): RankedPair => {
      const [ga, gb] = [global[left[k]], global[right[k]]];
      return {
        exercise: ex.exercise.name,
        rank: i + 1,
        a: names[left[k]],
        b: names[right[k]],
        key: ga < gb ? ga * solutions.learners.length + gb : gb * solutions.learners.length + ga,
        similarity: similarity[k],
        z: robustZ(similarity[k], spread),
        flagged: isFlagged(similarity[k], spread),
      };
    });
    const flagged = new Set(pairs.filter((p) => p.flagged).slice(0, options.maxDetailed));
    const detailed = pairs.filter((p, i) => i < options.top || flagged.has(p));
    for (const p of detailed) {
      const k = order[p.rank - 1];
      Object.assign(p, comparison.details(left[k], right[k]));
    }
    onExercise(ex.exercise.name);
    const own = new Set(names);
    return {
      exercise: ex.exercise,
      template: ex.template,
      sources: new Map(ex.solutions.filter((s) => own.has(s.learner)).map((s) => [s.learner, s.source])),
      compared: names,
      withoutOwnCode: comparison.withoutOwnCode,
      missing: ex.missing,
      spread,
      pairs,
      byKey: new Map(pairs.map((p) => [p.key, p])),
      detailed,
    };
  });
  return { assignment, learners: solutions.learners, exercises, unreadable: solutions.unreadable, options, keyOf };
}
