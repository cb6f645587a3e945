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
   * Default 8.
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
  if (report.name !== name) throw new Error(`could not select backend ${name}: ${report.message}`);
}

export async function runTrainBench(options: TrainBenchOptions = {}): Promise<TrainBenchRow[]> {
  const epochs = options.epochs ?? 3;
  const trainSize = options.trainSize ?? 8000;
  const testSize = options.testSize ?? 2000;
  const batchSize = options.batchSize ?? 64;
  const learningRate = options.learningRate ?? 1e-3;
  const cpuBatches = options.cpuBatches ?? 8;
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
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const num = (name: string): number | undefined => {
    const v = argValue(args, name);
    return v === undefined ? undefined : Number(v);
  };
  const backends = argValue(args, "--backends")?.split(",") as BackendName[] | undefined;
  const options: TrainBenchOptions = {
    backends,
    epochs: num("--epochs"),
    trainSize: num("--train"),
    cpuBatches: num("--cpu-batches"),
    batchSize: num("--batch"),
    stockWasm: args.includes("--stock-wasm"),
    log: (line) => console.log(line),
  };
  const report = await selectBackend({ quiet: true });
  console.log(report.message);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const rows = await runTrainBench(options);
  console.log("");
  console.log(
    `LeNet-5 (61,706 params), ${rows[0]?.trainSize ?? "?"} MNIST digits, ${rows[0]?.epochs ?? "?"} epochs, batch ${rows[0]?.batchSize ?? "?"}, Adam 1e-3, test on ${rows[0]?.testSize ?? "?"} held-out digits`,
  );
  console.log(formatTrainBench(rows));
  console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
