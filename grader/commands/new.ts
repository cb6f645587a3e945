import path from "node:path";
import type { Language } from "@course-kit/kernel-helpers/messages";
import { Command } from "commander";
import { createAssignment } from "../scaffold/new-assignment";
import { parseLanguage } from "./language";

export function registerNewCommand(program: Command): void {
  program
    .command("new")
    .description("Start a new assignment: a notebook with one worked example exercise, checks.ts, a hidden test and a README, marked with // tsnb: comments")
    .argument("<assignment>", 'the assignment\'s name (created under --root) or a folder path containing "/"')
    .option("--root <dir>", "where assignments live", "notebooks")
    .option(
      "--lang <ko|en>",
      "the language learners read: written to assignment.json (check tables, test messages, feedback) and used for the starting prose",
      parseLanguage,
      "ko",
    )
    .addHelpText(
      "after",
      `
The new folder passes \`tsnb validate\` as it is. Mark cells with a comment on their first line:
  // tsnb: setup [name]                    locked setup cell (imports the graded code needs)
  // tsnb: exercise <function>             solution cell; the solution goes between
                                           // BEGIN SOLUTION and // END SOLUTION lines
  // tsnb: check <function> points=<n>     locked check cell after the exercise
tsnb assign, validate and grade read the markers; \`tsnb sync\` writes them into the nbgrader
metadata for nbgrader's own tools. assignment.json holds the assignment's language. See
docs/authoring.md.`,
    )
    .action((assignment: string, opts: { root: string; lang: Language }) => {
      const dir = assignment.includes("/") || assignment.includes(path.sep) ? assignment : path.join(opts.root, assignment);
      const created = createAssignment(dir, opts.lang);
      const rel = (p: string) => path.relative(process.cwd(), p) || ".";
      process.stdout.write(
        `Created ${rel(created.dir)}:\n` +
          created.files.map((f) => `  ${rel(f)}\n`).join("") +
          `Next: tsnb validate ${rel(created.dir)}   (then edit the notebook in Jupyter; see docs/authoring.md)\n`,
      );
    });
}
