/**
 * Learners' points per exercise from a grades.csv that `tsnb grade` wrote, so that the
 * similarity report can show a flagged pair's scores on every exercise.
 */
import { readFileSync } from "node:fs";

export interface Grades {
  /** Learner (submission name) → exercise → points. */
  points: Map<string, Map<string, number>>;
  maxPoints: Map<string, number>;
}

/** grades.csv fields never need quoting (names are folder-safe), but a quoted field is read anyway. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') field += line[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

export function readGrades(file: string, exercises: { name: string; points: number }[]): Grades {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = splitCsvLine(lines[0] ?? "");
  if (header[0] !== "submission") throw new Error(`${file} is not a grades.csv written by tsnb grade (its first column is not "submission")`);
  const columns = new Map(header.map((h, i) => [h, i]));
  const known = exercises.filter((e) => columns.has(e.name));
  if (known.length === 0) throw new Error(`${file} has no column for any exercise of the assignment (${exercises.map((e) => e.name).join(", ")})`);
  const points = new Map<string, Map<string, number>>();
  for (const line of lines.slice(1)) {
    const fields = splitCsvLine(line);
    const row = new Map<string, number>();
    for (const e of known) {
      const value = Number(fields[columns.get(e.name)!]);
      if (Number.isFinite(value)) row.set(e.name, value);
    }
    points.set(fields[0], row);
  }
  return { points, maxPoints: new Map(exercises.map((e) => [e.name, e.points])) };
}
