/**
 * What a `tsnb grade` output folder is a part of: the assignment, the grader version and the
 * settings digest it was graded with (the same fingerprints `--resume` uses, see resume.ts), the
 * shard, and the whole submission list it was cut from (its size, a digest of its names, and each
 * of this folder's submissions with its place in it). Written to `<out>/.tsnb/batch.json` before
 * grading starts; `tsnb merge` reads it to refuse folders that do not belong together and to put
 * the merged grades.csv in the unsharded order.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Assignment } from "../assignment/load";
import type { SubmissionInput } from "../grading/batch";
import type { Shard } from "../grading/shard";
import { writeFileAtomic } from "./atomic";
import { assignmentFingerprint, graderVersion } from "./resume";
import { STATE_DIR } from "./state";

export const MANIFEST_FILE = path.join(STATE_DIR, "batch.json");

export const manifestSchema = z.object({
  format: z.literal(1),
  graderVersion: z.string(),
  assignment: z.object({
    name: z.string(),
    /** The notebooks, hidden tests and public checks alone. */
    sha256: z.string(),
    /** The same with the grading settings, as in each results.json's fingerprint. */
    withSettingsSha256: z.string(),
    exercises: z.array(z.string()),
    totalPoints: z.number(),
  }),
  settings: z.unknown(),
  /** Null for an unsharded run (or a merge). */
  shard: z.object({ index: z.number().int(), count: z.number().int() }).nullable(),
  /** The whole submission list the shard was cut from. */
  batch: z.object({ count: z.number().int(), sha256: z.string() }),
  /** This folder's submissions, each with its place in the whole list. */
  submissions: z.array(z.object({ name: z.string(), index: z.number().int() })),
  /** For a merged folder: the folders it came from. */
  mergedFrom: z.array(z.string()).optional(),
});

export type GradingManifest = z.infer<typeof manifestSchema>;

/** A digest of a batch's submission names (order-independent). */
export function batchDigest(names: string[]): string {
  return createHash("sha256")
    .update([...names].sort().join("\n"))
    .digest("hex");
}

export interface ManifestOptions {
  assignment: Assignment;
  /** Every submission of the batch (before sharding), in the order given. */
  batch: SubmissionInput[];
  /** The ones this run grades. */
  submissions: SubmissionInput[];
  shard?: Shard;
  /** The settings that change grades (as passed to planRun). */
  settings: unknown;
}

export function buildManifest(o: ManifestOptions): GradingManifest {
  const index = new Map(o.batch.map((s, i) => [s.name, i]));
  return {
    format: 1,
    graderVersion: graderVersion(),
    assignment: {
      name: o.assignment.name,
      sha256: assignmentFingerprint(o.assignment, null),
      withSettingsSha256: assignmentFingerprint(o.assignment, o.settings),
      exercises: o.assignment.exercises.map((e) => e.name),
      totalPoints: o.assignment.totalPoints,
    },
    settings: o.settings,
    shard: o.shard ?? null,
    batch: { count: o.batch.length, sha256: batchDigest(o.batch.map((s) => s.name)) },
    submissions: o.submissions.map((s) => ({ name: s.name, index: index.get(s.name) ?? -1 })),
  };
}

export function writeManifest(outDir: string, manifest: GradingManifest): void {
  const file = path.join(outDir, MANIFEST_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(manifest, null, 2) + "\n");
}

export function readManifest(outDir: string): GradingManifest {
  const file = path.join(outDir, MANIFEST_FILE);
  if (!existsSync(file)) throw new Error(`${outDir} is not a tsnb grade output folder (no ${MANIFEST_FILE})`);
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file} is not a valid grading manifest: ${parsed.error.issues[0].message}`);
  return parsed.data;
}
