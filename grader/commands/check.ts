import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { Language, message } from "@course-kit/kernel-helpers/messages";
import { Command } from "commander";
import { loadAssignment } from "../assignment/load";
import { gradeBatch, publicChecks } from "../grading/batch";
import { readNotebookSync } from "../notebook/io";
import { textTable } from "../results/table";
import { addLimitOptions, LimitOptions, limitsFrom } from "./grade";
import { LANGUAGE_OPTION } from "./language";

export function registerCheckCommand(program: Command): void {
  addLimitOptions(
    program
      .command("check")
      .description("Run the public checks (the cases the notebook's check cells show) against a notebook's exercises, isolated as in grading")
      .argument("<notebook>", "a notebook of an assignment (its folder must hold the assignment's checks.ts)")
      .option(...LANGUAGE_OPTION),
  ).action(async (notebookPath: string, opts: LimitOptions & { lang?: Language }) => {
    const file = path.resolve(notebookPath);
    if (!existsSync(file)) throw new Error(`notebook not found: ${notebookPath}`);
    if (statSync(file).isDirectory()) {
      const notebooks = readdirSync(file).filter((f) => f.endsWith(".ipynb") && !f.endsWith(".out.ipynb"));
      throw new Error(`${notebookPath} is a folder; check one notebook at a time${notebooks.length ? ` (here: ${notebooks.sort().join(", ")})` : ""}`);
    }
    readNotebookSync(file); // a clear error for a file that is not a notebook
    const dir = path.dirname(file);
    const assignment = loadAssignment(dir, { released: true });
    if (!assignment.publicChecks) throw new Error(`no public checks: ${path.join(dir, "checks.ts")} does not exist`);
    const lang = opts.lang ?? assignment.language;
    const mine = new Set(assignment.notebooks.filter((n) => n.file === path.basename(file)).flatMap((n) => n.exercises.map((e) => e.name)));
    if (mine.size === 0) {
      process.stdout.write(`${message(lang, "check.nothing", { file: path.basename(file) })}\n`);
      return;
    }
    const [grade] = await gradeBatch({
      assignment,
      submissions: [{ name: path.basename(file, ".ipynb"), input: file }],
      tests: publicChecks(assignment.publicChecks),
      jobs: 1,
      limits: limitsFrom(opts),
      lang,
    });
    const tests = grade.tests.filter((t) => mine.has(t.exercise));
    const rows = tests.map((t) => [t.exercise, t.title, message(lang, t.passed ? "check.pass" : "check.fail"), t.passed ? "" : t.message]);
    const header = [message(lang, "check.exercise"), message(lang, "check.check"), message(lang, "check.result"), message(lang, "check.message")];
    process.stdout.write(textTable(header, rows));
    for (const p of grade.problems.filter((p) => p.notebook === path.basename(file)))
      process.stdout.write(`${message(lang, "check.note", { message: p.message })}\n`);
    if (grade.graderError) throw new Error(grade.graderError);
    const passed = tests.filter((t) => t.passed).length;
    process.stdout.write(`\n${message(lang, "check.summary", { passed, total: tests.length })}\n`);
    if (passed < tests.length) process.exitCode = 1;
  });
}
