/**
 * The similarity check's benchmark (a section of `npm run bench`, or alone with
 * `npm run bench:similarity`): `tsnb similarity` on a generated class of 300 week 7 submissions
 * (9 exercises, 403,650 pairs), timed end to end as a user runs it, and the same work in-process
 * phase by phase.
 *
 * With `--tree-sitter <dir>` it also compares the two ways of feeding Dolos that issue 11 asks
 * to choose between, on the same classes: tokens from the TypeScript compiler (what the kit
 * ships) against Dolos' own tree-sitter tokenizer from @dodona/dolos-lib installed in <dir>
 * (`--install` installs it there first and times that).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Assignment, loadAssignment } from "../grader/assignment/load";
import { submissionNames } from "../grader/commands/grade";
import { analyzeClass, ANALYSIS_DEFAULTS } from "../grader/similarity/analyze";
import { ClassSolutions } from "../grader/similarity/collect";
import { compareSolutions, DOLOS_DEFAULTS, pairsOf } from "../grader/similarity/compare";
import { writeSimilarityCsv } from "../grader/similarity/csv";
import { similarityHtml } from "../grader/similarity/html";
import { readClass } from "../grader/similarity/run";
import { isFlagged, robustZ, spreadOf } from "../grader/similarity/spread";
import { Tokenize, tokenizeTypeScript } from "../grader/similarity/tokens";
import { timed, WEEK7 } from "./grading";
import { writeLargeClass, writeSimilarityClass } from "./similarity-class";

const ROOT = path.resolve(__dirname, "..", "..");
const TSNB = path.join(ROOT, "bin", "tsnb.js");
export const DOLOS_LIB_VERSION = "3.5.1";

export interface SimilarityBench {
  learners: number;
  exercises: number;
  pairs: number;
  /** `tsnb similarity` end to end, as a child process. */
  wallSeconds: number;
  peakRssMiB: number;
  /** CPU seconds (user + system) of the same work's phases, run again in-process. */
  readCpuSeconds: number;
  compareCpuSeconds: number;
  writeCpuSeconds: number;
  htmlMiB: number;
  csvMiB: number;
  exitCode: number | null;
  loadAverage: number[];
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

export async function runSimilarityBench(
  learners: number,
  log: (line: string) => void,
  root = path.join(ROOT, ".cache", "bench-similarity"),
): Promise<SimilarityBench> {
  const assignment = loadAssignment(WEEK7);
  rmSync(root, { recursive: true, force: true });
  log(`Generating a class of ${learners} for the similarity check...`);
  const dirs = await writeLargeClass(assignment, root, learners);
  const out = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-similarity-"));
  try {
    log(`tsnb similarity on ${learners} submissions...`);
    const loadAverage = os.loadavg();
    const run = await timed(process.execPath, [TSNB, "similarity", WEEK7, ...dirs, "--out", out]);
    const size = (f: string) => statSync(path.join(out, f)).size / 1048576;
    const htmlMiB = run.code === 0 ? size("similarity.html") : NaN;
    const csvMiB = run.code === 0 ? size("similarity.csv") : NaN;

    let t = process.cpuUsage();
    const solutions = readClass(assignment, submissionNames(dirs), assignment.exercises);
    const readCpuSeconds = cpuSeconds(t);
    t = process.cpuUsage();
    const report = analyzeClass(assignment.name, solutions, ANALYSIS_DEFAULTS);
    const compareCpuSeconds = cpuSeconds(t);
    t = process.cpuUsage();
    writeFileSync(path.join(out, "again.html"), similarityHtml(report));
    writeSimilarityCsv(path.join(out, "again.csv"), report);
    const writeCpuSeconds = cpuSeconds(t);
    return {
      learners,
      exercises: assignment.exercises.length,
      pairs: report.exercises.reduce((s, e) => s + e.pairs.count, 0),
      wallSeconds: run.seconds,
      peakRssMiB: run.peakRss / 1048576,
      readCpuSeconds,
      compareCpuSeconds,
      writeCpuSeconds,
      htmlMiB,
      csvMiB,
      exitCode: run.code,
      loadAverage,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
}

export function formatSimilarityBench(r: SimilarityBench): string {
  return [
    "| learners | exercises | pairs | tsnb similarity wall s | peak RSS MiB | CPU s: read | compare | write | similarity.html MiB | similarity.csv MiB |",
    "|---|---|---|---|---|---|---|---|---|---|",
    `| ${r.learners} | ${r.exercises} | ${r.pairs} | ${r.wallSeconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${r.readCpuSeconds.toFixed(1)} | ${r.compareCpuSeconds.toFixed(1)} | ${r.writeCpuSeconds.toFixed(1)} | ${r.htmlMiB.toFixed(1)} | ${r.csvMiB.toFixed(1)} |`,
    "",
    `Load average at the start: ${r.loadAverage.map((l) => l.toFixed(1)).join(" ")} (${os.cpus().length} cores).`,
  ].join("\n");
}

// ------------------------------------------------------------------------------------------
// TypeScript-compiler tokens against Dolos' tree-sitter tokenizer.

interface TreeSitterTokenizer {
  tokenizeWithMapping(text: string): [string[], { startRow: number; startCol: number; endRow: number; endCol: number }[]];
}

/** Dolos' own TypeScript tokenizer (tree-sitter), from a dolos-lib installed in `dir`. */
async function treeSitterTokenize(dir: string): Promise<Tokenize> {
  // dolos-lib is an ES module; Node 20.19+ loads it with require() like dolos-core.
  const lib = createRequire(path.join(dir, "package.json"))("@dodona/dolos-lib") as {
    LanguagePicker: new () => { findLanguage(name: string): Promise<{ createTokenizer(options: object): Promise<TreeSitterTokenizer> }> };
  };
  const language = await new lib.LanguagePicker().findLanguage("typescript");
  const tokenizer = await language.createTokenizer({});
  return (source) => {
    const [tokens, spans] = tokenizer.tokenizeWithMapping(source);
    return { tokens, spans };
  };
}

function installDolosLib(dir: string, log: (line: string) => void): { seconds: number } {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path.join(dir, "package.json"))) writeFileSync(path.join(dir, "package.json"), '{ "private": true }\n');
  log(`Installing @dodona/dolos-lib@${DOLOS_LIB_VERSION} into ${dir} (builds tree-sitter natively)...`);
  const t = performance.now();
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--save-exact", `@dodona/dolos-lib@${DOLOS_LIB_VERSION}`], { cwd: dir, stdio: "ignore" });
  return { seconds: seconds(t) };
}

