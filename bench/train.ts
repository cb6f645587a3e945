/**
 * Training benchmark: LeNet-5 on offline MNIST (default 8,000 training digits, 3 epochs, batch
 * 64, Adam 1e-3), on the backend selectBackend picks and on the pure-JS cpu backend.
 *
 * The cpu backend needs minutes per epoch, so by default it is timed on `cpuBatches` batches
 * and the full time is extrapolated from them; such rows say so (extrapolated = true, no loss or
 * accuracy). Run standalone: `node dist/bench/train.js [--epochs 3] [--train 8000]
 * [--cpu-batches 8] [--backends wasm,cpu] [--stock-wasm]`.
 */
import * as tf from "@tensorflow/tfjs";
import * as os from "node:os";
import {
  type BackendName,
  buildLeNet5,
  transferLeNet5,
  compileForClassification,
  evaluateAccuracy,
  fitShuffled,
  loadMnist,
  mnistTensors,
  selectBackend,
  setWasmKernelAcceleration,
} from "@course-kit/kernel-helpers";

export interface TrainBenchOptions {
  /** Backends to run. Default: the one selectBackend picks, then "cpu". */
  backends?: BackendName[];
  epochs?: number;
  trainSize?: number;
  testSize?: number;
  batchSize?: number;
  learningRate?: number;
  /**
   * Time the cpu backend on this many batches and extrapolate (0 = train it fully).
   * Default 4.
   */
  cpuBatches?: number;
  /** Also run wasm with tfjs-backend-wasm's own (slow) kernels, only Conv2DBackpropFilter etc. added. */
  stockWasm?: boolean;
  seed?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface TrainBenchRow {
  backend: BackendName;
  /** What ran, e.g. "wasm (selectBackend)" or "cpu, 8 of 375 batches". */
  label: string;
  trainSize: number;
  testSize: number;
  epochs: number;
  batchSize: number;
  /** Batches actually trained and timed, and the batches of the full run. */
  batchesTimed: number;
  batchesFull: number;
  /** Measured wall-clock seconds of the timed training (excludes data loading and evaluation). */
  seconds: number;
  /** Seconds of the full run: measured, or extrapolated from `batchesTimed` when `extrapolated`. */
  secondsFull: number;
  extrapolated: boolean;
  /** Mean training loss of the last epoch (null when extrapolated). */
  finalTrainLoss: number | null;
  /** Accuracy on the held-out test digits (null when extrapolated). */
  testAccuracy: number | null;
}

async function useBackend(name: BackendName): Promise<void> {
  const report = await selectBackend({ prefer: [name], quiet: true });
  if (report.name !== name) throw new Error(`could not select backend ${name}: ${report.details.join("; ")}`);
}

export async function runTrainBench(options: TrainBenchOptions = {}): Promise<TrainBenchRow[]> {
  const epochs = options.epochs ?? 3;
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? 2000;
  const batchSize = options.batchSize ?? 64;
  const learningRate = options.learningRate ?? 1e-3;
  const cpuBatches = options.cpuBatches ?? 4;
  const seed = options.seed ?? 0;
  const log = options.log ?? (() => undefined);

  const chosen = (await selectBackend({ quiet: true })).name;
  const backends = options.backends ?? (chosen === "cpu" ? ["cpu"] : [chosen, "cpu"]);
  const { train, test } = loadMnist({ trainSize, testSize, seed });
  const batchesPerEpoch = Math.ceil(trainSize / batchSize);
  const batchesFull = batchesPerEpoch * epochs;

  const runs: { backend: BackendName; label: string; stock: boolean }[] = backends.map((b) => ({
    backend: b,
    label: b === chosen && options.backends === undefined ? `${b} (selectBackend)` : b,
    stock: false,
  }));
  if (options.stockWasm === true) runs.push({ backend: "wasm", label: "wasm, stock tfjs kernels + ours only where missing", stock: true });

  const rows: TrainBenchRow[] = [];
  for (const run of runs) {
    await useBackend(run.backend);
    if (run.backend === "wasm") setWasmKernelAcceleration(!run.stock);
    try {
      const { xs, ys } = mnistTensors(train);
      const test_ = mnistTensors(test);
      const model = buildLeNet5({ seed: seed + 1 });
      compileForClassification(model, learningRate);
      const limited = run.backend === "cpu" && cpuBatches > 0 && cpuBatches < batchesFull;
      let row: TrainBenchRow;
      if (!limited) {
        log(`${run.label}: training ${epochs} epochs of ${trainSize} digits...`);
        const result = await fitShuffled(model, xs, ys, {
          epochs,
          batchSize,
          seed,
          onEpochEnd: (epoch, loss) => log(`  epoch ${epoch + 1}: loss ${loss.toFixed(4)}`),
        });
        row = {
          backend: run.backend,
          label: run.label,
          trainSize,
          testSize,
          epochs,
          batchSize,
          batchesTimed: batchesFull,
          batchesFull,
          seconds: result.seconds,
          secondsFull: result.seconds,
          extrapolated: false,
          finalTrainLoss: result.loss[result.loss.length - 1],
          testAccuracy: evaluateAccuracy(model, test_.xs, test_.ys),
        };
      } else {
        log(`${run.label}: timing ${cpuBatches} of ${batchesFull} batches...`);
        const start = performance.now();
        for (let b = 0; b < cpuBatches; b++) {
          const from = (b % batchesPerEpoch) * batchSize;
          const size = Math.min(batchSize, trainSize - from);
          const [bx, by] = [tf.slice(xs, from, size), tf.slice(ys, from, size)];
          await model.trainOnBatch(bx, by);
          tf.dispose([bx, by]);
        }
        const seconds = (performance.now() - start) / 1000;
        row = {
          backend: run.backend,
          label: `${run.label}, ${cpuBatches} of ${batchesFull} batches, extrapolated`,
          trainSize,
          testSize,
          epochs,
          batchSize,
          batchesTimed: cpuBatches,
          batchesFull,
          seconds,
          secondsFull: (seconds / cpuBatches) * batchesFull,
          extrapolated: true,
          finalTrainLoss: null,
          testAccuracy: null,
        };
      }
      rows.push(row);
      tf.dispose([xs, ys, test_.xs, test_.ys]);
      model.dispose();
    } finally {
      if (run.backend === "wasm") setWasmKernelAcceleration(true);
    }
  }
  return rows;
}

export function formatTrainBench(rows: TrainBenchRow[]): string {
  const header = ["run", "batches timed", "seconds (timed)", "seconds (full run)", "final train loss", "test accuracy"];
  const body = rows.map((r) => [
    r.label,
    `${r.batchesTimed}/${r.batchesFull}`,
    r.seconds.toFixed(1),
    (r.extrapolated ? "~" : "") + r.secondsFull.toFixed(1),
    r.finalTrainLoss === null ? "-" : r.finalTrainLoss.toFixed(4),
    r.testAccuracy === null ? "-" : `${(100 * r.testAccuracy).toFixed(2)}%`,
  ]);
  return table(header, body);
}

// ---------------------------------------------------------------------------------------------
// Experiment (a): reach 97% test accuracy quickly.

export interface AccuracyTargetOptions {
  trainSize?: number;
  testSize?: number;
  batchSize?: number;
  /** Adam learning rate of each epoch; the number of epochs is its length. */
  learningRates?: number[];
  /** Initialisation seeds to repeat the run with (the data split uses seed 0). */
  seeds?: number[];
  log?: (line: string) => void;
}

export interface AccuracyTargetRun {
  seed: number;
  /** Test accuracy after each epoch. */
  accuracy: number[];
  /** Cumulative training seconds after each epoch (evaluation excluded). */
  seconds: number[];
  finalLoss: number;
}

/** Halving learning rates from 4e-3: the quickest setting found to reach 97% (see the report). */
export const ACCURACY_TARGET_LEARNING_RATES: readonly number[] = [0.004, 0.002, 0.001, 0.0005];

export async function runAccuracyTarget(options: AccuracyTargetOptions = {}): Promise<AccuracyTargetRun[]> {
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? 2000;
  const batchSize = options.batchSize ?? 64;
  const rates = options.learningRates ?? [...ACCURACY_TARGET_LEARNING_RATES];
  const seeds = options.seeds ?? [1, 2, 3];
  const log = options.log ?? (() => undefined);
  const { train, test } = loadMnist({ trainSize, testSize, seed: 0 });
  const t = mnistTensors(train);
  const v = mnistTensors(test);
  const runs: AccuracyTargetRun[] = [];
  for (const seed of seeds) {
    const model = buildLeNet5({ seed });
    compileForClassification(model, rates[0]);
    const run: AccuracyTargetRun = { seed, accuracy: [], seconds: [], finalLoss: Number.NaN };
    let total = 0;
    for (let epoch = 0; epoch < rates.length; epoch++) {
      const result = await fitShuffled(model, t.xs, t.ys, { epochs: 1, batchSize, seed: 1000 * seed + epoch, learningRate: () => rates[epoch] });
      total += result.seconds;
      run.seconds.push(total);
      run.accuracy.push(evaluateAccuracy(model, v.xs, v.ys));
      run.finalLoss = result.loss[0];
      log(`  seed ${seed} epoch ${epoch + 1}: lr ${rates[epoch]}, ${(100 * run.accuracy[epoch]).toFixed(2)}% after ${total.toFixed(1)} s`);
    }
    runs.push(run);
    model.dispose();
  }
  tf.dispose([t.xs, t.ys, v.xs, v.ys]);
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Experiment (b): transfer learning from digits 0-4 to few labelled digits 5-9.

export interface TransferExperimentOptions {
  /** Adam learning rate of each pretraining epoch on digits 0-4. */
  pretrainLearningRates?: number[];
  /** Labelled training images per class of digits 5-9. */
  perClass?: number[];
  /** Seeds: each picks other few-shot images (and test images) and other fresh-layer weights. */
  seeds?: number[];
  /** Epochs, batch and Adam learning rate of the few-shot training (the same for both methods). */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Held-out test images of digits 5-9 per seed. */
  testSize?: number;
  log?: (line: string) => void;
}

export interface TransferRow {
  perClass: number;
  method: "scratch" | "transfer";
  /** Test accuracy for each seed, in `seeds` order. */
  accuracy: number[];
  mean: number;
  std: number;
  /** Mean seconds of few-shot training per seed. */
  seconds: number;
}

export interface TransferResult {
  pretrainImages: number;
  pretrainSeconds: number;
  /** Accuracy of the pretrained 0-4 model on held-out digits 0-4. */
  pretrainAccuracy: number;
  rows: TransferRow[];
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std };
}

export async function runTransferExperiment(options: TransferExperimentOptions = {}): Promise<TransferResult> {
  const pretrainRates = options.pretrainLearningRates ?? [...ACCURACY_TARGET_LEARNING_RATES];
  const perClassList = options.perClass ?? [2, 5, 10, 20];
  const seeds = options.seeds ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 32;
  const learningRate = options.learningRate ?? 0.002;
  const testSize = options.testSize ?? 1000;
  const log = options.log ?? (() => undefined);

  const low = loadMnist({ digits: [0, 1, 2, 3, 4], testSize: 500, seed: 0 });
  const lowTrain = mnistTensors(low.train, 5, 0);
  const lowTest = mnistTensors(low.test, 5, 0);
  const base = buildLeNet5({ numClasses: 5, seed: 1 });
  compileForClassification(base, pretrainRates[0]);
  const pre = await fitShuffled(base, lowTrain.xs, lowTrain.ys, {
    epochs: pretrainRates.length,
    batchSize: 64,
    seed: 0,
    learningRate: (epoch) => pretrainRates[epoch],
  });
  const pretrainAccuracy = evaluateAccuracy(base, lowTest.xs, lowTest.ys);
  log(`pretrained on ${low.train.size} digits 0-4 in ${pre.seconds.toFixed(1)} s: ${(100 * pretrainAccuracy).toFixed(2)}% on held-out 0-4`);
  tf.dispose([lowTrain.xs, lowTrain.ys, lowTest.xs, lowTest.ys]);

  const rows: TransferRow[] = [];
  for (const perClass of perClassList) {
    const results = { scratch: { acc: [] as number[], sec: [] as number[] }, transfer: { acc: [] as number[], sec: [] as number[] } };
    for (const seed of seeds) {
      const few = loadMnist({ digits: [5, 6, 7, 8, 9], trainPerClass: perClass, testSize, seed });
      const t = mnistTensors(few.train, 5, 5);
      const v = mnistTensors(few.test, 5, 5);
      for (const method of ["scratch", "transfer"] as const) {
        const model = method === "scratch" ? buildLeNet5({ numClasses: 5, seed: 100 + seed }) : transferLeNet5(base, { numClasses: 5, seed: 100 + seed });
        compileForClassification(model, learningRate);
        const fit = await fitShuffled(model, t.xs, t.ys, { epochs, batchSize, seed });
        results[method].acc.push(evaluateAccuracy(model, v.xs, v.ys));
        results[method].sec.push(fit.seconds);
        model.dispose();
      }
      tf.dispose([t.xs, t.ys, v.xs, v.ys]);
    }
    for (const method of ["scratch", "transfer"] as const) {
      const { mean, std } = meanStd(results[method].acc);
      rows.push({ perClass, method, accuracy: results[method].acc, mean, std, seconds: meanStd(results[method].sec).mean });
    }
    log(`  ${perClass} per class: scratch ${(100 * rows[rows.length - 2].mean).toFixed(1)}%, transfer ${(100 * rows[rows.length - 1].mean).toFixed(1)}%`);
  }
  base.dispose();
  return { pretrainImages: low.train.size, pretrainSeconds: pre.seconds, pretrainAccuracy, rows };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function formatAccuracyTarget(runs: AccuracyTargetRun[], rates: readonly number[]): string {
  const header = ["init seed", ...rates.map((r, i) => `epoch ${i + 1} (lr ${r})`), "final train loss"];
  const lines = runs.map((r) => [
    String(r.seed),
    ...r.accuracy.map((a, i) => `${(100 * a).toFixed(2)}% @ ${r.seconds[i].toFixed(1)} s`),
    r.finalLoss.toFixed(4),
  ]);
  return table(header, lines);
}

export function formatTransfer(result: TransferResult): string {
  const perClassList = [...new Set(result.rows.map((r) => r.perClass))];
  const lines = perClassList.map((k) => {
    const s = result.rows.find((r) => r.perClass === k && r.method === "scratch") as TransferRow;
    const t = result.rows.find((r) => r.perClass === k && r.method === "transfer") as TransferRow;
    const wins = t.accuracy.filter((a, i) => a > s.accuracy[i]).length;
    return [
      `${k} (${5 * k} images)`,
      `${pct(s.mean)} ± ${pct(s.std)}`,
      `${pct(t.mean)} ± ${pct(t.std)}`,
      `${(100 * (t.mean - s.mean)).toFixed(1)} pts`,
      `${wins}/${t.accuracy.length}`,
      `${s.seconds.toFixed(2)} s / ${t.seconds.toFixed(2)} s`,
    ];
  });
  return table(["per class", "from scratch", "transfer (frozen conv)", "gain", "seeds transfer wins", "train time scratch / transfer"], lines);
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function loadLine(): string {
  return `load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const num = (name: string): number | undefined => {
    const v = argValue(args, name);
    return v === undefined ? undefined : Number(v);
  };
  const log = (line: string): void => console.log(line);
  const report = await selectBackend({ quiet: true });
  console.log(report.message);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${loadLine()}`);
  const experiment = argValue(args, "--experiment");
  if (experiment === "accuracy") {
    const seeds = argValue(args, "--seeds")?.split(",").map(Number);
    const runs = await runAccuracyTarget({ seeds, log });
    console.log("");
    console.log("LeNet-5, 8000 MNIST digits, batch 64, Adam with per-epoch learning rates, test on 2000 held-out digits");
    console.log(formatAccuracyTarget(runs, ACCURACY_TARGET_LEARNING_RATES));
  } else if (experiment === "transfer") {
    const seeds = argValue(args, "--seeds")?.split(",").map(Number);
    const perClass = argValue(args, "--per-class")?.split(",").map(Number);
    const result = await runTransferExperiment({ seeds, perClass, log });
    console.log("");
    console.log(
      `Pretrained LeNet-5 on ${result.pretrainImages} digits 0-4 (${ACCURACY_TARGET_LEARNING_RATES.length} epochs, ${result.pretrainSeconds.toFixed(1)} s, ` +
        `${(100 * result.pretrainAccuracy).toFixed(2)}% on held-out 0-4). Few-shot digits 5-9: 30 epochs, batch 32, Adam 2e-3, 1000 test images per seed.`,
    );
    console.log(formatTransfer(result));
  } else {
    const backends = argValue(args, "--backends")?.split(",") as BackendName[] | undefined;
    const rows = await runTrainBench({
      backends,
      epochs: num("--epochs"),
      trainSize: num("--train"),
      cpuBatches: num("--cpu-batches"),
      batchSize: num("--batch"),
      stockWasm: args.includes("--stock-wasm"),
      log,
    });
    console.log("");
    console.log(
      `LeNet-5 (61,706 params), ${rows[0]?.trainSize ?? "?"} MNIST digits, ${rows[0]?.epochs ?? "?"} epochs, batch ${rows[0]?.batchSize ?? "?"}, Adam 1e-3, test on ${rows[0]?.testSize ?? "?"} held-out digits`,
    );
    console.log(formatTrainBench(rows));
  }
  console.log(`after: ${loadLine()}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
