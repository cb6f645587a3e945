import { Command } from "commander";
import { installKernelSpec, KIT_KERNEL_DISPLAY_NAME, KIT_KERNEL_NAME, TSLAB_KERNEL_NAME } from "../kernel/kernelspec";

const INSTALL_HELP = `
What it writes:
  Two kernelspecs (folders with a kernel.json), so that Jupyter, nbclient and
  tsnb run find the kernels; no Python or IPython is needed:
    ${KIT_KERNEL_NAME.padEnd(16)} "${KIT_KERNEL_DISPLAY_NAME}", the kit's own kernel (default for
                     the kit's notebooks: their metadata.kernelspec names it)
    ${TSLAB_KERNEL_NAME.padEnd(16)} "TypeScript (tslab)", kept for notebooks that name tslab
  Both run TypeScript with tslab's compiler. The kit's kernel reports errors as
  proper error outputs with the learner's cell and line, publishes busy/idle per
  request and execute_result for a cell's last value, and starts faster.

Where:
  --user           <JUPYTER_DATA_DIR or ~/.local/share/jupyter>/kernels (default
                   unless running as root)
  --prefix DIR     DIR/share/jupyter/kernels (e.g. a virtualenv, or a test folder)
  (root default)   /usr/local/share/jupyter/kernels
  A user-level kernelspec shadows a system one of the same name.

Examples:
  tsnb kernel install --user
  tsnb kernel install --prefix /tmp/jp --name my-ts --no-tslab
`;

export function registerKernelCommand(program: Command): void {
  const kernel = program.command("kernel").description("Manage the Jupyter kernelspecs (the kit's kernel and tslab)");
  kernel
    .command("install")
    .description(`Install the kit's Jupyter kernel ("${KIT_KERNEL_DISPLAY_NAME}") and tslab's, as kernelspecs; needs no Python`)
    .option("--user", "install into the per-user Jupyter data dir (default unless running as root)")
    .option("--prefix <dir>", "install into <dir>/share/jupyter/kernels")
    .option("--name <name>", "kernelspec name of the kit's kernel", KIT_KERNEL_NAME)
    .option("--tslab-name <name>", "kernelspec name of tslab's kernel", TSLAB_KERNEL_NAME)
    .option("--no-tslab", "install only the kit's kernel")
    .addHelpText("after", INSTALL_HELP)
    .action((opts: { user?: boolean; prefix?: string; name: string; tslabName: string; tslab: boolean }) => {
      if (opts.user && opts.prefix) throw new Error("choose one of --user and --prefix");
      if (opts.tslab && opts.name === opts.tslabName)
        throw new Error(`--name and --tslab-name are both ${JSON.stringify(opts.name)}: one would overwrite the other`);
      const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
      const target = { user: opts.user ?? (!opts.prefix && !isRoot), prefix: opts.prefix };
      const kit = installKernelSpec("kit", { ...target, name: opts.name });
      process.stdout.write(`Installed kernelspec ${opts.name} (${KIT_KERNEL_DISPLAY_NAME}) in ${kit}\n`);
      if (opts.tslab) {
        const tslab = installKernelSpec("tslab", { ...target, name: opts.tslabName });
        process.stdout.write(`Installed kernelspec ${opts.tslabName} (TypeScript (tslab)) in ${tslab}\n`);
      }
    });
}
