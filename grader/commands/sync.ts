import { renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { assignmentNotebooks, loadAssignment } from "../assignment/load";
import { readNotebookSync, serializeNotebook } from "../notebook/io";
import { syncMarkers } from "../notebook/markers";

export function registerSyncCommand(program: Command): void {
  program
    .command("sync")
    .description("Write the nbgrader metadata that the // tsnb: marker comments stand for into the source notebooks (markers are kept)")
    .argument("<assignment-dir>", "the assignment folder with the instructor's source notebooks")
    .option("--check", "change nothing; exit 1 if a notebook's metadata is not in step with its markers")
    .option("--overwrite", "replace nbgrader metadata that disagrees with a marker (otherwise that is an error)")
    .action((assignmentDir: string, opts: { check?: boolean; overwrite?: boolean }) => {
      const files = assignmentNotebooks(assignmentDir);
      const pending: { file: string; text: string; changed: number[] }[] = [];
      // Every notebook is checked before any is written, so an error leaves all files as they were.
      for (const file of files) {
        const { notebook, changed } = syncMarkers(readNotebookSync(file), path.basename(file), { overwrite: opts.overwrite });
        if (changed.length) pending.push({ file, text: serializeNotebook(notebook), changed });
      }
      for (const { file, changed } of pending) {
        const cells = changed.map((i) => i + 1).join(", ");
        process.stdout.write(`${path.basename(file)}: ${opts.check ? "out of step" : "updated"} (cell${changed.length > 1 ? "s" : ""} ${cells})\n`);
      }
      if (opts.check) {
        if (pending.length) process.exitCode = 1;
        else process.stdout.write("All notebooks' metadata is in step with their markers.\n");
        return;
      }
      for (const { file, text } of pending) {
        const tmp = `${file}.tsnb-sync-${process.pid}`;
        writeFileSync(tmp, text);
        renameSync(tmp, file);
      }
      const assignment = loadAssignment(assignmentDir);
      process.stdout.write(
        `${pending.length ? `Wrote ${pending.length} notebook(s). ` : "Nothing to change. "}` +
          `${assignment.name}: ${assignment.exercises.length} exercise(s), ${assignment.totalPoints} points.\n`,
      );
    });
}
