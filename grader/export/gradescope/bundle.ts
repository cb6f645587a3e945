/**
 * `tsnb export gradescope`: the autograder zip an instructor uploads to Gradescope. Its root is
 * what Gradescope unpacks to /autograder/source:
 *
 *   setup.sh, run_autograder       the build step and the per-submission step (scripts.ts)
 *   tsnb-autograder.json           the instructor's choices (config.ts)
 *   package.json, package-lock.json  the grading runtime only, pinned as the kit pins it
 *   dist/grader/                   the compiled grader (JavaScript only)
 *   kernel-helpers/                the helpers package hidden tests import (built)
 *   assignment/<name>/             source notebooks with solutions, hidden tests, public checks
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Language } from "@course-kit/kernel-helpers/messages";
import { Assignment, AssignmentError, loadAssignment } from "../../assignment/load";
import { graderVersion } from "../../results/resume";
import { ASSIGNMENT_ROOT, AutograderConfig, autograderConfigSchema, CONFIG_FILE } from "./config";
import { hiddenTestPackages, HELPERS_DIR, readKitPackage, runtimePackage, runtimePackages } from "./runtime";
import { runAutograderScript, setupScript } from "./scripts";
import { writeZip, ZipItem } from "./zip";

const KIT_ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const FILE = 0o100644;
const EXECUTABLE = 0o100755;
const SKIPPED = new Set([".ipynb_checkpoints", "node_modules", "__pycache__"]);

export type ExportSettings = Omit<AutograderConfig, "format" | "assignment" | "totalPoints" | "graderVersion" | "language"> & { language?: Language };

export interface ExportSummary {
  file: string;
  bytes: number;
  entries: number;
  assignment: Assignment;
  config: AutograderConfig;
  dependencies: Record<string, string>;
  /** Packages the hidden tests import beyond the grading runtime. */
  testPackages: string[];
}

/** Files under `dir`, recursively, as [path inside the archive, file]. */
function filesUnder(dir: string, prefix: string, keep: (rel: string) => boolean = () => true): [string, string][] {
  const out: [string, string][] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED.has(entry.name)) continue;
    const file = path.join(dir, entry.name);
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(file, rel, keep));
    else if (entry.isFile() && keep(rel)) out.push([rel, file]);
  }
  return out;
}

function fileItems(pairs: [string, string][]): ZipItem[] {
  return pairs.map(([name, file]) => ({ name, data: readFileSync(file), mode: FILE }));
}

function nodeMinimum(range: string | undefined): string {
  const m = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range ?? "");
  return m ? `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}` : "20.0.0";
}

export async function exportGradescope(assignmentDir: string, out: string, settings: ExportSettings): Promise<ExportSummary> {
  const assignment = loadAssignment(assignmentDir);
  if (assignment.hiddenTests.length === 0)
    throw new AssignmentError(`${assignmentDir} has no hidden tests (expected ${path.join(assignmentDir, "hidden-tests", "*.test.ts")})`);
  const helpersDist = path.join(KIT_ROOT, HELPERS_DIR, "dist");
  if (!existsSync(helpersDist)) throw new Error(`${helpersDist} is missing: build the kit first (npm run build)`);

  const config: AutograderConfig = autograderConfigSchema.parse({
    format: 1,
    assignment: assignment.name,
    totalPoints: assignment.totalPoints,
    graderVersion: graderVersion(),
    ...settings,
    language: settings.language ?? assignment.language,
  });
  const testPackages = await hiddenTestPackages(assignment.hiddenTests, KIT_ROOT);
  const runtime = runtimePackage(KIT_ROOT, runtimePackages(config.typecheck, testPackages));
  const scriptOptions = { config, nodeMinimum: nodeMinimum(readKitPackage(KIT_ROOT).engines?.node) };

  const text = (name: string, body: string, mode = FILE): ZipItem => ({ name, data: Buffer.from(body, "utf8"), mode });
  const items: ZipItem[] = [
    text("setup.sh", setupScript(scriptOptions), EXECUTABLE),
    text("run_autograder", runAutograderScript(scriptOptions), EXECUTABLE),
    text(CONFIG_FILE, JSON.stringify(config, null, 2) + "\n"),
    text("package.json", runtime.packageJson),
    text("package-lock.json", runtime.lockfile),
    ...fileItems(filesUnder(path.join(KIT_ROOT, "dist", "grader"), "dist/grader", (rel) => rel.endsWith(".js"))),
    ...fileItems([[`${HELPERS_DIR}/package.json`, path.join(KIT_ROOT, HELPERS_DIR, "package.json")]]),
    ...fileItems(filesUnder(helpersDist, `${HELPERS_DIR}/dist`, (rel) => !rel.endsWith(".map"))),
    ...fileItems(filesUnder(assignment.dir, `${ASSIGNMENT_ROOT}/${assignment.name}`, (rel) => !rel.endsWith(".out.ipynb"))),
  ];
  const file = path.resolve(out);
  mkdirSync(path.dirname(file), { recursive: true });
  await writeZip(items, file);
  return { file, bytes: statSync(file).size, entries: items.length, assignment, config, dependencies: runtime.dependencies, testPackages };
}
