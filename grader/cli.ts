/**
 * The `tsnb` command line. Each subcommand lives in grader/commands/ and registers itself here;
 * this file only wires them together and turns thrown errors into a message and exit code 2.
 */
import { Command, CommanderError } from "commander";
import { registerAssignCommand } from "./commands/assign";
import { registerCheckCommand } from "./commands/check";
import { registerDoctorCommand } from "./commands/doctor";
import { registerGradeCommand } from "./commands/grade";
import { registerKernelCommand } from "./commands/kernel";
import { registerValidateCommand } from "./commands/validate";
import { registerRunCommand } from "./commands/run";
import { registerNewCommand } from "./commands/new";
import { registerSyncCommand } from "./commands/sync";
import { registerSimilarityCommand } from "./commands/similarity";
import { registerExportCommand } from "./commands/export";
import { registerMergeCommand } from "./commands/merge";

export function buildProgram(): Command {
  const program = new Command("tsnb")
    .description("Course kit for TypeScript notebooks: release, grade and run notebooks, and install the kit's Jupyter kernel")
    .version((require("../../package.json") as { version: string }).version)
    .showHelpAfterError("(run with --help for usage)")
    // Before the subcommands are added, so that they inherit it: usage errors throw, and main()
    // turns them into exit code 2.
    .exitOverride();
  registerAssignCommand(program);
  registerGradeCommand(program);
  registerValidateCommand(program);
  registerCheckCommand(program);
  registerKernelCommand(program);
  registerRunCommand(program);
  registerNewCommand(program);
  registerSyncCommand(program);
  registerDoctorCommand(program);
  registerSimilarityCommand(program);
  registerExportCommand(program);
  registerMergeCommand(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version requests end here with code 0; usage errors were already printed.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`tsnb: ${message}\n`);
    if (process.env.TSNB_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  }
}
