/**
 * What `tsnb grade --resume` needs to know whether a submission is already graded: a
 * fingerprint of what its grade depends on (the submission's notebooks, the assignment with its
 * hidden tests and the grading settings, and the grader's own code), stored in its
 * results.json's extra_data and, with the whole grade, in a record under `<out>/.tsnb/graded/`.
 * A submission is done when both exist, agree with the current fingerprint, and the grader did
 * not fail on it.
 */
import { createHash, Hash } from "node:crypto";
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from "node:fs";
import path from "node:path";
import type { Assignment } from "../assignment/load";
import type { SubmissionGrade } from "../grading/batch";
import type { IsolationKind } from "../sandbox/isolation";
import { submissionEntries } from "../submission/extract";
import { writeFileAtomic } from "./atomic";
import { STATE_DIR } from "./state";

export interface Fingerprint {
  input_sha256: string;
  assignment_sha256: string;
  grader_version: string;
}

export interface GradedRecord {
  fingerprint: Fingerprint;
  isolation: IsolationKind;
  grade: SubmissionGrade;
}

const GRADER_DIST = path.join(__dirname, "..");

function hashFile(hash: Hash, file: string): void {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** Files under `dir`, recursively, sorted (symbolic links by their target text). */
function hashTree(hash: Hash, dir: string, root = dir): void {
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    const stat = lstatSync(file);
    hash.update(`\0${path.relative(root, file)}\0`);
    if (stat.isSymbolicLink()) hash.update(`link:${readlinkSync(file)}`);
    else if (stat.isDirectory()) hashTree(hash, file, root);
    else if (stat.isFile()) hashFile(hash, file);
  }
}

let graderVersionCache: string | undefined;

/** The package version plus a digest of the grader's compiled code, so an edited grader counts as new. */
export function graderVersion(): string {
  if (!graderVersionCache) {
    const hash = createHash("sha256");
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (name.endsWith(".js")) hash.update(`\0${path.relative(GRADER_DIST, file)}\0`).update(readFileSync(file));
      }
    };
    walk(GRADER_DIST);
    const version = (require("../../../package.json") as { version: string }).version;
    graderVersionCache = `${version}+${hash.digest("hex").slice(0, 12)}`;
  }
  return graderVersionCache;
}

/** The assignment's notebooks, hidden tests and public checks, and the settings that change grades. */
export function assignmentFingerprint(assignment: Assignment, settings: unknown): string {
  const hash = createHash("sha256");
  for (const nb of assignment.notebooks) {
    hash.update(`\0notebook:${nb.file}\0`);
    hashFile(hash, nb.path);
  }
  const hiddenDirs = [...new Set(assignment.hiddenTests.map((f) => path.dirname(f)))].sort();
  for (const dir of hiddenDirs) hashTree(hash, dir);
  if (assignment.publicChecks) hashFile(hash.update("\0checks\0"), assignment.publicChecks);
  hash.update(`\0settings:${JSON.stringify(settings)}`);
  return hash.digest("hex");
}

/** What the grader reads of a submission: its notebook files' names and bytes, and what it refuses. */
export function inputFingerprint(input: string): string {
  const hash = createHash("sha256");
  if (!existsSync(input) && !isLink(input)) return hash.update("missing").digest("hex");
  const { files, refused } = submissionEntries(input);
  for (const file of files) {
    hash.update(`\0file:${path.basename(file)}\0`);
    hashFile(hash, file);
  }
  for (const r of refused) hash.update(`\0refused:${path.basename(r.file)}:${r.why}`);
  return hash.digest("hex");
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

export function sameFingerprint(a: Partial<Fingerprint> | undefined, b: Fingerprint): boolean {
  return !!a && a.input_sha256 === b.input_sha256 && a.assignment_sha256 === b.assignment_sha256 && a.grader_version === b.grader_version;
}

export function gradedRecordsDir(outDir: string): string {
  return path.join(outDir, STATE_DIR, "graded");
}

function recordFile(outDir: string, name: string): string {
  return path.join(gradedRecordsDir(outDir), `${name}.json`);
}

export function writeGradedRecord(outDir: string, record: GradedRecord): void {
  const file = recordFile(outDir, record.grade.name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(record));
}

/** The grade of a submission that a previous run finished with this fingerprint, if any. */
export function finishedGrade(outDir: string, name: string, fingerprint: Fingerprint): GradedRecord | undefined {
  let record: GradedRecord;
  let results: { extra_data?: { fingerprint?: Fingerprint } };
  try {
    record = JSON.parse(readFileSync(recordFile(outDir, name), "utf8")) as GradedRecord;
    results = JSON.parse(readFileSync(path.join(outDir, name, "results.json"), "utf8")) as typeof results;
  } catch {
    return undefined;
  }
  const done =
    sameFingerprint(record.fingerprint, fingerprint) &&
    sameFingerprint(results.extra_data?.fingerprint, fingerprint) &&
    record.grade?.name === name &&
    !record.grade.graderError &&
    existsSync(path.join(outDir, name, "feedback.html"));
  return done ? record : undefined;
}

export interface RunPlan {
  fingerprints: Map<string, Fingerprint>;
  /** Submissions an earlier run finished with the same fingerprint (only with `resume`). */
  carried: GradedRecord[];
  /** What is left to grade. */
  todo: { name: string; input: string }[];
}

/** Fingerprint every submission and, when resuming, set aside those already graded in `outDir`. */
export function planRun(outDir: string, assignment: Assignment, submissions: { name: string; input: string }[], settings: unknown, resume: boolean): RunPlan {
  const common = { assignment_sha256: assignmentFingerprint(assignment, settings), grader_version: graderVersion() };
  const fingerprints = new Map(submissions.map((s) => [s.name, { input_sha256: inputFingerprint(s.input), ...common }]));
  const carried = resume ? submissions.flatMap((s) => finishedGrade(outDir, s.name, fingerprints.get(s.name)!) ?? []) : [];
  const done = new Set(carried.map((r) => r.grade.name));
  return { fingerprints, carried, todo: submissions.filter((s) => !done.has(s.name)) };
}
