import { Command, InvalidArgumentError } from "commander";

function seconds(name: string, allowZero: boolean) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
      throw new InvalidArgumentError(`${name} must be a number of seconds${allowZero ? " (0 = no limit)" : " greater than 0"}`);
    }
    return n;
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number, 1 or more");
  return n;
}

const HELP = `
Output:
  By default each result is written next to its input as <name>.out.ipynb
  (week1.ipynb -> week1.out.ipynb); --output FILE names it (one notebook only),
  --inplace overwrites the input. The notebook is written even when a cell
  fails, with the outputs up to and including the failing cell; code cells the
  run did not reach are left without outputs.

Execution:
  Cells run in order in a fresh kernel started from the kernelspec (--kernel,
  else the notebook's metadata.kernelspec.name, else "tsnb-typescript", the
  kit's own kernel; \`tsnb kernel install\` writes it and tslab's), looked up along
  the Jupyter data path (JUPYTER_PATH, the user folder, /usr/local/share/jupyter,
  /usr/share/jupyter). The kernel's working directory is the notebook's folder
  unless --cwd is given. Empty cells and cells tagged "skip-execution" are not
  run; a cell tagged "raises-exception" may fail without stopping the run.
  Outputs and metadata.execution timings are recorded as nbclient does.

tslab notes (for notebooks that name tslab; the kit's kernel needs none):
  - tslab prints the value of a cell's last expression on stdout; it is kept
    as a stdout stream output (tslab sends no execute_result).
  - tslab reports errors only as stderr text; tsnb turns that text into a
    proper error output (ename "CompileError" for TypeScript diagnostics, the
    thrown error's name such as "TypeError" otherwise).
  - tslab refuses requests for 200 ms after an error ("abort"); with
    --allow-errors tsnb re-sends the next cell until it runs.
  - tslab publishes no execute_input, so metadata.execution has no
    iopub.execute_input timestamp (nbclient's output lacks it too).

Timeouts and failures:
  --timeout interrupts a cell that runs too long (SIGINT), records a
  CellTimeoutError on it and stops, or goes on with --allow-errors. A kernel
  that dies (process.exit, a crash) is reported on the cell that was running
  and ends that notebook's run.

Exit status:
  0  every notebook ran (cell errors allowed with --allow-errors)
  1  a cell failed, a kernel died or could not start
  2  bad input: missing file, not a notebook, unknown kernel, bad options
  130 interrupted (Ctrl-C)

With --jobs N, N notebooks run at once in separate kernels. Progress bars are
drawn when stderr is a terminal; otherwise one summary line per notebook.
`;

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("Execute notebooks headlessly over the Jupyter protocol (no Python needed) and save their outputs")
    .argument("<notebooks...>", "notebooks (.ipynb) to execute")
    .option("-o, --output <file>", "where to write the executed notebook (only with one notebook)")
    .option("--inplace", "overwrite each input notebook with its executed version")
    .option("--timeout <seconds>", "per-cell time limit; 0 = no limit", seconds("--timeout", true), 0)
    .option("--startup-timeout <seconds>", "how long the kernel may take to start", seconds("--startup-timeout", false), 60)
    .option("--allow-errors", "record cell errors and timeouts, and keep running the later cells")
    .option("--kernel <name>", "kernelspec name (default: the notebook's metadata.kernelspec.name, else tsnb-typescript)")
    .option("--cwd <dir>", "working directory for the kernel (default: each notebook's folder)")
    .option("-j, --jobs <n>", "notebooks to run at once, each in its own kernel", positiveInt, 1)
    .addHelpText("after", HELP)
    // Commander errors (bad option values) must reach cli.ts's handler, which exits with 2.
    .exitOverride()
    .action(
      async (
        files: string[],
        opts: {
          output?: string;
          inplace?: boolean;
          timeout: number;
          startupTimeout: number;
          allowErrors?: boolean;
          kernel?: string;
          cwd?: string;
          jobs: number;
        },
      ) => {
        // Loaded here, not at the top: every tsnb command would otherwise pay for zeromq and friends.
        const { exitCodeFor, prepareRuns, runAll } = await import("../run/runner");
        const runs = await prepareRuns(files, { output: opts.output, inplace: opts.inplace, kernel: opts.kernel, cwd: opts.cwd });
        const controller = new AbortController();
        let interrupts = 0;
        const onSignal = (sig: NodeJS.Signals) => {
          interrupts++;
          if (interrupts > 1) process.exit(130); // the exit hook kills the kernels
          process.stderr.write(`\ntsnb: ${sig}: stopping (interrupting the running cells; press Ctrl-C again to quit at once)\n`);
          controller.abort();
        };
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        try {
          const outcomes = await runAll(runs, {
            timeoutMs: opts.timeout > 0 ? opts.timeout * 1000 : undefined,
            startupTimeoutMs: opts.startupTimeout * 1000,
            allowErrors: Boolean(opts.allowErrors),
            jobs: opts.jobs,
            signal: controller.signal,
            progress: process.stderr.isTTY ? "bar" : "lines",
            stream: process.stderr,
          });
          for (const o of outcomes) {
            if (o.status === "kernel-error" && o.error) process.stderr.write(`tsnb: ${o.input}: ${o.error.message}\n`);
          }
          process.exitCode = exitCodeFor(outcomes);
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      },
    );
}
