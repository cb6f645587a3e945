/**
 * similarity.csv: every compared pair of every exercise, one row each, most similar first
 * within an exercise. Fragment lines are filled for the pairs the HTML report shows in detail;
 * "elsewhere" columns summarise the same two learners' other exercises.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { field } from "../results/csv";
import { SimilarityReport } from "./analyze";
import { Grades } from "./grades";
import type { Span } from "./tokens";

const HEADER = [
  "exercise",
  "rank",
  "pairs",
  "learner_a",
  "learner_b",
  "similarity",
  "robust_z",
  "flagged",
  "longest_fragment",
  "fragment_lines_a",
  "fragment_lines_b",
  "flagged_elsewhere",
  "mean_similarity_elsewhere",
];

function lines(span: Span | undefined): string {
  return span ? `${span.startRow + 1}-${span.endRow + 1}` : "";
}

/** Write the CSV in chunks: a class of 300 has 400,000 rows, which need not sit in memory at once. */
export function writeSimilarityCsv(file: string, report: SimilarityReport, grades?: Grades): void {
  // Each exercise's similarities and flags in arrays indexed by the pairs' keys, so that the
  // "elsewhere" columns cost array reads, not lookups, for the 400,000 rows of a class of 300.
  const size = report.learners.length ** 2;
  const tables = report.exercises.map((ex) => {
    const similarity = new Float64Array(size).fill(NaN);
    const flagged = new Uint8Array(size);
    for (const p of ex.pairs) {
      similarity[p.key] = p.similarity;
      flagged[p.key] = p.flagged ? 1 : 0;
    }
    return { name: field(ex.exercise.name), similarity, flagged };
  });
  const quoted = new Map(report.learners.map((l) => [l, field(l)]));
  const header = grades ? [...HEADER, "points_a", "points_b"] : HEADER;
  const fd = openSync(file, "w");
  let out: string[] = [header.join(",")];
  const flush = () => {
    writeSync(fd, out.join("\n") + "\n");
    out = [];
  };
  try {
    report.exercises.forEach((ex, e) => {
      for (const p of ex.pairs) {
        let sum = 0;
        let count = 0;
        const flaggedElsewhere: string[] = [];
        tables.forEach((t, other) => {
          if (other === e || Number.isNaN(t.similarity[p.key])) return;
          sum += t.similarity[p.key];
          count++;
          if (t.flagged[p.key]) flaggedElsewhere.push(t.name);
        });
        const longest = p.fragments?.[0];
        let row =
          `${tables[e].name},${p.rank},${ex.pairs.length},${quoted.get(p.a)},${quoted.get(p.b)},${p.similarity.toFixed(4)},${p.z.toFixed(2)},${p.flagged ? 1 : 0},` +
          `${p.longest ?? ""},${lines(longest?.a)},${lines(longest?.b)},${flaggedElsewhere.join(";")},${count ? (sum / count).toFixed(4) : ""}`;
        if (grades) row += `,${grades.points.get(p.a)?.get(p.exercise) ?? ""},${grades.points.get(p.b)?.get(p.exercise) ?? ""}`;
        out.push(row);
        if (out.length >= 10_000) flush();
      }
    });
    if (out.length) flush();
  } finally {
    closeSync(fd);
  }
}
