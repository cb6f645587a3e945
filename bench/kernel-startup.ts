/**
 * Kernel start-up, the kit's kernel against tslab, started from their kernelspecs as Jupyter
 * starts them (a connection file, the kernelspec's argv, ZeroMQ):
 *  - kernel_info_reply: from spawning the process to the first kernel_info_reply, what a front
 *    end waits for before it shows the kernel as ready;
 *  - first result: from spawning to the reply to a first cell (`1 + 1`), which includes loading
 *    the TypeScript compiler (the kit's kernel does that after its first kernel_info_reply).
 * Runs alternate between the two kernels so that the machine's load falls on both alike;
 * medians are reported.
 *
 *   node dist/bench/kernel-startup.js [--runs N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { installKernelSpec, KernelKind } from "../grader/kernel/kernelspec";
import { findKernelSpec } from "../jupyter/kernelspec";
import { startKernel } from "../jupyter/running-kernel";

export interface StartupRow {
  kernel: string;
  runs: number;
  kernelInfoMs: { median: number; min: number; max: number; samples: number[] };
  firstResultMs: { median: number; min: number; max: number; samples: number[] };
}

const REPO = path.resolve(__dirname, "..", "..");

function summary(samples: number[]): { median: number; min: number; max: number; samples: number[] } {
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], samples };
}

async function measureOnce(name: string, env: NodeJS.ProcessEnv, cwd: string): Promise<{ kernelInfoMs: number; firstResultMs: number }> {
  const found = findKernelSpec(name, env);
  if (!found) throw new Error(`kernelspec ${name} not found`);
  const started = performance.now();
  const kernel = await startKernel(found, { cwd, env, startupTimeoutMs: 120_000 });
  try {
    // startKernel's clock starts before the connection file is written, a few ms before spawn.
    const kernelInfoMs = kernel.startup!.firstReplyMs;
    const sent = kernel.client.request("shell", "execute_request", {
      code: "1 + 1",
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    const reply = await sent.reply;
    if (reply.content.status !== "ok") throw new Error(`${name}: the first cell failed: ${JSON.stringify(reply.content)}`);
    return { kernelInfoMs, firstResultMs: performance.now() - started };
  } finally {
    await kernel.shutdown();
  }
}

export async function runStartupBench(options: { runs?: number; log?: (line: string) => void } = {}): Promise<StartupRow[]> {
  const runs = options.runs ?? 7;
  const log = options.log ?? (() => undefined);
  const prefix = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-kernels-"));
  const kernels: [KernelKind, string][] = [
    ["kit", "bench-kit"],
    ["tslab", "bench-tslab"],
  ];
  for (const [kind, name] of kernels) installKernelSpec(kind, { prefix, name });
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: path.join(prefix, "share", "jupyter"), JUPYTER_DATA_DIR: path.join(prefix, "data") };
  // A folder inside the repository, as a notebook's: both kernels resolve packages from it.
  const cwd = path.join(REPO, "notebooks", "week07-cnn");
  const samples = new Map(kernels.map(([, name]) => [name, { info: [] as number[], first: [] as number[] }]));
  try {
    for (let i = 0; i < runs; i++) {
      for (const [, name] of i % 2 ? [...kernels].reverse() : kernels) {
        const m = await measureOnce(name, env, cwd);
        samples.get(name)!.info.push(m.kernelInfoMs);
        samples.get(name)!.first.push(m.firstResultMs);
        log(`  run ${i + 1}/${runs} ${name}: kernel_info_reply ${m.kernelInfoMs.toFixed(0)} ms, first result ${m.firstResultMs.toFixed(0)} ms`);
      }
    }
  } finally {
    rmSync(prefix, { recursive: true, force: true });
  }
  return kernels.map(([kind, name]) => ({
    kernel: kind === "kit" ? "kit's kernel (tsnb-typescript)" : "tslab",
    runs,
    kernelInfoMs: summary(samples.get(name)!.info),
    firstResultMs: summary(samples.get(name)!.first),
  }));
}

export function formatStartupBench(rows: StartupRow[]): string {
  const ms = (s: { median: number; min: number; max: number }) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const lines = [
    "| kernel | runs | spawn → kernel_info_reply, ms: median (min–max) | spawn → first cell's reply, ms: median (min–max) |",
    "| --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.kernel} | ${r.runs} | ${ms(r.kernelInfoMs)} | ${ms(r.firstResultMs)} |`),
  ];
  return lines.join("\n");
}

if (require.main === module) {
  const at = process.argv.indexOf("--runs");
  const runs = at > 0 ? Number(process.argv[at + 1]) : 7;
  process.stderr.write(
    `Kernel start-up, ${runs} runs each (load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")})\n`,
  );
  runStartupBench({ runs, log: (l) => process.stderr.write(`${l}\n`) }).then(
    (rows) => process.stdout.write(`${formatStartupBench(rows)}\n`),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
