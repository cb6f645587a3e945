/**
 * The autograder inside Gradescope's container (started by run_autograder and setup.sh, never
 * by hand). Two modes:
 *
 *   run    grade /autograder/submission with the hidden tests and write
 *          /autograder/results/results.json, always: a grader failure still writes one, with
 *          score 0 and a message that says the fault is the autograder's;
 *   prove  the build step's proof: grade the instructor's solution and exit 1 unless it scores
 *          full marks, and check that the hidden tests are not readable by the learner's user.
 *
 * It imports only the grading modules (no command line, no notebook runner), so it loads fast
 * and needs only the runtime packages the zip installs. What it prints goes to Gradescope's
 * autograder output, which only instructors see unless stdout visibility says otherwise.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Language, message } from "@course-kit/kernel-helpers/messages";
import { Assignment, loadAssignment } from "../../assignment/load";
import { gradeBatch, hiddenTests, SubmissionGrade } from "../../grading/batch";
import { exerciseScore } from "../../results/csv";
import { textTable } from "../../results/table";
import { detectIsolation, SandboxLaunch } from "../../sandbox/isolation";
import { collectSubmission } from "./collect";
import { ASSIGNMENT_ROOT, AutograderConfig, readConfig } from "./config";
import { readMetadata } from "./metadata";
import { autograderResults, graderFaultResults, writeResultsFile } from "./results";

/** Gradescope's paths; the harness in the test suite binds its folder here too. */
export const AUTOGRADER_PATHS = {
  submission: "/autograder/submission",
  results: "/autograder/results/results.json",
  metadata: "/autograder/submission_metadata.json",
};
const SOURCE = path.resolve(__dirname, "..", "..", "..", "..");
const NOBODY = 65534;

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

interface Setup {
  config: AutograderConfig;
  assignment: Assignment;
  /** bubblewrap where the container allows it, else Node's permission model (said on stdout). */
  launch: SandboxLaunch;
}

function loadSetup(): Setup {
  const config = readConfig(SOURCE);
  const assignment = loadAssignment(path.join(SOURCE, ASSIGNMENT_ROOT, config.assignment));
  const launch = detectIsolation("auto", 1);
  say(`Isolation: ${launch.summary}`);
  return { config, assignment, launch };
}

async function grade({ assignment, config, launch }: Setup, name: string, input: string): Promise<SubmissionGrade> {
  const [result] = await gradeBatch({
    assignment,
    submissions: [{ name, input }],
    tests: hiddenTests(assignment.hiddenTests),
    jobs: 1,
    limits: config.limits,
    typeCheck: config.typecheck,
    launch,
    lang: config.language,
  });
  return result;
}

function scoreTable(assignment: Assignment, g: SubmissionGrade): string {
  const rows = assignment.exercises.map((e) => {
    const s = exerciseScore(g, e.name);
    return [e.name, `${s.score} / ${s.max}`];
  });
  return textTable(["exercise", "points"], [...rows, ["total", `${g.score} / ${g.maxScore}`]], ["left", "right"]);
}

/** A submission with no notebook at all: score 0, and what was expected. */
function nothingToGrade(assignment: Assignment, input: string, lang: Language): SubmissionGrade {
  const expected = assignment.notebooks.filter((n) => n.exercises.length).map((n) => n.file);
  return {
    name: "submission",
    input,
    tests: [],
    score: 0,
    maxScore: assignment.totalPoints,
    problems: [],
    learnerOutput: "",
    fatal: message(lang, "autograder.nothingToGrade", { expected: expected.join(", ") }),
    instructorLog: [],
    seconds: 0,
    language: lang,
  };
}

