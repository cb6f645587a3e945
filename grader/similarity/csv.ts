/**
 * similarity.csv: every compared pair of every exercise, one row each, most similar first
 * within an exercise. Fragment lines are filled for the pairs the HTML report shows in detail;
 * "elsewhere" columns summarise the same two learners' other exercises.
 */
import { field } from "../results/csv";
import { pairIndex, RankedPair, SimilarityReport } from "./analyze";
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

export function similarityCsv(report: SimilarityReport, grades?: Grades): string {
  const lookup = pairIndex(report);
  const names = report.exercises.map((e) => e.exercise.name);
  const header = grades ? [...HEADER, "points_a", "points_b"] : HEADER;
  const out: string[] = [header.join(",")];
  for (const ex of report.exercises) {
    for (const p of ex.pairs) {
      const others = names.filter((n) => n !== p.exercise).map((n) => lookup(n, p.a, p.b)).filter((o): o is RankedPair => o !== undefined);
      const mean = others.length ? others.reduce((s, o) => s + o.similarity, 0) / others.length : undefined;
      const longest = p.fragments?.[0];
      const row: (string | number)[] = [
        p.exercise,
        p.rank,
        ex.pairs.length,
        p.a,
        p.b,
        p.similarity.toFixed(4),
        p.z.toFixed(2),
        p.flagged ? 1 : 0,
        p.longest,
        lines(longest?.a),
        lines(longest?.b),
        others.filter((o) => o.flagged).map((o) => o.exercise).join(";"),
        mean === undefined ? "" : mean.toFixed(4),
      ];
      if (grades) row.push(grades.points.get(p.a)?.get(p.exercise) ?? "", grades.points.get(p.b)?.get(p.exercise) ?? "");
      out.push(row.map(field).join(","));
    }
  }
  return out.join("\n") + "\n";
}
