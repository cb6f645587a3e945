/**
 * `tsnb merge`: combine the output folders of sharded (or separate) `tsnb grade` runs into one.
 * Each submission's folder (results.json, feedback.html) and its graded record (what `--resume`
 * reads) are copied as they are; grades.csv, the instructor log and the batch manifest are
 * rebuilt, grades.csv in the unsharded order. Folders graded from a different assignment, with
 * other settings or by a different grader version are refused, as are incomplete shard sets,
 * unfinished shards and a submission in two folders, so the merge is always one grading.
 */
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { SubmissionGrade } from "../grading/batch";
import { formatShard } from "../grading/shard";
import { writeFileAtomic } from "./atomic";
import { gradesCsv } from "./csv";
import { gradescopeResultsSchema } from "./gradescope";
import { acquireRunLock } from "./lock";
import { batchDigest, GradingManifest, readManifest, writeManifest } from "./manifest";
import { byCodeUnits } from "./order";
import { GradedRecord, gradedRecordsDir, sameFingerprint } from "./resume";

export class MergeError extends Error {}

export interface MergeResult {
  grades: SubmissionGrade[];
  exercises: string[];
  manifest: GradingManifest;
  /** The isolation kinds the merged runs recorded (normally one). */
  isolation: string[];
}

interface Input {
  dir: string;
  manifest: GradingManifest;
}

function describe(input: Input): string {
  return input.manifest.shard ? `${input.dir} (shard ${formatShard(input.manifest.shard)})` : input.dir;
}

/** Everything that must agree between folders before they can be merged. */
export function checkMergeable(inputs: Input[]): void {
  const [first, ...rest] = inputs;
  const a = first.manifest;
  for (const other of rest) {
    const b = other.manifest;
    if (a.assignment.name !== b.assignment.name || a.assignment.sha256 !== b.assignment.sha256) {
      throw new MergeError(
        `${describe(other)} was graded with a different assignment (${b.assignment.name}) than ${describe(first)} (${a.assignment.name}): their notebooks or tests differ`,
      );
    }
    if (a.graderVersion !== b.graderVersion) {
      throw new MergeError(`${describe(other)} was graded by tsnb ${b.graderVersion}, ${describe(first)} by tsnb ${a.graderVersion}; regrade with one version`);
    }
    if (a.assignment.withSettingsSha256 !== b.assignment.withSettingsSha256) {
      throw new MergeError(
        `${describe(other)} was graded with other settings than ${describe(first)}: ${JSON.stringify(b.settings)} vs ${JSON.stringify(a.settings)}`,
      );
    }
  }
  const sharded = inputs.filter((i) => i.manifest.shard);
  if (sharded.length) {
    const batches = new Set(sharded.map((i) => `${i.manifest.shard!.count} ${i.manifest.batch.sha256}`));
    if (batches.size > 1 || sharded.length !== inputs.length) {
      throw new MergeError("these folders are not shards of one batch: every shard must be cut from the same submission list into the same number of shards");
    }
    const count = sharded[0].manifest.shard!.count;
    const seen = new Map<number, string>();
    for (const i of sharded) {
      const k = i.manifest.shard!.index;
      if (seen.has(k)) throw new MergeError(`shard ${k}/${count} appears twice: ${seen.get(k)} and ${i.dir}`);
      seen.set(k, i.dir);
    }
    const missing = Array.from({ length: count }, (_, k) => k + 1).filter((k) => !seen.has(k));
    if (missing.length) throw new MergeError(`missing shard(s) ${missing.map((k) => `${k}/${count}`).join(", ")}: merge all ${count} shards of the batch`);
  }
  const owner = new Map<string, string>();
  for (const i of inputs) {
    for (const s of i.manifest.submissions) {
      if (owner.has(s.name)) throw new MergeError(`submission ${s.name} appears in both ${owner.get(s.name)} and ${i.dir}`);
      owner.set(s.name, i.dir);
    }
  }
}

