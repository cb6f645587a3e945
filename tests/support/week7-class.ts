/**
 * A generated week 7 class of 50, graded once per test process by `tsnb grade` and shared by the
 * report's tests (tests/grader/report.test.ts, tests/browser/report.test.ts), so that CI pays for
 * one grading. The generator (bench/submissions.ts) says which catalogued mistakes it wrote into
 * each submission; the rest of the class is made here with known problems: two submissions whose
 * maxPoolForward never returns, one file that is not JSON, one untouched release. The bundled
 * samples are graded too, in English (the class is in week 7's Korean), for the other language.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAssignment } from "../../grader/assignment/load";
import {
  cellSource,
  distinct,
  generateSubmission,
  releasedNotebooks,
  solvedNotebooks,
  SubmissionKind,
  withCell,
  writeSubmission,
} from "../../bench/submissions";
import { tsnb } from "./tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
export const SAMPLES = ["full", "partial", "broken"];

export interface ClassMember {
  name: string;
  /** Where its notebooks are (a folder, or the one file). */
  input: string;
  kind: SubmissionKind | "timeout" | "unreadable" | "untouched";
  /** Catalogued mistakes the generator wrote into it. */
  mistakes: string[];
}

export interface GradedClass {
  /** The results folder of the class (Korean, the assignment's language). */
  out: string;
  members: ClassMember[];
  /** Wall time of the class's `tsnb grade`, in seconds. */
  seconds: number;
  /** The bundled samples graded with --lang en. */
  samplesOut: string;
  root: string;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/**
 * 10 full, 20 partial, 16 broken (the generator's variants), then 2 that time out, 1 unreadable
 * and 1 untouched release: 50. Broken variants 18 and 27 plant the two catalogued mistakes that
 * variants 0 to 19 do not, so the class makes every mistake of the catalogue.
 */
const MIX: [SubmissionKind, number[]][] = [
  ["full", range(10)],
  ["partial", range(20)],
  ["broken", [...range(14), 18, 27]],
];

let graded: Promise<GradedClass> | undefined;

export function gradedWeek7Class(): Promise<GradedClass> {
  graded ??= Promise.resolve().then(makeAndGrade);
  return graded;
}

async function makeAndGrade(): Promise<GradedClass> {
  const root = mkdtempSync(path.join(os.tmpdir(), "tsnb-class-"));
  process.once("exit", () => rmSync(root, { recursive: true, force: true }));
  const assignment = loadAssignment(WEEK7);
  const subs = path.join(root, "submissions");
  const members: ClassMember[] = [];
  for (const [kind, variants] of MIX) {
    for (const [k, v] of variants.entries()) {
      const name = `${kind}-${String(k + 1).padStart(2, "0")}`;
      const g = generateSubmission(assignment, kind, v);
      await writeSubmission(distinct(g.notebooks, name), path.join(subs, name));
      members.push({ name, input: path.join(subs, name), kind, mistakes: g.mistakes });
    }
  }
  const solved = solvedNotebooks(assignment);
  for (const name of ["timeout-01", "timeout-02"]) {
    const endless = cellSource(solved, "maxPoolForward").replace(/\{/, "{\n  while (true) {}");
    await writeSubmission(withCell(solved, "maxPoolForward", endless), path.join(subs, name));
    members.push({ name, input: path.join(subs, name), kind: "timeout", mistakes: [] });
  }
  mkdirSync(subs, { recursive: true });
  writeFileSync(path.join(subs, "unreadable-01.ipynb"), '{"cells": [ this is not JSON');
  members.push({ name: "unreadable-01", input: path.join(subs, "unreadable-01.ipynb"), kind: "unreadable", mistakes: [] });
  await writeSubmission(releasedNotebooks(assignment), path.join(subs, "untouched-01"));
  members.push({ name: "untouched-01", input: path.join(subs, "untouched-01"), kind: "untouched", mistakes: [] });

  const inputs = members.map((m) => m.input);
  const out = path.join(root, "class");
  const started = Date.now();
  // A short call limit: the endless loops cost two calls each before the rest are skipped.
  const r = tsnb(["grade", WEEK7, ...inputs, "--out", out, "--jobs", "2", "--timeout", "2"]);
  const seconds = (Date.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`tsnb grade of the class exited ${r.status}: ${r.stderr}`);

  const samplesOut = path.join(root, "samples-en");
  const s = tsnb(["grade", WEEK7, ...SAMPLES.map((n) => path.join(ROOT, "samples", "week07-cnn", n)), "--out", samplesOut, "--jobs", "2", "--lang", "en"]);
  if (s.status !== 0) throw new Error(`tsnb grade of the samples exited ${s.status}: ${s.stderr}`);
  return { out, members, seconds, samplesOut, root };
}
