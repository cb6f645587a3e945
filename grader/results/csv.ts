/** grades.csv: one row per submission, one column per exercise, then the total and maximum. */
import type { SubmissionGrade } from "../grading/batch";

export function field(value: string | number): string {
  const s = String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function exerciseScore(grade: SubmissionGrade, exercise: string): { score: number; max: number } {
  const tests = grade.tests.filter((t) => t.exercise === exercise);
  return { score: tests.reduce((s, t) => s + t.score, 0), max: tests.reduce((s, t) => s + t.maxScore, 0) };
}

export function gradesCsv(grades: SubmissionGrade[], exercises: string[]): string {
  const header = ["submission", ...exercises, "total", "max"];
  const rows = grades.map((g) => [g.name, ...exercises.map((e) => round(exerciseScore(g, e).score)), round(g.score), round(g.maxScore)]);
  return [header, ...rows].map((r) => r.map(field).join(",")).join("\n") + "\n";
}
