import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Language } from "@course-kit/kernel-helpers/messages";
import { Command } from "commander";
import { createRelease } from "../assign/release";
import { Assignment, loadAssignment } from "../assignment/load";
import { gradeBatch, hiddenTests, publicChecks, SubmissionGrade } from "../grading/batch";
import { exerciseScore } from "../results/csv";
import { addLimitOptions, LimitOptions, limitsFrom, positiveInt } from "./grade";
import { LANGUAGE_OPTION } from "./language";

interface Finding {
  ok: boolean;
  what: string;
  details: string[];
}

/** Hidden tests must cover every exercise with exactly the points its check cell promises. */
export function pointsFindings(assignment: Assignment, solution: SubmissionGrade): Finding[] {
  const findings: Finding[] = [];
  const details: string[] = [];
  for (const ex of assignment.exercises) {
    const { max } = exerciseScore(solution, ex.name);
    const count = solution.tests.filter((t) => t.exercise === ex.name).length;
    if (count === 0) details.push(`${ex.name}: no hidden tests`);
    else if (Math.abs(max - ex.points) > 1e-9)
      details.push(`${ex.name}: hidden tests are worth ${max} points, its check cell (${ex.checkCell}) says ${ex.points}`);
  }
  const known = new Set(assignment.exercises.map((e) => e.name));
  for (const t of solution.tests) if (!known.has(t.exercise)) details.push(`test "${t.name}" belongs to no exercise of the assignment`);
  findings.push({
    ok: details.length === 0,
    what: `hidden tests cover all ${assignment.exercises.length} exercises with the points of their check cells`,
    details,
  });
  return findings;
}

export function registerValidateCommand(program: Command): void {
  addLimitOptions(
    program
      .command("validate")
      .description("Check an assignment end to end: the solution scores full marks, the released stubs score 0 and grade cleanly; exits 1 otherwise")
      .argument("<assignment-dir>", "the assignment folder")
      .option("--jobs <n>", "parallel grading jobs", positiveInt, 2)
      .option(...LANGUAGE_OPTION),
  ).action(async (assignmentDir: string, opts: LimitOptions & { jobs: number; lang?: Language }) => {
    const assignment = loadAssignment(assignmentDir);
    // The report is the instructor's (English); the learners' messages it quotes are in `lang`.
    const lang = opts.lang ?? assignment.language;
    const findings: Finding[] = [
      {
        ok: true,
        what: `assignment loads: ${assignment.notebooks.length} notebook(s), ${assignment.exercises.length} exercise(s), ${assignment.totalPoints} points, feedback in ${assignment.language}`,
        details: [],
      },
    ];
    if (assignment.hiddenTests.length === 0) {
      findings.push({ ok: false, what: "hidden tests exist", details: [`no *.test.ts files in ${path.join(assignment.dir, "hidden-tests")}`] });
      return report(findings);
    }
    const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-validate-"));
    try {
      const release = await createRelease(assignment, tmp);
      findings.push({ ok: true, what: "release builds: stubs compile, no hidden tests or solution text in it", details: [] });
      const [solution, stubs] = await gradeBatch({
        assignment,
        submissions: [
          { name: "solution", input: assignment.dir },
          { name: "release", input: release.dir },
        ],
        tests: hiddenTests(assignment.hiddenTests),
        jobs: opts.jobs,
        limits: limitsFrom(opts),
        lang,
      });
      findings.push(...pointsFindings(assignment, solution));
      const failing = solution.tests.filter((t) => !t.passed).map((t) => `${t.name}: ${t.message}`);
      const solutionNotes = solution.problems.map((p) => p.message);
      findings.push({
        ok: !solution.graderError && failing.length === 0 && solution.score === assignment.totalPoints,
        what: `instructor solution scores full marks (${solution.score} / ${assignment.totalPoints})`,
        details: [...(solution.graderError ? [solution.graderError] : []), ...failing, ...solutionNotes],
      });
      const unclean = stubs.problems.filter((p) => p.kind !== "type-error").map((p) => p.message);
      const passingStubs = stubs.tests.filter((t) => t.passed).map((t) => `${t.name} passes on a stub`);
      findings.push({
        ok: !stubs.graderError && stubs.score === 0 && unclean.length === 0 && passingStubs.length === 0,
        what: `released stubs score 0 and grade cleanly (${stubs.score} / ${assignment.totalPoints})`,
        details: [...(stubs.graderError ? [stubs.graderError] : []), ...passingStubs, ...unclean],
      });
      if (assignment.publicChecks) {
        const [checked] = await gradeBatch({
          assignment,
          submissions: [{ name: "solution", input: assignment.dir }],
          tests: publicChecks(assignment.publicChecks),
          jobs: 1,
          limits: limitsFrom(opts),
          lang,
        });
        const failed = checked.tests.filter((t) => !t.passed).map((t) => `${t.name}: ${t.message}`);
        findings.push({
          ok: !checked.graderError && failed.length === 0 && checked.tests.length > 0,
          what: `the solution passes all ${checked.tests.length} public checks`,
          details: failed,
        });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    report(findings);
  });
}

function report(findings: Finding[]): void {
  for (const f of findings) {
    process.stdout.write(`${f.ok ? "✔" : "✘"} ${f.what}\n`);
    for (const d of f.details.slice(0, 20)) process.stdout.write(`    ${d}\n`);
  }
  const bad = findings.filter((f) => !f.ok).length;
  process.stdout.write(bad ? `\nvalidate: ${bad} problem(s) found\n` : "\nvalidate: OK\n");
  if (bad) process.exitCode = 1;
}
