/**
 * Convolution benchmark: naive nested loops vs the im2col reference vs tfjs backends, on AlexNet
 * conv1 and a VGG-style 3x3 layer. GFLOP/s counts 2 FLOPs per multiply-accumulate.
 *
 *   node dist/bench/conv.js            # full run (more repetitions)
 *   node dist/bench/conv.js --quick    # under a minute
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { Shape4, conv2dForwardFlat, randnArray, reference, unflatten4 } from "@course-kit/kernel-helpers";

export interface ConvBenchRow {
  /** "AlexNet conv1", "VGG 3x3", or "machine" for the peak estimate. */
  layer: string;
  /** "naive loops", "im2col reference", "tfjs cpu", "tfjs wasm", "tfjs-node", "peak FP32 (theoretical)". */
  impl: string;
  status: "ok" | "not installed" | "error";
  /** Median wall time of one forward pass. */
  medianMs?: number;
  /** Median CPU time (user + system) of one forward pass: less sensitive to other processes. */
  medianCpuMs?: number;
  /** Timed repetitions behind the median (after warm-up). */
  runs?: number;
  gflops?: number;
  /** GFLOP/s per CPU-second (from medianCpuMs); every implementation here runs on one thread. */
  cpuGflops?: number;
  /** gflops / the naive loops' gflops on the same layer. */
  speedupVsNaive?: number;
  /** gflops / the machine's theoretical FP32 peak. */
  fractionOfPeak?: number;
  /** Largest |difference| from the reference result, relative to the largest |reference value|. */
  maxError?: number;
  note?: string;
}

export interface ConvLayerConfig {
  name: string;
  input: Shape4;
  filter: Shape4;
  stride: number;
  pad: number;
}

export const CONV_LAYERS: ConvLayerConfig[] = [
  { name: "AlexNet conv1", input: [1, 227, 227, 3], filter: [11, 11, 3, 96], stride: 4, pad: 0 },
  { name: "VGG 3x3", input: [1, 56, 56, 128], filter: [3, 3, 128, 128], stride: 1, pad: 1 },
];

export function convFlops(l: ConvLayerConfig): number {
  const [n, h, w] = l.input;
  const [kh, kw, cin, cout] = l.filter;
  const oh = reference.convOutputSize(h, kh, l.stride, l.pad);
  const ow = reference.convOutputSize(w, kw, l.stride, l.pad);
  return 2 * n * oh * ow * cout * kh * kw * cin;
}

// ---------------------------------------------------------------------------------------------
// Machine peak
// ---------------------------------------------------------------------------------------------

export interface PeakEstimate {
  gflops: number;
  cores: number;
  /** FP32 lanes per vector instruction: avx512f 16, avx/avx2 8, sse 4, else 1. */
  lanes: number;
  fma: boolean;
  ghz: number;
  isa: string;
  model: string;
}

/**
 * Rough theoretical FP32 peak = cores x SIMD lanes x 2 (if FMA) x GHz, from /proc/cpuinfo
 * ("cores" are the logical processors listed there). A single FMA unit per core is assumed, so
 * CPUs with two FMA ports can reach twice this number.
 */
export function estimatePeakGflops(): PeakEstimate {
  let text = "";
  try {
    text = fs.readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    /* not Linux: fall back to os.cpus() below */
  }
  const processors = (text.match(/^processor\s*:/gm) ?? []).length;
  const cores = processors || os.cpus().length || 1;
  const flagsLine = text.match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  const flags = new Set(flagsLine.trim().split(/\s+/));
  const [lanes, isa] = flags.has("avx512f")
    ? [16, "avx512f"]
    : flags.has("avx2")
      ? [8, "avx2"]
      : flags.has("avx")
        ? [8, "avx"]
        : flags.has("sse")
          ? [4, "sse"]
          : [1, "scalar"];
  const fma = flags.has("fma");
  const mhz = Number(text.match(/^cpu MHz\s*:\s*([\d.]+)/m)?.[1] ?? NaN);
  const ghz = Number.isFinite(mhz) && mhz > 0 ? mhz / 1000 : (os.cpus()[0]?.speed ?? 0) / 1000;
  const model = text.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  return { gflops: cores * lanes * (fma ? 2 : 1) * ghz, cores, lanes, fma, ghz, isa, model };
}

// ---------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------

interface Timing {
  medianMs: number;
  medianCpuMs: number;
  runs: number;
}