function duMiB(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]) / 1048576;
}

export interface TokenizerQuality {
  exercise: string;
  /** Lowest copy pair's similarity minus highest independent pair's. */
  gap: number;
  lowestCopyZ: number;
  highestIndependentZ: number;
  copiesFlagged: number;
  copies: number;
  independentFlagged: number;
  independent: number;
}

export function rankingQuality(solutions: ClassSolutions, isCopy: (a: string, b: string) => boolean, tokenize: Tokenize): TokenizerQuality[] {
  return solutions.exercises.map((ex) => {
    const c = compareSolutions(ex.solutions, ex.template, DOLOS_DEFAULTS, tokenize);
    const pairs = pairsOf(c);
    const spread = spreadOf(pairs.map((p) => p.similarity));
    const copies = pairs.filter((p) => isCopy(c.learners[p.a], c.learners[p.b]));
    const independent = pairs.filter((p) => !isCopy(c.learners[p.a], c.learners[p.b]));
    const sims = (ps: typeof copies) => ps.map((p) => p.similarity);
    return {
      exercise: ex.exercise.name,
      gap: Math.min(...sims(copies)) - Math.max(...sims(independent)),
      lowestCopyZ: Math.min(...copies.map((p) => robustZ(p.similarity, spread))),
      highestIndependentZ: Math.max(...independent.map((p) => robustZ(p.similarity, spread))),
      copiesFlagged: copies.filter((p) => isFlagged(p.similarity, spread)).length,
      copies: copies.length,
      independentFlagged: independent.filter((p) => isFlagged(p.similarity, spread)).length,
      independent: independent.length,
    };
  });
}

