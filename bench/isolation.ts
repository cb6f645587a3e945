/**
 * What the OS-level sandbox costs, measured against today's sandbox (Node's permission model
 * alone) in the same run:
 *   1. start-up of one sandbox process until its program is loaded (not prewarmed), medians
 *      over interleaved repeats: permission model only, bubblewrap without resource limits,
 *      bubblewrap with prlimit's limits (what grading uses);
 *   2. `tsnb grade` end to end on generated week 7 submissions at --jobs 2, `--isolation basic`
 *      against `--isolation strict` (bubblewrap), interleaved, medians: the per-submission cost.
 *
 *   node dist/bench/isolation.js [--quick]     # this part alone; npm run bench runs it too
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LearnerSandbox } from "../grader/sandbox/host";
import { basicLaunch, detectIsolation, SandboxLaunch } from "../grader/sandbox/isolation";
import { writeOfferedModules } from "../grader/sandbox/offered-modules";
import { generateSubmissions, runGrading } from "./grading";

export interface IsolationBench {
  startup: { label: string; medianMs: number; runs: number }[];
  grading: { isolation: string; submissions: number; jobs: number; runs: number; medianSecondsPerSubmission: number; all: number[] }[];
  /** bubblewrap / basic, per submission (median against median). */
  ratio: number;
  bubblewrap: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function startupMs(launch: SandboxLaunch, programFile: string, moduleFiles: string[]): Promise<number> {
  const sandbox = new LearnerSandbox({ programFile, moduleFiles, launch });
  const started = performance.now();
  const cells = await sandbox.start();
  const ms = performance.now() - started;
  await sandbox.dispose();
  if (cells.length !== 1 || !cells[0].ok) throw new Error(`the bench sandbox did not load its program (${launch.kind})`);
  return ms;
}

/** `submissions`: already generated week 7 submissions to use; else they are written to `subsRoot`. */
export async function runIsolationBench(options: { quick?: boolean; log?: (line: string) => void; subsRoot?: string; submissions?: string[] }): Promise<IsolationBench> {
  const log = options.log ?? (() => undefined);
  const bubblewrap = detectIsolation("strict", 2);
  const variants: { label: string; launch: SandboxLaunch }[] = [
    { label: "permission model only (today)", launch: basicLaunch() },
    { label: "bubblewrap, no rlimits", launch: { ...bubblewrap, bwrap: { ...bubblewrap.bwrap!, prlimit: undefined } } },
    { label: "bubblewrap + prlimit (grading)", launch: bubblewrap },
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-isolation-"));
  chmodSync(dir, 0o755);
  try {
    const programFile = path.join(dir, "learner.json");
    writeFileSync(programFile, JSON.stringify({ cells: [{ label: "cell 1", notebook: "nb.ipynb", code: "function f() { return 1; }" }] }), { mode: 0o644 });
    const moduleFiles = writeOfferedModules(dir);
    const repeats = options.quick ? 8 : 20;
    log(`Sandbox start-up, ${repeats} x ${variants.length} interleaved...`);
    const samples = variants.map(() => [] as number[]);
    for (let i = 0; i < repeats; i++) for (const [k, v] of variants.entries()) samples[k].push(await startupMs(v.launch, programFile, moduleFiles));
    const startup = variants.map((v, k) => ({ label: v.label, medianMs: median(samples[k]), runs: repeats }));

    const count = options.quick ? 20 : 40;
    const runs = options.quick ? 2 : 3;
    const subs = options.submissions?.slice(0, count) ?? (await generateSubmissions(count, options.subsRoot ?? path.join(dir, "subs")));
    const modes = ["basic", "strict"];
    const times = new Map(modes.map((m) => [m, [] as number[]]));
    for (let i = 0; i < runs; i++) {
      for (const mode of i % 2 ? [...modes].reverse() : modes) {
        log(`Grading ${count} submissions, --isolation ${mode} (${i + 1}/${runs})...`);
        const run = await runGrading(subs, 2, ["--isolation", mode]);
        if (run.exitCode !== 0) throw new Error(`tsnb grade --isolation ${mode} exited with ${run.exitCode}`);
        times.get(mode)!.push(run.secondsPerSubmission);
        log(`  ${run.secondsPerSubmission.toFixed(3)} s each`);
      }
    }
    const grading = modes.map((mode) => ({
      isolation: mode === "basic" ? "permission model only (--isolation basic)" : "bubblewrap (--isolation strict)",
      submissions: count,
      jobs: 2,
      runs,
      medianSecondsPerSubmission: median(times.get(mode)!),
      all: times.get(mode)!,
    }));
    return { startup, grading, ratio: grading[1].medianSecondsPerSubmission / grading[0].medianSecondsPerSubmission, bubblewrap: bubblewrap.summary };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}

export function formatIsolationBench(b: IsolationBench): string {
  const base = b.startup[0].medianMs;
  return [
    table(
      ["sandbox start-up (spawn to program loaded)", "median ms", "runs", "vs today"],
      b.startup.map((s) => [s.label, s.medianMs.toFixed(1), s.runs, `${s.medianMs - base >= 0 ? "+" : ""}${(s.medianMs - base).toFixed(1)} ms`]),
    ),
    "",
    table(
      ["tsnb grade, week 7", "submissions", "--jobs", "runs", "median s / submission", "each run"],
      b.grading.map((g) => [g.isolation, g.submissions, g.jobs, g.runs, g.medianSecondsPerSubmission.toFixed(3), g.all.map((x) => x.toFixed(3)).join(", ")]),
    ),
    "",
    `bubblewrap / permission model only, per submission: ${b.ratio.toFixed(3)} (${((b.ratio - 1) * 100).toFixed(1)}%)  goal <= 1.15: ${b.ratio <= 1.15 ? "met" : "NOT met"}`,
  ].join("\n");
}

if (require.main === module) {
  const subsRoot = path.join(__dirname, "..", "..", ".cache", "bench-isolation-submissions");
  runIsolationBench({ quick: process.argv.includes("--quick"), log: (l) => process.stderr.write(`${l}\n`), subsRoot })
    .then((b) => process.stdout.write(`Machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}\n${formatIsolationBench(b)}\n`))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => rmSync(subsRoot, { recursive: true, force: true }));
}
