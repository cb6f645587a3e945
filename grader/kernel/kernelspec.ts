/**
 * The tslab kernelspec, written directly as JSON. `tslab install` shells out to Python and
 * needs IPython; a kernelspec is only a folder with kernel.json, so we write it ourselves.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { jupyterDataPath, kernelsDirFor } from "./paths";

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: "signal" | "message";
  env?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

export interface FoundKernelSpec {
  name: string;
  dir: string;
  spec: KernelSpec;
}

/** The tslab entry point shipped in this package's node_modules. */
export function tslabEntry(): string {
  return require.resolve("tslab/bin/tslab");
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

/** The kernelspec that the kit's notebooks name in their metadata (new assignments get it too). */
export const NOTEBOOK_KERNELSPEC = { name: "tslab", display_name: "TypeScript (tslab)", language: "typescript" } as const;

export function installKernelSpec(options: { user?: boolean; prefix?: string; name?: string }): string {
  const name = options.name ?? "tslab";
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw new Error(`invalid kernel name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  }
  const dir = path.join(kernelsDirFor(options), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(tslabKernelSpec(), null, 2) + "\n");
  return dir;
}

/** Find a kernelspec by name the way Jupyter does: first match along the data path wins. */
export function findKernelSpec(name: string, env: NodeJS.ProcessEnv = process.env): FoundKernelSpec | undefined {
  for (const dataDir of jupyterDataPath(env)) {
    const dir = path.join(dataDir, "kernels", name);
    const file = path.join(dir, "kernel.json");
    if (existsSync(file)) {
      return { name, dir, spec: JSON.parse(readFileSync(file, "utf8")) as KernelSpec };
    }
  }
  return undefined;
}

/** All kernelspec names visible along the data path, for error messages. */
export function listKernelSpecs(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set<string>();
  for (const dataDir of jupyterDataPath(env)) {
    const kernels = path.join(dataDir, "kernels");
    if (!existsSync(kernels)) continue;
    for (const entry of readdirSync(kernels)) {
      if (existsSync(path.join(kernels, entry, "kernel.json"))) names.add(entry);
    }
  }
  return [...names].sort();
}
