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

export interface PairDetails {
  /** The longest run of fingerprints the two share in the same order (Dolos' Pair.longest). */
  longest: number;
  /** Shared fragments, longest first. */
  fragments: SharedFragment[];
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
  /**
   * Of two compared learners (indices into learners): their shared fingerprints over both
   * solutions' own fingerprints (those not in the stub), 0..1.
   */
  similarity(a: number, b: number): number;
  /** Dolos' pair of two compared learners: longest common run and shared fragments. */
  details(a: number, b: number): PairDetails;
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
    // A node's three tokens share one span object, and so one Region.
    const regions = new Map<Span, Region>();
    const mapping = stream.spans.map((s) => {
      let region = regions.get(s);
      if (!region) regions.set(s, (region = new Region(s.startRow, s.startCol, s.endRow, s.endCol)));
      return region;
    });
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

  // Every pair's covered fingerprints, summed from Dolos' index one shared fingerprint at a
  // time: the same counts as Dolos' Pair (leftCovered, rightCovered), without the longest-common-
  // substring pass Pair runs for every pair (that pass alone took most of a 300-learner class's
  // time; it is run only for the pairs the report shows).
  const n = own.length;
  const position = new Map(own.map((o, i) => [o.file, i]));
  const covered = new Float64Array(n * n);
  for (const shared of index.sharedFingerprints()) {
    if (shared.ignored || shared.fileCount() < 2) continue;
    const members: [number, number][] = [];
    for (const file of shared.files()) {
      const i = position.get(file);
      if (i !== undefined) members.push([i, shared.occurrencesOf(file).length]);
    }
    for (let x = 0; x < members.length; x++) {
      const [i, occI] = members[x];
      for (let y = x + 1; y < members.length; y++) {
        const [j, occJ] = members[y];
        covered[i * n + j] += occI;
        covered[j * n + i] += occJ;
      }
    }
  }
  // Dolos' Pair.similarity subtracts the left file's ignored count twice and counts distinct
  // fingerprints where it means occurrences; the same ratio is computed here per side.
  const similarity = (a: number, b: number) => (covered[a * n + b] + covered[b * n + a]) / (own[a].ownTotal + own[b].ownTotal);

  return {
    learners: own.map((o) => o.file.path),
    withoutOwnCode,
    similarity,
    details(a: number, b: number): PairDetails {
      const pair: Pair = index.getPair(own[a].file, own[b].file);
      const fragments = pair
        .buildFragments()
        .map((f) => ({ a: spanOf(f.leftSelection), b: spanOf(f.rightSelection), length: f.pairs.length }))
        .sort((x, y) => y.length - x.length);
      return { longest: pair.longest, fragments };
    },
  };
}

/** Every compared pair (a < b) with its similarity, as a list. */
export function pairsOf(comparison: ExerciseComparison): { a: number; b: number; similarity: number }[] {
  const out: { a: number; b: number; similarity: number }[] = [];
  const n = comparison.learners.length;
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) out.push({ a, b, similarity: comparison.similarity(a, b) });
  return out;
}