async function compareTokenizers(assignment: Assignment, dir: string, install: boolean, log: (line: string) => void): Promise<string> {
  const lines: string[] = [];
  if (install) {
    const { seconds: s } = installDolosLib(dir, log);
    lines.push(`npm install @dodona/dolos-lib@${DOLOS_LIB_VERSION}: ${s.toFixed(0)} s, node_modules ${duMiB(path.join(dir, "node_modules")).toFixed(0)} MiB`);
  } else if (existsSync(path.join(dir, "node_modules"))) {
    lines.push(`@dodona/dolos-lib in ${dir}: node_modules ${duMiB(path.join(dir, "node_modules")).toFixed(0)} MiB (install not timed; pass --install)`);
  }
  const core = path.join(ROOT, "node_modules", "@dodona", "dolos-core");
  lines.push(`@dodona/dolos-core (what the kit ships): ${duMiB(core).toFixed(2)} MiB, no install script`);
  let t = performance.now();
  const treeSitter = await treeSitterTokenize(dir);
  lines.push(`loading the tree-sitter TypeScript parser: ${(seconds(t) * 1000).toFixed(0)} ms`);
  const tokenizers: [string, Tokenize][] = [
    ["TypeScript compiler", tokenizeTypeScript],
    ["tree-sitter (dolos-lib)", treeSitter],
  ];

  // Ranking quality on the test class.
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-similarity-class-"));
  try {
    const cls = await writeSimilarityClass(assignment, tmp);
    const solutions = readClass(
      assignment,
      cls.learners.map((name) => ({ name, input: cls.dirs.get(name)! })),
      assignment.exercises,
    );
    const copyOf = new Map(cls.copies.map((c) => [`${c.copy}\u0000${c.original}`, true]));
    const isCopy = (a: string, b: string) => copyOf.has(`${a}\u0000${b}`) || copyOf.has(`${b}\u0000${a}`);
    lines.push("", "Ranking on the test class (gap = lowest copy similarity − highest independent similarity; z = robust z-score):", "");
    lines.push(
      "| tokenizer | exercise | gap | lowest copy z | highest independent z | copies flagged | independent pairs flagged |",
      "|---|---|---|---|---|---|---|",
    );
    for (const [name, tokenize] of tokenizers) {
      const q = rankingQuality(solutions, isCopy, tokenize);
      for (const r of q) {
        lines.push(
          `| ${name} | ${r.exercise} | ${r.gap.toFixed(2)} | ${r.lowestCopyZ.toFixed(1)} | ${r.highestIndependentZ.toFixed(1)} | ${r.copiesFlagged}/${r.copies} | ${r.independentFlagged}/${r.independent} |`,
        );
      }
      const sum = (f: (r: TokenizerQuality) => number) => q.reduce((s, r) => s + f(r), 0);
      lines.push(
        `| ${name} | **all** | min ${Math.min(...q.map((r) => r.gap)).toFixed(2)} | min ${Math.min(...q.map((r) => r.lowestCopyZ)).toFixed(1)} | max ${Math.max(...q.map((r) => r.highestIndependentZ)).toFixed(1)} | ${sum((r) => r.copiesFlagged)}/${sum((r) => r.copies)} | ${sum((r) => r.independentFlagged)}/${sum((r) => r.independent)} |`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // Speed on a class of 300.
  const big = mkdtempSync(path.join(os.tmpdir(), "tsnb-similarity-300-"));
  try {
    const dirs = await writeLargeClass(assignment, big, 300);
    const solutions = readClass(assignment, submissionNames(dirs), assignment.exercises);
    const cells = solutions.exercises.flatMap((e) => e.solutions.map((s) => s.source));
    lines.push(
      "",
      `Speed on a class of 300 (${cells.length} solution cells):`,
      "",
      "| tokenizer | tokenize all cells s | tokenize + compare all exercises s |",
      "|---|---|---|",
    );
    for (const [name, tokenize] of tokenizers) {
      t = performance.now();
      for (const c of cells) tokenize(c);
      const tokenizeSeconds = seconds(t);
      t = performance.now();
      for (const ex of solutions.exercises) compareSolutions(ex.solutions, ex.template, DOLOS_DEFAULTS, tokenize);
      lines.push(`| ${name} | ${tokenizeSeconds.toFixed(2)} | ${seconds(t).toFixed(1)} |`);
    }
  } finally {
    rmSync(big, { recursive: true, force: true });
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const args = process.argv.slice(2);
  const at = args.indexOf("--tree-sitter");
  if (at >= 0) {
    const dir = path.resolve(args[at + 1] ?? path.join(ROOT, ".cache", "dolos-lib"));
    process.stdout.write(`${await compareTokenizers(loadAssignment(WEEK7), dir, args.includes("--install"), log)}\n`);
    return;
  }
  const r = await runSimilarityBench(300, log);
  process.stdout.write(`${formatSimilarityBench(r)}\n`);
  if (r.exitCode !== 0 || r.wallSeconds >= 30) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
