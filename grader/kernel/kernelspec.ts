/**
 * The kit's two kernelspecs and `tsnb kernel install`:
 *  - the kit's own kernel (`kernel/` in this repository, built to dist/kernel/main.js), the
 *    default for the kit's notebooks;
 *  - tslab, kept available for notebooks that name it. `tslab install` shells out to Python and
 *    needs IPython; a kernelspec is only a folder with kernel.json, so we write it ourselves.
 * The kit's kernel is found by its path next to this file in dist/, never imported: grading code
 * does not depend on the kernel.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { KernelSpec, writeKernelSpec } from "../../jupyter/kernelspec";

/** The kernelspec name of the kit's kernel, written into the kit's notebooks' metadata. */
export const KIT_KERNEL_NAME = "tsnb-typescript";
export const KIT_KERNEL_DISPLAY_NAME = "TypeScript (course kit)";
export const TSLAB_KERNEL_NAME = "tslab";

/** The kernelspec that the kit's notebooks name in their metadata (new assignments get it too): the kit's kernel. */
export const NOTEBOOK_KERNELSPEC = { name: KIT_KERNEL_NAME, display_name: KIT_KERNEL_DISPLAY_NAME, language: "typescript" } as const;

/** The tslab entry point shipped in this package's node_modules. */
export function tslabEntry(): string {
  return require.resolve("tslab/bin/tslab");
}

/** The kit kernel's entry point: dist/kernel/main.js, beside dist/grader/. */
export function kitKernelEntry(): string {
  const entry = path.resolve(__dirname, "..", "..", "kernel", "main.js");
  if (!existsSync(entry)) throw new Error(`the kit's kernel is not built (${entry} is missing): run npm run build`);
  return entry;
}

export function tslabKernelSpec(): KernelSpec {
  return {
    // Absolute paths: Jupyter starts kernels with whatever PATH it has, which may lack npm's bin.
    argv: [process.execPath, tslabEntry(), "kernel", "--config-path", "{connection_file}"],
    display_name: "TypeScript (tslab)",
    language: "typescript",
    interrupt_mode: "signal",
  };
}

export function kitKernelSpec(): KernelSpec {
  return {
    argv: [process.execPath, kitKernelEntry(), "{connection_file}"],
    display_name: KIT_KERNEL_DISPLAY_NAME,
    language: "typescript",
    // SIGINT stops a running synchronous loop (Node breaks into vm code on it); a message on
    // the control channel could not be read until the loop ends. The kernel also answers
    // interrupt_request, for clients that send one anyway.
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

export type KernelKind = "kit" | "tslab";

export interface InstallTarget {
  user?: boolean;
  prefix?: string;
}

/** Write one kernelspec (`kind`, under `name`, default the kind's own name); returns its folder. */
export function installKernelSpec(kind: KernelKind, target: InstallTarget & { name?: string }): string {
  if (kind === "kit") return writeKernelSpec(target.name ?? KIT_KERNEL_NAME, kitKernelSpec(), target);
  return writeKernelSpec(target.name ?? TSLAB_KERNEL_NAME, tslabKernelSpec(), target);
}
