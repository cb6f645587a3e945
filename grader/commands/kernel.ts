import { Command } from "commander";
import { installKernelSpec } from "../kernel/kernelspec";

export function registerKernelCommand(program: Command): void {
  const kernel = program.command("kernel").description("Manage the tslab Jupyter kernelspec");
  kernel
    .command("install")
    .description("Write a tslab kernelspec (kernel.json) so Jupyter can run TypeScript notebooks; needs no Python")
    .option("--user", "install into the per-user Jupyter data dir (default unless running as root)")
    .option("--prefix <dir>", "install into <dir>/share/jupyter/kernels")
    .option("--name <name>", "kernelspec name", "tslab")
    .action((opts: { user?: boolean; prefix?: string; name: string }) => {
      if (opts.user && opts.prefix) throw new Error("choose one of --user and --prefix");
      const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
      const user = opts.user ?? (!opts.prefix && !isRoot);
      const dir = installKernelSpec({ user, prefix: opts.prefix, name: opts.name });
      process.stdout.write(`Installed kernelspec ${opts.name} in ${dir}\n`);
    });
}
