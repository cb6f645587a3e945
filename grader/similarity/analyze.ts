/**
 * The similarity report's data: per exercise, every pair of learners ranked by similarity, its
 * robust z-score against that exercise's spread, whether it is flagged, and for the pairs the
 * report shows in detail, the fragments the two share. Rendering lives in html.ts and csv.ts.
 *
 * A class of 300 has 44,850 pairs per exercise, so pairs are kept as columns of typed arrays
 * (one object per pair made the garbage collector the largest cost); RankedPair objects are made
 * for the pairs that are shown or asked for.
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
  similarity: number;
  z: number;
  flagged: boolean;
  /** Dolos' longest common run of fingerprints, and the shared fragments (longest first); for the pairs shown in detail. */
  longest?: number;
  fragments?: SharedFragment[];
}

/** An exercise's pairs, most similar first: entry i is the pair ranked i + 1. */
export interface PairTable {
  count: number;
  /** The two learners, as indices into SimilarityReport.learners. */
  a: Uint32Array;
  b: Uint32Array;
  similarity: Float64Array;
  z: Float64Array;
  flagged: Uint8Array;
  /** Entry of the pair of learners i < j at [i * learners + j], or -1 when they were not compared. */
  entryOf: Int32Array;
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
  pairs: PairTable;
  /** Flagged pairs (up to maxDetailed) and the top ones, with fragments. */
  detailed: RankedPair[];
}

export interface SimilarityReport {
  assignment: string;
  learners: string[];
  /** Learners of earlier terms (--archive): paired with the class's learners only. */
  archived: string[];
  exercises: ExerciseResult[];
  unreadable: ClassSolutions["unreadable"];
  options: AnalysisOptions;
}

/** The pair at entry i (rank i + 1) of an exercise, as an object. */
export function pairAt(report: SimilarityReport, ex: ExerciseResult, i: number): RankedPair {
  const t = ex.pairs;
  return {
    exercise: ex.exercise.name,
    rank: i + 1,
    a: report.learners[t.a[i]],
    b: report.learners[t.b[i]],
    similarity: t.similarity[i],
    z: t.z[i],
    flagged: t.flagged[i] === 1,
  };
}

/** Entries of an exercise's flagged pairs, most similar first. */
export function flaggedEntries(ex: ExerciseResult): number[] {
  const out: number[] = [];
  for (let i = 0; i < ex.pairs.count; i++) if (ex.pairs.flagged[i]) out.push(i);
  return out;
}

/** The same two learners' pair in every exercise, for "their other exercises". */
export function pairIndex(report: SimilarityReport): (ex: ExerciseResult, a: string, b: string) => RankedPair | undefined {
  const index = new Map(report.learners.map((l, i) => [l, i]));
  const n = report.learners.length;
  return (ex, a, b) => {
    const [i, j] = [index.get(a)!, index.get(b)!];
    const entry = ex.pairs.entryOf[i < j ? i * n + j : j * n + i];
    return entry < 0 ? undefined : pairAt(report, ex, entry);
  };
}

export function analyzeClass(
  assignment: string,
  solutions: ClassSolutions,
  options: AnalysisOptions = ANALYSIS_DEFAULTS,
  onExercise: (exercise: string) => void = () => undefined,
): SimilarityReport {
  const learners = solutions.learners;
  const learnerIndex = new Map(learners.map((l, i) => [l, i]));
  const report: SimilarityReport = { assignment, learners, archived: solutions.archived, exercises: [], unreadable: solutions.unreadable, options };
  const archived = new Set(solutions.archived);
  for (const ex of solutions.exercises) {
    const comparison = compareSolutions(ex.solutions, ex.template, options.dolos);
    const names = comparison.learners;
    const n = names.length;
    // Two earlier terms' submissions are not a pair of this class: they are neither reported nor
    // part of the spread that flags the class's pairs.
    const old = Uint8Array.from(names, (name) => (archived.has(name) ? 1 : 0));
    const m = old.reduce((s, x) => s + x, 0);
    const count = (n * (n - 1)) / 2 - (m * (m - 1)) / 2;
    const [left, right, similarity] = [new Uint32Array(count), new Uint32Array(count), new Float64Array(count)];
    for (let a = 0, k = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        if (old[a] && old[b]) continue;
        [left[k], right[k], similarity[k]] = [a, b, comparison.similarity(a, b)];
        k++;
      }
    }
    const spread = spreadOf(similarity, options.minZ);
    // Most similar first; ties in name order (ranks of the names, compared as numbers).
    const nameRank = new Uint32Array(n);
    [...names.keys()].sort((x, y) => (names[x] < names[y] ? -1 : names[x] > names[y] ? 1 : 0)).forEach((i, r) => (nameRank[i] = r));
    const order = new Uint32Array(count)
      .map((_, k) => k)
      .sort((x, y) => similarity[y] - similarity[x] || nameRank[left[x]] - nameRank[left[y]] || nameRank[right[x]] - nameRank[right[y]]);
    const global = names.map((name) => learnerIndex.get(name)!);
    const table: PairTable = {
      count,
      a: new Uint32Array(count),
      b: new Uint32Array(count),
      similarity: new Float64Array(count),
      z: new Float64Array(count),
      flagged: new Uint8Array(count),
      entryOf: new Int32Array(learners.length * learners.length).fill(-1),
    };
    order.forEach((k, i) => {
      const [ga, gb] = [global[left[k]], global[right[k]]];
      [table.a[i], table.b[i], table.similarity[i]] = [ga, gb, similarity[k]];
      table.z[i] = robustZ(similarity[k], spread);
      table.flagged[i] = isFlagged(similarity[k], spread) ? 1 : 0;
      table.entryOf[ga < gb ? ga * learners.length + gb : gb * learners.length + ga] = i;
    });
    const own = new Set(names);
    const result: ExerciseResult = {
      exercise: ex.exercise,
      template: ex.template,
      sources: new Map(ex.solutions.filter((s) => own.has(s.learner)).map((s) => [s.learner, s.source])),
      compared: names,
      withoutOwnCode: comparison.withoutOwnCode,
      missing: ex.missing,
      spread,
      pairs: table,
      detailed: [],
    };
    const shown = new Set([...flaggedEntries(result).slice(0, options.maxDetailed), ...Array.from({ length: Math.min(options.top, count) }, (_, i) => i)]);
    result.detailed = [...shown].sort((x, y) => x - y).map((i) => ({ ...pairAt(report, result, i), ...comparison.details(left[order[i]], right[order[i]]) }));
    report.exercises.push(result);
    onExercise(ex.exercise.name);
  }
  return report;
}