async function run(): Promise<number> {
  const started = Date.now();
  const work = mkdtempSync(path.join(os.tmpdir(), "tsnb-autograder-"));
  // English until the settings are read (a fault before that is the zip's, seen at build time).
  let lang: Language = "en";
  try {
    const setup = loadSetup();
    const { config, assignment } = setup;
    lang = config.language;
    say(`tsnb autograder ${config.graderVersion}: ${assignment.name}`);
    const collected = await collectSubmission(
      AUTOGRADER_PATHS.submission,
      assignment.notebooks.map((n) => n.file),
      work,
      config.language,
    );
    say(`Found: ${collected.found.join(", ") || "(no notebook)"}`);
    const result = collected.found.length
      ? await grade(setup, "submission", collected.dir)
      : nothingToGrade(assignment, AUTOGRADER_PATHS.submission, config.language);
    result.problems.unshift(...collected.problems);
    if (result.graderError) throw new Error(`the grader failed on this submission: ${result.graderError}\n${result.instructorLog.join("\n")}`);
    const { metadata, note } = readMetadata(AUTOGRADER_PATHS.metadata);
    const exercises = assignment.exercises.map((e) => e.name);
    const { results, notes } = autograderResults(result, exercises, config, metadata, collected.found);
    results.extra_data.isolation = setup.launch.kind;
    writeResultsFile(AUTOGRADER_PATHS.results, results);

    say(scoreTable(assignment, result));
    if (results.score !== result.score) say(`Score after the late policy: ${results.score}`);
    for (const line of [...(note && config.late ? [note] : []), ...notes, ...result.problems.map((p) => p.message)]) say(`note: ${line}`);
    // The raw log can quote hidden tests: only where learners cannot read stdout.
    if (config.stdoutVisibility === "hidden" && result.instructorLog.length) say(`\nInstructor log:\n${result.instructorLog.join("\n")}`);
    say(`\nWrote ${AUTOGRADER_PATHS.results} in ${((Date.now() - started) / 1000).toFixed(2)} s`);
    return 0;
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    say(`tsnb autograder: GRADER FAILURE (not the learner's fault)\n${detail}`);
    writeResultsFile(AUTOGRADER_PATHS.results, graderFaultResults(err instanceof Error ? err.message : String(err), lang, (Date.now() - started) / 1000));
    return 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Can the user learner code runs as read this file? (Only meaningful as root.) */
function readableByNobody(file: string): boolean {
  const r = spawnSync(process.execPath, ["-e", `require("fs").readFileSync(${JSON.stringify(file)})`], { uid: NOBODY, gid: NOBODY, stdio: "ignore" });
  return r.status === 0;
}

async function prove(): Promise<number> {
  const setup = loadSetup();
  const { config, assignment } = setup;
  say(`Grading the instructor's solution of ${assignment.name} (${assignment.totalPoints} points)...`);
  const result = await grade(setup, "solution", assignment.dir);
  say(scoreTable(assignment, result));
  const failures: string[] = [];
  if (result.graderError) failures.push(`the grader failed: ${result.graderError}`);
  for (const t of result.tests.filter((t) => !t.passed)) failures.push(`${t.name}: ${t.message}`);
  if (result.score !== assignment.totalPoints || result.maxScore !== assignment.totalPoints) {
    failures.push(`the solution scores ${result.score} of ${result.maxScore} points; the assignment is worth ${assignment.totalPoints}`);
  }
  if (assignment.totalPoints !== config.totalPoints)
    failures.push(`the assignment is worth ${assignment.totalPoints} points, the export said ${config.totalPoints}`);
  if (process.getuid?.() === 0) {
    const exposed = assignment.hiddenTests.filter(readableByNobody);
    if (exposed.length) failures.push(`hidden tests are readable by other users: ${exposed.join(", ")}`);
    else say("Hidden tests are readable by root only.");
  }
  if (failures.length) {
    say(`\nBUILD FAILED: the autograder does not grade its own solution correctly:`);
    for (const f of failures) say(`  - ${f}`);
    if (result.instructorLog.length) say(`\nInstructor log:\n${result.instructorLog.join("\n")}`);
    return 1;
  }
  say(`The solution scores full marks (${result.score} / ${assignment.totalPoints}): the autograder is ready.`);
  return 0;
}

async function main(mode: string | undefined): Promise<number> {
  if (mode === "run") return run();
  if (mode === "prove") return prove();
  process.stderr.write("usage: node autograder.js run|prove (started by run_autograder and setup.sh)\n");
  return 2;
}

if (require.main === module) {
  main(process.argv[2]).then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
