/**
 * One exercise's solutions compared pairwise with Dolos (Ghent University's winnowing checker,
 * npm @dodona/dolos-core): token k-grams are hashed, winnowed to fingerprints, and fingerprints
 * that also occur in the released stub (the template) are ignored, as Dolos does with
 * `--ignore`. dolos-core is an ES module; Node 20.19+ (the kit's minimum) loads it with
 * require(), so this CommonJS module imports it normally.
 */
import { File, FingerprintIndex, Region, TokenizedFile } from "@dodona/dolos-core";
import type { FileEntry, Pair } from "@dodona/dolos-core";
import { Span, Tokenize, tokenizeTypeScript } from "./tokens";

export interface DolosParameters {
  /** Tokens per k-gram (Dolos' default 23). */
  kgramLength: number;
  /** K-grams per winnowing window (Dolos' default 17). */
  kgramsInWindow: number;
  /** Ignore fingerprints found in more than this fraction of the solutions (Dolos' maxFingerprintPercentage). */
  maxFingerprintShare?: number;
}

export const DOLOS_DEFAULTS: DolosParameters = { kgramLength: 23, kgramsInWindow: 17 };

export interface Solution {
  learner: string;
  source: string;
}

export interface PairScore {
  /** Indices into ExerciseComparison.learners, a < b. */
  a: number;
  b: number;
  /** Shared fingerprints over both solutions' own fingerprints (those not in the stub), 0..1. */
  similarity: number;
  /** The longest run of fingerprints the two share in the same order (Dolos' "longest fragment"). */
  longest: number;
}

export interface SharedFragment {
  /** Where the fragment is in learner a's and learner b's solution. */
  a: Span;
  b: Span;
  /** Fingerprints it spans. */
  length: number;
}

export interface ExerciseComparison {
  /** Learners whose solution has code of their own (fingerprints beyond the stub's). */
  learners: string[];
  /** Learners whose solution is the stub, empty, or too short to fingerprint. */
  withoutOwnCode: string[];
  pairs: PairScore[];
  /** The fragments two compared learners share, longest first. */
  fragments(a: number, b: number): SharedFragment[];
}

function spanOf(region: Region): Span {
  return { startRow: region.startRow, startCol: region.startCol, endRow: region.endRow, endCol: region.endCol };
}

/** Fingerprint occurrences of a file that the template (or the share limit) made ignorable. */
function ignoredOccurrences(entry: FileEntry): number {
  let n = 0;
  for (const shared of entry.ignored) n += shared.occurrencesOf(entry.file).length;
  return n;
}

export function compareSolutions(
  solutions: Solution[],
  template: string,
  params: DolosParameters = DOLOS_DEFAULTS,
  tokenize: Tokenize = tokenizeTypeScript,
): ExerciseComparison {
  const toFile = (name: string, source: string): TokenizedFile => {
    const stream = tokenize(source);
    const mapping = stream.spans.map((s) => new Region(s.startRow, s.startCol, s.endRow, s.endCol));
    return new TokenizedFile(new File(name, source), stream.tokens, mapping);
  };
  const maxFiles = params.maxFingerprintShare === undefined ? undefined : Math.max(2, params.maxFingerprintShare * solutions.length);
  const index = new FingerprintIndex(params.kgramLength, params.kgramsInWindow, false, maxFiles);
  const files = solutions.map((s) => toFile(s.learner, s.source));
  index.addFiles(files);
  // After the solutions, as Dolos does: the index ignores the template's fingerprints in the
  // files it already holds.
  index.addIgnoredFile(toFile("(stub)", template));

  const entries = new Map(index.entries().map((e) => [e.file, e]));
  const own: { file: TokenizedFile; ownTotal: number }[] = [];
  const withoutOwnCode: string[] = [];
  files.forEach((file, i) => {
    const entry = entries.get(file)!;
    const ownTotal = entry.kgrams.length - ignoredOccurrences(entry);
    if (ownTotal > 0) own.push({ file, ownTotal });
    else withoutOwnCode.push(solutions[i].learner);
  });

  const pairs: PairScore[] = [];
  for (let a = 0; a < own.length; a++) {
    for (let b = a + 1; b < own.length; b++) {
      const pair = index.getPair(own[a].file, own[b].file);
      // Dolos' Pair.similarity subtracts the left file's ignored count twice and counts distinct
      // fingerprints where it means occurrences; the same ratio is computed here per side.
      const similarity = (pair.leftCovered + pair.rightCovered) / (own[a].ownTotal + own[b].ownTotal);
      pairs.push({ a, b, similarity, longest: pair.longest });
    }
  }

  return {
    learners: own.map((o) => o.file.path),
    withoutOwnCode,
    pairs,
    fragments(a: number, b: number): SharedFragment[] {
      const pair: Pair = index.getPair(own[a].file, own[b].file);
      return pair
        .buildFragments()
        .map((f) => ({ a: spanOf(f.leftSelection), b: spanOf(f.rightSelection), length: f.pairs.length }))
        .sort((x, y) => y.length - x.length);
    },
  };
}
