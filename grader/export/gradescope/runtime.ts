/**
 * The npm packages the autograder installs: the grading runtime (Jest, esbuild, zod, yauzl and,
 * with the type check, TypeScript 7) plus whatever the hidden tests import, found by letting
 * esbuild follow their imports (through the kit's own helpers package, whose reference kernels
 * need nothing else; its index would pull in TensorFlow.js). The package.json and lockfile are
 * cut down from the kit's own with npm itself (`npm install --package-lock-only --offline`), so
 * every package keeps the exact version and integrity the kit was tested with.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";

export const HELPERS_PACKAGE = "@course-kit/kernel-helpers";
export const HELPERS_DIR = "kernel-helpers";

/** What grading loads at run time, whatever the assignment; the type check adds TypeScript 7. */
const GRADING_RUNTIME = ["esbuild", "jest", "jest-environment-node", "yauzl", "zod"];
const TYPECHECK_RUNTIME = ["typescript7"];

export function runtimePackages(typecheck: boolean, testPackages: string[]): string[] {
  return [...new Set([...GRADING_RUNTIME, ...(typecheck ? TYPECHECK_RUNTIME : []), ...testPackages])].sort();
}

export interface KitPackage {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies: Record<string, string>;
}

export function readKitPackage(kitRoot: string): KitPackage {
  return JSON.parse(readFileSync(path.join(kitRoot, "package.json"), "utf8")) as KitPackage;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Packages (other than the kit's own) that the hidden tests load when they run. */
export async function hiddenTestPackages(hiddenTests: string[], kitRoot: string): Promise<string[]> {
  const found = new Set<string>();
  const builtins = new Set(builtinModules);
  const outdir = mkdtempSync(path.join(os.tmpdir(), "tsnb-deps-"));
  try {
    await build({
      entryPoints: hiddenTests,
      bundle: true,
      write: false,
      outdir,
      platform: "node",
      format: "cjs",
      logLevel: "silent",
      nodePaths: [path.join(kitRoot, "node_modules")],
      plugins: [
        {
          name: "record-packages",
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              const name = packageName(args.path);
              // The helpers package is followed into: what it imports is what the tests need.
              if (name === HELPERS_PACKAGE) return undefined;
              if (args.path !== "tsnb/testing" && !args.path.startsWith("node:") && !builtins.has(name)) found.add(name);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  return [...found].sort();
}

export interface RuntimePackage {
  packageJson: string;
  lockfile: string;
  dependencies: Record<string, string>;
}

/**
 * package.json and package-lock.json for the autograder: `packages` at the kit's pinned
 * versions plus the helpers workspace, with the kit's lockfile pruned to what they need.
 */
export function runtimePackage(kitRoot: string, packages: string[]): RuntimePackage {
  const kit = readKitPackage(kitRoot);
  const dependencies: Record<string, string> = {};
  for (const name of [...packages].sort()) {
    const version = kit.dependencies[name];
    if (!version) throw new Error(`the autograder needs ${name}, which is not among the kit's dependencies in package.json`);
    dependencies[name] = version;
  }
  const manifest = {
    name: "tsnb-gradescope-autograder",
    version: kit.version,
    private: true,
    description: "Grading runtime for a tsnb Gradescope autograder (written by tsnb export gradescope)",
    engines: kit.engines,
    dependencies,
    workspaces: [HELPERS_DIR],
  };
  const packageJson = JSON.stringify(manifest, null, 2) + "\n";
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-lock-"));
  try {
    mkdirSync(path.join(tmp, HELPERS_DIR));
    copyFileSync(path.join(kitRoot, HELPERS_DIR, "package.json"), path.join(tmp, HELPERS_DIR, "package.json"));
    copyFileSync(path.join(kitRoot, "package-lock.json"), path.join(tmp, "package-lock.json"));
    writeFileSync(path.join(tmp, "package.json"), packageJson);
    const npm = spawnSync("npm", ["install", "--package-lock-only", "--omit=dev", "--ignore-scripts", "--offline", "--no-audit", "--no-fund"], {
      cwd: tmp,
      encoding: "utf8",
    });
    if (npm.error) throw new Error(`could not run npm to prune the lockfile: ${npm.error.message}`);
    if (npm.status !== 0) throw new Error(`npm could not prune the kit's lockfile for the autograder:\n${npm.stderr}`);
    const lockfile = readFileSync(path.join(tmp, "package-lock.json"), "utf8");
    checkLockedVersions(JSON.parse(lockfile) as Lockfile, JSON.parse(readFileSync(path.join(kitRoot, "package-lock.json"), "utf8")) as Lockfile);
    return { packageJson, lockfile, dependencies };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Lockfile {
  packages: Record<string, { version?: string; integrity?: string; link?: boolean }>;
}

/** Every package of the pruned lock must be locked exactly as in the kit's. */
function checkLockedVersions(pruned: Lockfile, kit: Lockfile): void {
  for (const [where, entry] of Object.entries(pruned.packages)) {
    if (where === "" || entry.link || where === HELPERS_DIR) continue;
    const original = kit.packages[where];
    if (!original || original.version !== entry.version || original.integrity !== entry.integrity) {
      throw new Error(`the pruned lockfile changed ${where} (${original?.version ?? "absent"} → ${entry.version}); refusing to export`);
    }
  }
}