/** A submission's grade from its record, checked against its results.json and the folder's manifest. */
function readGraded(input: Input, name: string): GradedRecord {
  const recordFile = path.join(gradedRecordsDir(input.dir), `${name}.json`);
  const resultsFile = path.join(input.dir, name, "results.json");
  if (!existsSync(recordFile) || !existsSync(resultsFile)) {
    throw new MergeError(`${describe(input)} has no results for ${name}: the run did not finish; run the same tsnb grade command with --resume, then merge`);
  }
  const record = JSON.parse(readFileSync(recordFile, "utf8")) as GradedRecord;
  const parsed = gradescopeResultsSchema.safeParse(JSON.parse(readFileSync(resultsFile, "utf8")));
  if (!parsed.success) throw new MergeError(`${resultsFile} is not a valid results.json: ${parsed.error.issues[0].message}`);
  const fingerprint = parsed.data.extra_data.fingerprint as GradedRecord["fingerprint"] | undefined;
  const m = input.manifest;
  if (
    !sameFingerprint(fingerprint, record.fingerprint) ||
    record.fingerprint.assignment_sha256 !== m.assignment.withSettingsSha256 ||
    record.fingerprint.grader_version !== m.graderVersion ||
    parsed.data.score !== record.grade.score
  ) {
    throw new MergeError(`${resultsFile} does not belong to the run recorded in ${describe(input)} (graded by another run or changed since)`);
  }
  return record;
}

export function mergeOutputs(dirs: string[], outDir: string): MergeResult {
  const out = path.resolve(outDir);
  const inputs: Input[] = dirs
    .map((d) => path.resolve(d))
    .map((dir) => {
      if (dir === out) throw new MergeError(`--out ${outDir} is one of the folders being merged`);
      return { dir, manifest: readManifest(dir) };
    });
  if (inputs.length === 0) throw new MergeError("nothing to merge");
  checkMergeable(inputs);
  const sharded = inputs[0].manifest.shard !== null;
  // Whatever order the folders are given in: shards by number, other folders by path.
  inputs.sort((a, b) => (a.manifest.shard?.index ?? 0) - (b.manifest.shard?.index ?? 0) || byCodeUnits(a.dir, b.dir));
  // Submissions by name, as tsnb grade lists them (a shard's index is its place in that order).
  const entries = inputs
    .flatMap((input) => input.manifest.submissions.map((s) => ({ input, name: s.name, order: s.index, record: readGraded(input, s.name) })))
    .sort((a, b) => byCodeUnits(a.name, b.name));

  mkdirSync(out, { recursive: true });
  const lock = acquireRunLock(out, `tsnb merge ${dirs.join(" ")}`);
  try {
    const records = gradedRecordsDir(out);
    mkdirSync(records, { recursive: true });
    for (const e of entries) {
      cpSync(path.join(e.input.dir, e.name), path.join(out, e.name), { recursive: true });
      cpSync(path.join(gradedRecordsDir(e.input.dir), `${e.name}.json`), path.join(records, `${e.name}.json`));
    }
    const grades = entries.map((e) => e.record.grade);
    const first = inputs[0].manifest;
    writeFileAtomic(path.join(out, "grades.csv"), gradesCsv(grades, first.assignment.exercises));
    const log = inputs.flatMap((input) => {
      const file = path.join(input.dir, "grader-log.txt");
      return [`##### from ${describe(input)}`, existsSync(file) ? readFileSync(file, "utf8") : "(no grader-log.txt)\n"];
    });
    writeFileAtomic(path.join(out, "grader-log.txt"), log.join("\n"));
    const manifest: GradingManifest = {
      ...first,
      shard: null,
      batch: sharded ? first.batch : { count: entries.length, sha256: batchDigest(entries.map((e) => e.name)) },
      submissions: entries.map((e, i) => ({ name: e.name, index: sharded ? e.order : i })),
      mergedFrom: inputs.map(describe),
    };
    writeManifest(out, manifest);
    const isolation = [...new Set(entries.map((e) => e.record.isolation))].sort();
    return { grades, exercises: first.assignment.exercises, manifest, isolation };
  } finally {
    lock.release();
  }
}
