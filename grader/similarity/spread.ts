/**
 * How far a pair stands above its exercise's own spread. Independent solutions of the same
 * exercise resemble each other to a degree that depends on the exercise (nested-loop conv and
 * pool code score 0.6 to 0.7 against each other), so a fixed cut-off would either flood the
 * report or miss copies; each exercise's pairs are measured against that exercise's distribution.
 *
 * - Robust z-score, (x - median) / (1.4826 · MAD), not the mean and standard deviation: the
 *   copies we look for inflate the standard deviation and so hide themselves ("masking"); the
 *   median and MAD ignore up to half of the pairs being unusual. 1.4826 makes the MAD estimate a
 *   standard deviation for normal data; 3.5 is the usual cut-off (Iglewicz and Hoaglin, 1993).
 * - Measured on x = -ln(1 - similarity), the log of the share of code two solutions do not have
 *   in common, rather than on the similarity itself: near 1 the similarity compresses exactly the
 *   differences that matter (sharing 90 % against 95 % is twice as much unshared code) and the
 *   bounded scale squeezes the upper tail. The map is monotonic, so rankings do not change.
 *   On the test class it raises the lowest copy's z-score in every exercise (measured in
 *   docs/similarity.md).
 */

export const DEFAULT_MIN_Z = 3.5;
/** Fewer pairs than this (5 learners) say nothing about the spread: nothing is flagged. */
export const MIN_PAIRS = 10;
/**
 * Floor on the spread (in distance units, about similarity units near 0): when most pairs score
 * exactly alike (MAD 0), a pair is not an outlier for standing 0.001 above them.
 */
export const SCALE_FLOOR = 0.02;
/** Identical solutions would be infinitely far; they are held at this similarity. */
const MAX_SIMILARITY = 0.999;
const MAD_TO_SD = 1.4826;
/** For MAD = 0: the mean absolute deviation times sqrt(pi/2) also estimates a normal SD. */
const MEAN_AD_TO_SD = 1.2533;

export interface Spread {
  pairs: number;
  /** The exercise's median pair similarity. */
  median: number;
  /** Median and scale of the distances -ln(1 - similarity). */
  medianDistance: number;
  scale: number;
  minZ: number;
  /** Similarity from which a pair is flagged; undefined when there are too few pairs to tell. */
  threshold?: number;
}

export function distance(similarity: number): number {
  return -Math.log(1 - Math.min(Math.max(similarity, 0), MAX_SIMILARITY));
}

function similarityAt(d: number): number {
  return 1 - Math.exp(-d);
}

function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return 0;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export function spreadOf(similarities: ArrayLike<number>, minZ = DEFAULT_MIN_Z): Spread {
  const d = Float64Array.from(similarities, distance).sort();
  const mid = median(d);
  const deviations = d.map((x) => Math.abs(x - mid)).sort();
  const mad = median(deviations);
  const meanAd = deviations.reduce((s, x) => s + x, 0) / Math.max(1, deviations.length);
  const scale = Math.max(mad > 0 ? MAD_TO_SD * mad : MEAN_AD_TO_SD * meanAd, SCALE_FLOOR);
  return {
    pairs: similarities.length,
    median: similarityAt(mid),
    medianDistance: mid,
    scale,
    minZ,
    threshold: similarities.length >= MIN_PAIRS ? similarityAt(mid + minZ * scale) : undefined,
  };
}

export function robustZ(similarity: number, spread: Spread): number {
  return (distance(similarity) - spread.medianDistance) / spread.scale;
}

export function isFlagged(similarity: number, spread: Spread): boolean {
  return spread.threshold !== undefined && robustZ(similarity, spread) >= spread.minZ;
}
