import { existsSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { loadAssignment } from "../assignment/load";
import { gradeBatch, publicChecks } from "../grading/batch";
import { readNotebookSync } from "../notebook/io";
import { textTable } from "../results/table";
import { addLimitOptions, LimitOptions, limitsFrom } from "./grade";

export function registerCheckCommand(program: Command): void {
  addLimitOptions(
    program
      .command("check")
      .description("Run the public checks (the cases the notebook's check cells show) against a notebook's exercises, isolated as in grading")
      .argument("<notebook>", "a notebook of an assignment (its folder must hold the assignment's checks.ts)"),
  ).action(async (notebookPath: string, opts: LimitOptions) => {
    const file = path.resolve(notebookPath);
    if (!existsSync(file)) throw new Error(`notebook not found: ${notebookPath}`);
    readNotebookSync(file); // a clear error for a file that is not a notebook
    const dir = path.dirname(file);
    const assignment = loadAssignment(dir, { released: true });
    if (!assignment.publicChecks) throw new Error(`no public checks: ${path.join(dir, "checks.ts")} does not exist`);
    const mine = new Set(assignment.notebooks.filter((n) => n.file === path.basename(file)).flatMap((n) => n.exercises.map((e) => e.name)));
    if (mine.size === 0) {
      process.stdout.write(`${path.basename(file)} has no exercises, so there is nothing to check.\n`);
      return;
    }
    const [grade] = await gradeBatch({
      assignment,
      submissions: [{ name: path.basename(file, ".ipynb"), input: file }],
      tests: publicChecks(assignment.publicChecks),
      jobs: 1,
      limits: limitsFrom(opts),
    });
    const tests = grade.tests.filter((t) => mine.has(t.exercise));
    const rows = tests.map((t) => [t.exercise, t.title, t.passed ? "PASS" : "FAIL", t.passed ? "" : t.message]);
    process.stdout.write(textTable(["exercise", "check", "result", "message"], rows));
    for (const p of grade.problems.filter((p) => p.notebook === path.basename(file))) process.stdout.write(`note: ${p.message}\n`);
    if (grade.graderError) throw new Error(grade.graderError);
    const passed = tests.filter((t) => t.passed).length;
    process.stdout.write(`\n${passed} of ${tests.length} public checks passed.\n`);
    if (passed < tests.length) process.exitCode = 1;
  });
}
