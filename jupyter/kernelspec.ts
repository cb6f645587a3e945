/**
 * Kernelspecs: the `kernels/<name>/kernel.json` folders through which Jupyter finds kernels.
 * Looked up the way jupyter_client does (first match along the data path wins), and written
 * directly as JSON: a kernelspec is only a folder with kernel.json, so no Python is needed.
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

const KERNEL_NAME = /^[a-zA-Z0-9._-]+$/;

/** Write `spec` as `<kernels dir>/<name>/kernel.json` for an install target; returns the folder. */
export function writeKernelSpec(name: string, spec: KernelSpec, target: { user?: boolean; prefix?: string }): string {
  if (!KERNEL_NAME.test(name)) {
    throw new Error(`invalid kernel name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  }
  const dir = path.join(kernelsDirFor(target), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
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
