import path from "node:path";
import { Command } from "commander";
import { createRelease } from "../assign/release";
import { loadAssignment } from "../assignment/load";
import { outputFolder } from "./output-folder";

export function registerAssignCommand(program: Command): void {
  program
    .command("assign")
    .description("Write the student release of an assignment: solutions replaced by stubs, outputs cleared, locked cells checksummed, hidden tests left out")
    .argument("<assignment-dir>", "the assignment folder with the instructor's source notebooks")
    .option("--out <dir>", "release root; the release goes to <dir>/<assignment-name>/", "release")
    .option("--force", "replace an existing release folder")
    .action(async (assignmentDir: string, opts: { out: string; force?: boolean }) => {
      const assignment = loadAssignment(assignmentDir);
      outputFolder(opts.out);
      const release = await createRelease(assignment, opts.out, { force: opts.force });
      const rel = (p: string) => path.relative(process.cwd(), p) || ".";
      process.stdout.write(
        `Released ${assignment.name}: ${release.notebooks.length} notebook(s), ${assignment.exercises.length} exercise(s), ${assignment.totalPoints} points\n` +
          [...release.notebooks, ...release.files].map((f) => `  ${rel(f)}\n`).join("") +
          `Hidden tests (${assignment.hiddenTests.length} file(s)) stay in ${rel(path.join(assignment.dir, "hidden-tests"))}.\n`,
      );
    });
}
