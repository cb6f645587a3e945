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
  const n = report.learners.length;
  const names = report.exercises.map((ex) => field(ex.exercise.name));
  const quoted = report.learners.map(field);
  const header = grades ? [...HEADER, "points_a", "points_b"] : HEADER;
  const fd = openSync(file, "w");
  let out: string[] = [header.join(",")];
  const flush = () => {
    writeSync(fd, out.join("\n") + "\n");
    out = [];
  };
  try {
    report.exercises.forEach((ex, e) => {
      const t = ex.pairs;
      const shown = new Map(ex.detailed.map((p) => [p.rank - 1, p]));
      for (let i = 0; i < t.count; i++) {
        const [a, b] = [t.a[i], t.b[i]];
        const key = a < b ? a * n + b : b * n + a;
        let sum = 0;
        let count = 0;
        const flaggedElsewhere: string[] = [];
        report.exercises.forEach((other, o) => {
          const entry = o === e ? -1 : other.pairs.entryOf[key];
          if (entry < 0) return;
          sum += other.pairs.similarity[entry];
          count++;
          if (other.pairs.flagged[entry]) flaggedElsewhere.push(names[o]);
        });
        const detail = shown.get(i);
        const longest = detail?.fragments?.[0];
        let row =
          `${names[e]},${i + 1},${t.count},${quoted[a]},${quoted[b]},${t.similarity[i].toFixed(4)},${t.z[i].toFixed(2)},${t.flagged[i]},` +
          `${detail?.longest ?? ""},${lines(longest?.a)},${lines(longest?.b)},${flaggedElsewhere.join(";")},${count ? (sum / count).toFixed(4) : ""}`;
        if (grades) {
          const points = (learner: number) => grades.points.get(report.learners[learner])?.get(ex.exercise.name) ?? "";
          row += `,${points(a)},${points(b)}`;
        }
        out.push(row);
        if (out.length >= 10_000) flush();
      }
    });
    if (out.length) flush();
  } finally {
    closeSync(fd);
  }
}
