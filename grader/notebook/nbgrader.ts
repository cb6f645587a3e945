/**
 * nbgrader cell metadata (schema version 3) and its checksum. The checksum follows nbgrader's
 * published recipe (MD5 over source, cell type, the three flags, grade_id and points) so that a
 * notebook marked here reads the same way in nbgrader's own tools.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { sourceText } from "./io";
import { Cell } from "./schema";

export const GRADE_ID_PATTERN = /^[a-zA-Z0-9_-]*$/;

export const nbgraderMetadataSchema = z
  .looseObject({
    schema_version: z.literal(3),
    grade: z.boolean(),
    solution: z.boolean(),
    locked: z.boolean(),
    grade_id: z.string().regex(GRADE_ID_PATTERN).optional(),
    points: z.number().min(0).optional(),
    checksum: z.string().optional(),
    task: z.boolean().optional(),
  })
  .refine((m) => !(m.grade || m.solution || m.locked) || (m.grade_id !== undefined && m.grade_id !== ""), {
    message: "grade_id is required when grade, solution or locked is set",
  })
  .refine((m) => !m.grade || m.points !== undefined, { message: "points is required on a grade cell" });

export type NbgraderMetadata = z.infer<typeof nbgraderMetadataSchema>;

/** The cell's nbgrader metadata, or undefined for an ordinary cell. Throws on malformed metadata. */
export function nbgraderOf(cell: Cell): NbgraderMetadata | undefined {
  const raw = cell.metadata.nbgrader;
  if (raw === undefined) return undefined;
  const parsed = nbgraderMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`cell ${cell.id ?? "?"}: bad nbgrader metadata: ${parsed.error.issues[0].message}`);
  }
  return parsed.data;
}

/** Like nbgraderOf, but treats malformed metadata as absent (for learner-edited notebooks). */
export function nbgraderOfLenient(cell: Cell): NbgraderMetadata | undefined {
  const parsed = nbgraderMetadataSchema.safeParse(cell.metadata.nbgrader);
  return parsed.success ? parsed.data : undefined;
}

function pyFloat(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n);
}

function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

export function computeChecksum(cell: Cell, meta: NbgraderMetadata): string {
  const md5 = createHash("md5");
  md5.update(sourceText(cell));
  md5.update(cell.cell_type);
  md5.update(pyBool(meta.grade));
  md5.update(pyBool(meta.solution));
  md5.update(pyBool(meta.locked));
  md5.update(meta.grade_id ?? "");
  if (meta.grade) md5.update(pyFloat(meta.points ?? 0));
  return md5.digest("hex");
}

/** Cell tags (the standard `metadata.tags` list). */
export function tagsOf(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** Solution regions are delimited by comment lines containing these markers. */
export const BEGIN_SOLUTION = "BEGIN SOLUTION";
export const END_SOLUTION = "END SOLUTION";
export const BEGIN_HIDDEN_TESTS = "BEGIN HIDDEN TESTS";
export const END_HIDDEN_TESTS = "END HIDDEN TESTS";