function median(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

interface Reps {
  /** Warm-up calls: at most this many, and no more once `warmupBudgetMs` is spent (at least 1). */
  warmup: number;
  warmupBudgetMs: number;
  /** Timed calls: at most this many, and no more once `budgetMs` is spent (at least 2). */
  runs: number;
  budgetMs: number;
}

/**
 * Warm-up calls, then timed calls; returns the medians of wall time and of this process's CPU
 * time (user + system, all threads).
 */
function measure(fn: () => void, reps: Reps): Timing {
  const { warmup, warmupBudgetMs, runs, budgetMs } = reps;
  const w0 = performance.now();
  for (let i = 0; i < warmup && (i < 1 || performance.now() - w0 < warmupBudgetMs); i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  const start = performance.now();
  while (wall.length < runs && (wall.length < 2 || performance.now() - start < budgetMs)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { medianMs: median(wall), medianCpuMs: median(cpu), runs: wall.length };
}

function maxScaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
  }
  if (actual.length !== expected.length) return Infinity;
  return err / (scale || 1);
}

type Load = { ok: true } | { ok: false; missing: boolean; message: string };

function tryRequire(id: string): Load {
  try {
    require(id);
    return { ok: true };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const missing = err.code === "MODULE_NOT_FOUND" && String(err.message).includes(id);
    return { ok: false, missing, message: String(err.message).split("\n")[0] };
  }
}

/** The row of a backend whose package could not be loaded. */
function unavailableRow(layer: string, impl: string, load: Extract<Load, { ok: false }>): ConvBenchRow {
  return { layer, impl, status: load.missing ? "not installed" : "error", note: load.missing ? undefined : load.message };
}

async function tfjsRow(
  backend: string,
  impl: string,
  layer: ConvLayerConfig,
  x: Float64Array,
  w: Float64Array,
  expected: Float64Array,
  reps: Reps,
): Promise<ConvBenchRow> {
  try {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`tf.setBackend("${backend}") returned false`);
    await tf.ready();
    const xt = tf.tensor4d(Float32Array.from(x), layer.input);
    const wt = tf.tensor4d(Float32Array.from(w), layer.filter);
    let last: Float32Array | Int32Array | Uint8Array = new Float32Array(0);
    const run = () => {
      const y = tf.conv2d(xt, wt, layer.stride, layer.pad);
      last = y.dataSync();
      y.dispose();
    };
    const t = measure(run, reps);
    xt.dispose();
    wt.dispose();
    const note =
      backend === "wasm"
        ? `SIMD ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? "on" : "off"}, threads ${tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "on" : "off"}`
        : undefined;
    return {
      layer: layer.name,
      impl,
      status: "ok",
      ...t,
      gflops: convFlops(layer) / (t.medianMs * 1e6),
      maxError: maxScaledError(last, expected),
      note,
    };
  } catch (e) {
    return { layer: layer.name, impl, status: "error", note: String((e as Error).message ?? e).split("\n")[0] };
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

export async function runConvBench(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<ConvBenchRow[]> {
  const quick = options.quick ?? false;
  const log = options.log ?? (() => undefined);
  // "slow" rows take seconds per call (naive loops, tfjs cpu), "fast" rows milliseconds to ~1 s.
  const slow: Reps = quick ? { warmup: 1, warmupBudgetMs: 0, runs: 3, budgetMs: 5_000 } : { warmup: 2, warmupBudgetMs: 10_000, runs: 7, budgetMs: 30_000 };
  const fast: Reps = quick ? { warmup: 5, warmupBudgetMs: 1_000, runs: 15, budgetMs: 2_000 } : { warmup: 8, warmupBudgetMs: 3_000, runs: 31, budgetMs: 10_000 };
  const rows: ConvBenchRow[] = [];
  const peak = estimatePeakGflops();
  rows.push({
    layer: "machine",
    impl: "peak FP32 (theoretical)",
    status: "ok",
    gflops: peak.gflops,
    note: `${peak.cores} cores x ${peak.lanes} lanes (${peak.isa}) x ${peak.fma ? 2 : 1} (FMA) x ${peak.ghz.toFixed(2)} GHz`,
  });

  const wasmLoad = tryRequire("@tensorflow/tfjs-backend-wasm");
  const nodeLoad = tryRequire("@tensorflow/tfjs-node");
  const initialBackend = tf.getBackend();

  for (const layer of CONV_LAYERS) {
    const size = (s: Shape4) => s[0] * s[1] * s[2] * s[3];
    const x = Float64Array.from(randnArray(size(layer.input), 1));
    const w = Float64Array.from(randnArray(size(layer.filter), 2, 0.1));
    const b = new Float64Array(layer.filter[3]);
    const finish = (r: ConvBenchRow) => {
      const naive = rows.find((q) => q.layer === layer.name && q.impl === "naive loops");
      if (r.medianCpuMs) r.cpuGflops = convFlops(layer) / (r.medianCpuMs * 1e6);
      if (r.gflops && naive?.gflops) r.speedupVsNaive = r.gflops / naive.gflops;
      if (r.gflops) r.fractionOfPeak = r.gflops / peak.gflops;
      rows.push(r);
      log(`  ${layer.name}: ${r.impl} ${r.status === "ok" ? `${r.medianMs?.toFixed(1)} ms, ${r.gflops?.toFixed(2)} GFLOP/s` : r.status}`);
    };

    // The im2col reference first: its output is the expected result for every other row.
    let expected: Float64Array = new Float64Array(0);
    const ref = measure(() => {
      expected = conv2dForwardFlat(x, layer.input, w, layer.filter, b, layer.stride, layer.pad).data;
    }, fast);

    // Naive loops on nested arrays (the exercise's data structure).
    const xn = unflatten4(x, layer.input);
    const wn = unflatten4(w, layer.filter);
    const bn = Array.from(b);
    let naiveOut: number[][][][] = [];
    // In quick mode only the first layer warms the (shared) naive code up: a VGG pass takes seconds.
    const naiveWarmup = quick && layer !== CONV_LAYERS[0] ? 0 : slow.warmup;
    const naive = measure(
      () => {
        naiveOut = reference.conv2dNaive(xn, wn, bn, layer.stride, layer.pad);
      },
      { ...slow, warmup: naiveWarmup },
    );
    finish({
      layer: layer.name,
      impl: "naive loops",
      status: "ok",
      ...naive,
      gflops: convFlops(layer) / (naive.medianMs * 1e6),
      maxError: maxScaledError(naiveOut.flat(3), expected),
      note: `reference.conv2dNaive, nested arrays${naiveWarmup === 0 ? " (JIT warmed up on the previous layer)" : ""}`,
    });
    finish({
      layer: layer.name,
      impl: "im2col reference",
      status: "ok",
      ...ref,
      gflops: convFlops(layer) / (ref.medianMs * 1e6),
      maxError: 0,
      note: "conv2dForwardFlat, float64",
    });

    finish(await tfjsRow("cpu", "tfjs cpu", layer, x, w, expected, quick ? slow : { ...slow, runs: 9 }));
    finish(wasmLoad.ok ? await tfjsRow("wasm", "tfjs wasm", layer, x, w, expected, fast) : unavailableRow(layer.name, "tfjs wasm", wasmLoad));
    finish(nodeLoad.ok ? await tfjsRow("tensorflow", "tfjs-node", layer, x, w, expected, fast) : unavailableRow(layer.name, "tfjs-node", nodeLoad));
  }
  if (initialBackend) await tf.setBackend(initialBackend);
  return rows;
}

/** Plain-text table of the rows plus the two goal ratios. */
export function formatConvBench(rows: ConvBenchRow[]): string {
  const header = ["layer", "implementation", "median ms", "runs", "GFLOP/s", "cpu GFLOP/s", "x naive", "% peak", "max err", "note"];
  const body = rows.map((r) => [
    r.layer,
    r.impl,
    r.medianMs !== undefined ? r.medianMs.toFixed(1) : r.status === "ok" ? "" : r.status,
    r.runs !== undefined ? String(r.runs) : "",
    r.gflops !== undefined ? r.gflops.toFixed(2) : "",
    r.cpuGflops !== undefined ? r.cpuGflops.toFixed(2) : "",
    r.speedupVsNaive !== undefined ? r.speedupVsNaive.toFixed(1) : "",
    r.fractionOfPeak !== undefined && r.layer !== "machine" ? (100 * r.fractionOfPeak).toFixed(1) : "",
    r.maxError !== undefined ? r.maxError.toExponential(1) : "",
    r.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 8 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  const out = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
  const find = (layer: string, impl: string) => rows.find((r) => r.layer === layer && r.impl === impl && r.status === "ok");
  const ratio = (layer: string, a: string, b: string, goal?: number): string | undefined => {
    const ra = find(layer, a);
    const rb = find(layer, b);
    if (!ra?.gflops || !rb?.gflops) return undefined;
    const wall = ra.gflops / rb.gflops;
    const cpu = ra.cpuGflops && rb.cpuGflops ? ` (${(ra.cpuGflops / rb.cpuGflops).toFixed(1)}x by CPU time)` : "";
    const verdict = goal === undefined ? "" : `  goal >= ${goal}x: ${wall >= goal ? "met" : "NOT met"}`;
    return `${layer}: ${a} / ${b} = ${wall.toFixed(1)}x${cpu}${verdict}`;
  };
  out.push("");
  for (const layer of CONV_LAYERS) {
    for (const l of [
      ratio(layer.name, "im2col reference", "naive loops", 3),
      ratio(layer.name, "tfjs wasm", "tfjs cpu", layer === CONV_LAYERS[0] ? 15 : undefined),
    ])
      if (l) out.push(l);
  }
  return out.join("\n");
}

if (require.main === module) {
  const quick = process.argv.includes("--quick");
  const t0 = performance.now();
  runConvBench({ quick, log: (l) => console.error(l) })
    .then((rows) => {
      console.log(formatConvBench(rows));
      const load = os
        .loadavg()
        .map((v) => v.toFixed(1))
        .join(" ");
      console.log(`\n(${quick ? "quick" : "full"} mode, ${((performance.now() - t0) / 1000).toFixed(1)} s, load average ${load} on ${os.cpus().length} CPUs)`);
    })
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
}
