/**
 * What the OS-level sandbox costs, measured against today's sandbox (Node's permission model
 * alone) in the same run:
 *   1. start-up of one sandbox process until its program is loaded (not prewarmed), medians
 *      over interleaved repeats: permission model only, bubblewrap without resource limits,
 *      bubblewrap with prlimit's limits (what grading uses);
 *   2. `tsnb grade` end to end on generated week 7 submissions at --jobs 2, `--isolation basic`
 *      against `--isolation strict` (bubblewrap), interleaved, medians: the per-submission cost
 *      in wall time and in CPU time of the whole process tree (grader, Jest workers, sandboxes,
 *      bwrap, type check; sampled from /proc). On a machine shared with other work, wall time
 *      swings with the load, so the goal is judged on CPU time, which swings far less.
 *
 *   node dist/bench/isolation.js [--quick]     # this part alone; npm run bench runs it too
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LearnerSandbox } from "../grader/sandbox/host";
import { basicLaunch, detectIsolation, SandboxLaunch } from "../grader/sandbox/isolation";
import { writeOfferedModules } from "../grader/sandbox/offered-modules";
import { markdownTable as table } from "./table";
import { generateSubmissions, TreeCpu, WEEK7 } from "./grading";

const TSNB = path.join(__dirname, "..", "..", "bin", "tsnb.js");

export interface IsolationBench {
  startup: { label: string; medianMs: number; runs: number }[];
  grading: {
    isolation: string;
    submissions: number;
    jobs: number;
    runs: number;
    wallPerSubmission: number;
    cpuPerSubmission: number;
    wall: number[];
    cpu: number[];
  }[];
  /** bubblewrap / basic, CPU seconds per submission (median against median). */
  ratio: number;
  /** The same for wall time. */
  wallRatio: number;
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

/**
 * `tsnb grade` timed: wall seconds, and CPU seconds of its whole process tree (the grader, Jest
 * workers, sandboxes with their bwrap processes, the type check), each process's CPU time as
 * last seen by sampling /proc every 50 ms (a process loses at most its last 50 ms).
 */
function gradeTimed(submissions: string[], mode: string): Promise<{ wall: number; cpu: number }> {
  const out = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-results-"));
  const args = [TSNB, "grade", WEEK7, ...submissions, "--out", out, "--jobs", "2", "--isolation", mode];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    const cpu = new TreeCpu();
    const sampler = setInterval(() => cpu.sample(child.pid!), 50);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(sampler);
      rmSync(out, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`tsnb grade --isolation ${mode} exited with ${code}: ${stderr.slice(-2000)}`));
      resolve({ wall: (performance.now() - started) / 1000, cpu: cpu.seconds() });
    });
  });
}

/** `submissions`: already generated week 7 submissions to use; else they are written to `subsRoot`. */
export async function runIsolationBench(options: {
  quick?: boolean;
  log?: (line: string) => void;
  subsRoot?: string;
  submissions?: string[];
}): Promise<IsolationBench> {
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
    const runs = options.quick ? 2 : 4;
    const subs = options.submissions?.slice(0, count) ?? (await generateSubmissions(count, options.subsRoot ?? path.join(dir, "subs")));
    const modes = ["basic", "strict"];
    const times = new Map(modes.map((m) => [m, { wall: [] as number[], cpu: [] as number[] }]));
    for (let i = 0; i < runs; i++) {
      for (const mode of i % 2 ? [...modes].reverse() : modes) {
        log(`Grading ${count} submissions, --isolation ${mode} (${i + 1}/${runs})...`);
        const t = await gradeTimed(subs, mode);
        times.get(mode)!.wall.push(t.wall / count);
        times.get(mode)!.cpu.push(t.cpu / count);
        log(`  ${(t.wall / count).toFixed(3)} s each, ${(t.cpu / count).toFixed(3)} CPU-s each`);
      }
    }
    const grading = modes.map((mode) => {
      const t = times.get(mode)!;
      return {
        isolation: mode === "basic" ? "permission model only (--isolation basic)" : "bubblewrap (--isolation strict)",
        submissions: count,
        jobs: 2,
        runs,
        wallPerSubmission: median(t.wall),
        cpuPerSubmission: median(t.cpu),
        wall: t.wall,
        cpu: t.cpu,
      };
    });
    return {
      startup,
      grading,
      ratio: grading[1].cpuPerSubmission / grading[0].cpuPerSubmission,
      wallRatio: grading[1].wallPerSubmission / grading[0].wallPerSubmission,
      bubblewrap: bubblewrap.summary,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pct(ratio: number): string {
  return `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)}%`;
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
      ["tsnb grade, week 7, --jobs 2", "submissions", "runs", "median wall s / submission", "median CPU s / submission", "wall, each run", "CPU, each run"],
      b.grading.map((g) => [
        g.isolation,
        g.submissions,
        g.runs,
        g.wallPerSubmission.toFixed(3),
        g.cpuPerSubmission.toFixed(3),
        g.wall.map((x) => x.toFixed(3)).join(", "),
        g.cpu.map((x) => x.toFixed(3)).join(", "),
      ]),
    ),
    "",
    `bubblewrap / permission model only, per submission: CPU ${b.ratio.toFixed(3)} (${pct(b.ratio)}), wall ${b.wallRatio.toFixed(3)} (${pct(b.wallRatio)})  goal (CPU) <= 1.15: ${b.ratio <= 1.15 ? "met" : "NOT met"}`,
  ].join("\n");
}

if (require.main === module) {
  const subsRoot = path.join(__dirname, "..", "..", ".cache", "bench-isolation-submissions");
  runIsolationBench({ quick: process.argv.includes("--quick"), log: (l) => process.stderr.write(`${l}\n`), subsRoot })
    .then((b) =>
      process.stdout.write(
        `Machine: ${os.cpus().length} cores, load average ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}\n${formatIsolationBench(b)}\n`,
      ),
    )
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => rmSync(subsRoot, { recursive: true, force: true }));
}
