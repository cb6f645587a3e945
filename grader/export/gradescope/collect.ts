/**
 * What a learner uploaded to Gradescope, turned into one folder of notebooks that the grader
 * reads like any `tsnb grade` submission. Learners upload loose notebooks, a folder of them, or a
 * .zip (at any depth); checkpoints, macOS resource forks and hidden files are ignored. Where two
 * files answer the same notebook, the one with the assignment's file name nearest the top wins
 * and the others are reported; other names are matched by their cells' grade_ids, as `tsnb
 * grade` does. Nothing is followed through a symbolic link and untrusted archives are read with
 * safe-unzip.
 */
import { copyFileSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { Language, message, render } from "@course-kit/kernel-helpers/messages";
import { MAX_NOTEBOOK_BYTES, Problem } from "../../submission/extract";
import { extractZip, UnsafeZipError } from "./safe-unzip";

const IGNORED_DIRS = new Set([".ipynb_checkpoints", "__MACOSX", "node_modules", ".git"]);
const MAX_DEPTH = 16;

export interface Collected {
  /** A flat folder holding the notebooks to grade. */
  dir: string;
  /** What was found, as the learner would name it ("hw/01.ipynb", "work.zip: hw/01.ipynb"). */
  found: string[];
  /** Learner-facing notes about files that were skipped or refused. */
  problems: Problem[];
}

interface Candidate {
  display: string;
  depth: number;
  base: string;
  /** Where the notebook's bytes are now. */
  file: string;
}

function ignoredName(name: string): boolean {
  return name.startsWith(".") || IGNORED_DIRS.has(name);
}

function note(kind: Problem["kind"], text: string): Problem {
  return { kind, message: text };
}

/** Notebooks and zips under `dir`, without following symbolic links. */
function walk(
  dir: string,
  rel: string,
  depth: number,
  out: { notebooks: Candidate[]; zips: { file: string; display: string; depth: number }[] },
  problems: Problem[],
  lang: Language,
): void {
  if (depth > MAX_DEPTH) {
    problems.push(note("extra-notebook", message(lang, "autograder.tooDeep", { folder: rel, depth: MAX_DEPTH })));
    return;
  }
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (ignoredName(entry.name)) continue;
    const file = path.join(dir, entry.name);
    const display = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) {
      problems.push(note("extra-notebook", message(lang, "autograder.symlink", { file: display })));
    } else if (entry.isDirectory()) {
      walk(file, display, depth + 1, out, problems, lang);
    } else if (entry.isFile() && entry.name.toLowerCase().endsWith(".ipynb")) {
      out.notebooks.push({ display, depth, base: entry.name, file });
    } else if (entry.isFile() && entry.name.toLowerCase().endsWith(".zip")) {
      out.zips.push({ file, display, depth });
    }
  }
}

function depthOf(name: string): number {
  return name.split("/").length - 1;
}

/** Gather the submission in `submissionDir` into `workDir` (which must exist and be empty). */
export async function collectSubmission(submissionDir: string, assignmentFiles: string[], workDir: string, lang: Language = "en"): Promise<Collected> {
  const problems: Problem[] = [];
  const found = { notebooks: [] as Candidate[], zips: [] as { file: string; display: string; depth: number }[] };
  walk(submissionDir, "", 0, found, problems, lang);

  const unpacked = path.join(workDir, "unpacked");
  mkdirSync(unpacked, { mode: 0o700 });
  for (const [z, zip] of found.zips.entries()) {
    const target = path.join(unpacked, String(z));
    mkdirSync(target, { mode: 0o700 });
    let n = 0;
    try {
      await extractZip(zip.file, (entry) => {
        const parts = entry.name.split("/");
        const base = parts[parts.length - 1];
        if (parts.some(ignoredName) || !base.toLowerCase().endsWith(".ipynb")) return undefined;
        const file = path.join(target, `${n++}.ipynb`);
        found.notebooks.push({ display: `${zip.display}: ${entry.name}`, depth: zip.depth + 1 + depthOf(entry.name), base, file });
        return file;
      });
    } catch (err) {
      if (!(err instanceof UnsafeZipError)) throw err;
      // Nothing from a refused archive is graded, even what was unpacked before the problem.
      found.notebooks = found.notebooks.filter((c) => !c.display.startsWith(`${zip.display}: `));
      problems.push(note("unreadable-submission", message(lang, "autograder.zipRefused", { zip: zip.display, reason: render(lang, err.reason) })));
    }
  }

  const flat = path.join(workDir, "notebooks");
  mkdirSync(flat, { mode: 0o700 });
  const wanted = new Set(assignmentFiles);
  const used = new Set<string>();
  const ordered = found.notebooks.sort((a, b) => a.depth - b.depth || (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  for (const c of ordered) {
    if (lstatSync(c.file).size > MAX_NOTEBOOK_BYTES) {
      problems.push(note("unreadable-submission", message(lang, "autograder.tooLarge", { file: c.display, max: MAX_NOTEBOOK_BYTES / 2 ** 20 })));
      continue;
    }
    // The assignment's own name, nearest the top, keeps it; anything else gets a name of its
    // path (so notes name it as the learner knows it) and is matched by its cells.
    let name = wanted.has(c.base) && !used.has(c.base) ? c.base : c.display.replace(/[/\\:]+\s*/g, "__");
    if (!name.toLowerCase().endsWith(".ipynb")) name += ".ipynb";
    for (let k = 2; used.has(name); k++) name = name.replace(/(-\d+)?\.ipynb$/i, `-${k}.ipynb`);
    used.add(name);
    copyFileSync(c.file, path.join(flat, name));
  }
  return { dir: flat, found: ordered.map((c) => c.display), problems };
}
