/**
 * Backend selection and the wasm training kernels.
 *
 * Every wasm kernel that registerWasmTrainingKernels adds or replaces is compared with tfjs's
 * pure-JavaScript cpu backend on the same float32 data, through the public ops and tf.grad, so
 * what is checked is exactly what model.fit uses.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  LENET5_LAYER_NAMES,
  WASM_ACCELERATED_KERNELS,
  WASM_ADDED_KERNELS,
  buildLeNet5,
  compileForClassification,
  createRng,
  evaluateAccuracy,
  featureExtractor,
  fitShuffled,
  transferLeNet5,
  loadMnist,
  mnistTensors,
  registerWasmTrainingKernels,
  selectBackend,
  setWasmKernelAcceleration,
  wasmTrainingKernelStatus,
} from "@course-kit/kernel-helpers";

type Pad = "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]];

function randomArray(n: number, seed: number, quantize = false): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = rng.normal();
    // Quantized values make exact ties, which matter for max pooling.
    out[i] = quantize ? Math.round(v * 2) / 2 : v;
  }
  return out;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** max |a - b| divided by max(floor, max |b|): float32 rounding gives ~1e-6, a wrong index ~1. */
function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1): number {
  assert.equal(a.length, b.length, "lengths differ");
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

async function on<T>(backend: string, fn: () => T): Promise<T> {
  assert.ok(await tf.setBackend(backend), `could not select ${backend}`);
  return fn();
}

/** Both backends' values of fn, which must return the arrays to compare. */
async function bothBackends(fn: () => Float32Array[]): Promise<{ wasm: Float32Array[]; cpu: Float32Array[] }> {
  const wasm = await on("wasm", () => tf.tidy(fn));
  const cpu = await on("cpu", () => tf.tidy(fn));
  return { wasm, cpu };
}

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: Pad;
  rounding?: "floor" | "round" | "ceil";
}

const convCases: ConvCase[] = [
  { name: "stride 1, same, odd 5x5, non-square input, batch 3", x: [3, 12, 9, 2], filter: [5, 5, 2, 4], strides: 1, pad: "same" },
  { name: "stride 1, valid, even 4x4", x: [2, 11, 13, 3], filter: [4, 4, 3, 2], strides: 1, pad: "valid" },
  { name: "stride 1, same, even 2x2 (asymmetric padding)", x: [2, 7, 8, 3], filter: [2, 2, 3, 3], strides: 1, pad: "same" },
  { name: "stride 2, same, 3x3", x: [2, 15, 10, 2], filter: [3, 3, 2, 3], strides: 2, pad: "same" },
  { name: "stride 2, same, even 4x4", x: [2, 9, 12, 2], filter: [4, 4, 2, 3], strides: 2, pad: "same" },
  { name: "stride 2, valid, 4x2 filter, rows the conv never reads", x: [2, 13, 12, 1], filter: [4, 2, 1, 5], strides: 2, pad: "valid" },
  { name: "strides [2, 3], valid, 3x3 (dx by the original kernel)", x: [3, 11, 14, 2], filter: [3, 3, 2, 2], strides: [2, 3], pad: "valid" },
  { name: "strides [1, 2], same, 3x5", x: [2, 9, 12, 3], filter: [3, 5, 3, 2], strides: [1, 2], pad: "same" },
  { name: "stride 4, valid, 11x11 (AlexNet conv1 pattern, small)", x: [2, 31, 27, 3], filter: [11, 11, 3, 4], strides: 4, pad: "valid" },
  {
    name: "stride 2, explicit pads [[2,1],[0,3]], 3x4 filter",
    x: [2, 10, 13, 2],
    filter: [3, 4, 2, 3],
    strides: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  {
    name: "stride 1, explicit asymmetric pads",
    x: [2, 8, 6, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    pad: [
      [0, 0],
      [0, 2],
      [1, 0],
      [0, 0],
    ],
  },
  { name: "stride 1, numeric pad 1, 3x3", x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 1, pad: 1 },
  { name: "stride 2, numeric pad 2, ceil rounding, 5x5", x: [2, 12, 11, 2], filter: [5, 5, 2, 3], strides: 2, pad: 2, rounding: "ceil" },
  { name: "1x1 filter, stride 2", x: [3, 9, 8, 4], filter: [1, 1, 4, 5], strides: 2, pad: "valid" },
  { name: "filter as large as the input (1x1 output)", x: [4, 7, 7, 2], filter: [7, 7, 2, 3], strides: 1, pad: "valid" },
  { name: "LeNet conv1 shape", x: [16, 28, 28, 1], filter: [5, 5, 1, 6], strides: 1, pad: "same" },
  { name: "LeNet conv2 shape", x: [16, 14, 14, 6], filter: [5, 5, 6, 16], strides: 1, pad: "valid" },
];

describe("wasm training kernels", function () {
  this.timeout(120_000);
  let previous: string;

  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    registerWasmTrainingKernels();
    assert.ok(await tf.setBackend("wasm"));
  });

  after(async () => {
    await tf.setBackend(previous);
  });

  it("registers Conv2DBackpropFilter and the other missing gradient kernels for 'wasm'", () => {
    assert.ok(WASM_ADDED_KERNELS.includes("Conv2DBackpropFilter"));
    for (const name of [...WASM_ADDED_KERNELS, ...WASM_ACCELERATED_KERNELS]) {
      assert.notEqual(tf.getKernel(name, "wasm"), undefined, `${name} is not registered`);
    }
    for (const status of wasmTrainingKernelStatus()) assert.ok(status.active, `${status.kernelName} is not ours`);
  });

  it("is idempotent: a second call changes no kernel", () => {
    const before = [...WASM_ADDED_KERNELS, ...WASM_ACCELERATED_KERNELS].map((n) => tf.getKernel(n, "wasm").kernelFunc);
    registerWasmTrainingKernels();
    registerWasmTrainingKernels();
    const after = [...WASM_ADDED_KERNELS, ...WASM_ACCELERATED_KERNELS].map((n) => tf.getKernel(n, "wasm").kernelFunc);
    after.forEach((fn, i) => assert.equal(fn, before[i]));
  });

  describe("conv2d gradients equal the cpu backend's", () => {
    for (const c of convCases) {
      it(c.name, async () => {
        const yShape = await on("cpu", () =>
          tf.tidy(() => tf.conv2d(tf.zeros<tf.Rank.R4>(c.x), tf.zeros<tf.Rank.R4>(c.filter), c.strides, c.pad, "NHWC", 1, c.rounding).shape),
        );
        const xData = randomArray(size(c.x), 1);
        const fData = randomArray(size(c.filter), 2);
        const dyData = randomArray(size(yShape), 3);
        const grads = (): Float32Array[] => {
          const x = tf.tensor4d(xData, c.x);
          const f = tf.tensor4d(fData, c.filter);
          const dy = tf.tensor(dyData, yShape);
          const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
            tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, "NHWC", 1, c.rounding), dy));
          const [dx, dw] = tf.grads(loss)([x, f]);
          return [dw.dataSync() as Float32Array, dx.dataSync() as Float32Array];
        };
        const { wasm, cpu } = await bothBackends(grads);
        const filterDiff = relMaxDiff(wasm[0], cpu[0]);
        const inputDiff = relMaxDiff(wasm[1], cpu[1]);
        assert.ok(filterDiff < 3e-5, `dW differs from cpu by ${filterDiff}`);
        assert.ok(inputDiff < 3e-5, `dx differs from cpu by ${inputDiff}`);
        // The comparison is not vacuous: the gradient is not all zeros.
        assert.ok(cpu[0].some((v) => Math.abs(v) > 1e-3));
      });
    }

    it("NCHW data (Conv2DBackpropFilter called directly)", async () => {
      const xShape: [number, number, number, number] = [2, 3, 9, 8];
      const filterShape: [number, number, number, number] = [3, 3, 3, 4];
      const xData = randomArray(size(xShape), 4);
      const dyShape: [number, number, number, number] = [2, 4, 5, 4]; // stride 2, same: ceil(9/2) = 5, ceil(8/2) = 4
      const dyData = randomArray(size(dyShape), 5);
      const attrs = { strides: 2, pad: "same", dataFormat: "NCHW", filterShape } as unknown as tf.NamedAttrMap;
      const viaKernel = await on("wasm", () =>
        tf.tidy(() => {
          const out = tf.engine().runKernel("Conv2DBackpropFilter", { x: tf.tensor(xData, xShape), dy: tf.tensor(dyData, dyShape) }, attrs);
          return (out as tf.Tensor).dataSync() as Float32Array;
        }),
      );
      // Reference: the cpu gradient of the same conv in NHWC layout.
      const reference = await on("cpu", () =>
        tf.tidy(() => {
          const x = tf.transpose(tf.tensor4d(xData, xShape), [0, 2, 3, 1]);
          const dy = tf.transpose(tf.tensor4d(dyData, dyShape), [0, 2, 3, 1]);
          const dw = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 2, "same"), dy)))(tf.zeros(filterShape));
          return dw.dataSync() as Float32Array;
        }),
      );
      assert.ok(relMaxDiff(viaKernel, reference) < 3e-5);
    });

    it("leaves no wasm memory behind", async () => {
      await tf.setBackend("wasm");
      const backend = tf.backend() as unknown as { numDataIds(): number };
      const x = tf.tensor4d(randomArray(2 * 10 * 10 * 3, 6), [2, 10, 10, 3]);
      const f = tf.tensor4d(randomArray(3 * 3 * 3 * 4, 7), [3, 3, 3, 4]);
      const step = (): void => {
        tf.tidy(() => {
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")))([x, f]);
          dx.dataSync();
          dw.dataSync();
        });
      };
      step();
      const ids = backend.numDataIds();
      for (let i = 0; i < 5; i++) step();
      assert.equal(backend.numDataIds(), ids);
      x.dispose();
      f.dispose();
    });
  });

  describe("other gradient kernels equal the cpu backend's", () => {
    const poolCases: {
      name: string;
      x: [number, number, number, number];
      size: number | [number, number];
      strides: number | [number, number];
      pad: "same" | "valid";
    }[] = [
      { name: "2x2 stride 2 valid (LeNet)", x: [3, 12, 12, 4], size: 2, strides: 2, pad: "valid" },
      { name: "3x3 stride 2 same (overlapping windows, padding)", x: [2, 11, 9, 3], size: 3, strides: 2, pad: "same" },
      { name: "3x3 stride 1 same", x: [2, 7, 8, 2], size: 3, strides: 1, pad: "same" },
      { name: "2x3 window, strides [1, 2], valid", x: [2, 9, 10, 3], size: [2, 3], strides: [1, 2], pad: "valid" },
    ];
    for (const c of poolCases) {
      it(`MaxPoolGrad, ${c.name}, with ties`, async () => {
        const xData = randomArray(size(c.x), 8, true);
        const grad = (): Float32Array[] => {
          const x = tf.tensor4d(xData, c.x);
          const y = tf.maxPool(x, c.size, c.strides, c.pad);
          const dy = tf.tensor(randomArray(y.size, 9), y.shape);
          // relu first, as in a conv net: many windows are all zeros.
          const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(a) as tf.Tensor4D, c.size, c.strides, c.pad), dy)))(x);
          const dxRaw = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad), dy)))(x);
          return [dx.dataSync() as Float32Array, dxRaw.dataSync() as Float32Array];
        };
        const { wasm, cpu } = await bothBackends(grad);
        assert.deepEqual(Array.from(wasm[0]), Array.from(cpu[0]));
        assert.deepEqual(Array.from(wasm[1]), Array.from(cpu[1]));
        assert.ok(cpu[1].some((v) => v !== 0));
      });
    }

    it("BatchMatMul with transposes and broadcast batch dimensions", async () => {
      const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
        { a: [64, 40], b: [64, 12], ta: true, tb: false },
        { a: [64, 40], b: [12, 40], ta: false, tb: true },
        { a: [9, 5], b: [7, 9], ta: true, tb: true },
        { a: [2, 3, 6, 4], b: [2, 3, 5, 6], ta: true, tb: true },
        { a: [1, 4, 6], b: [3, 5, 4], ta: true, tb: true },
        { a: [3, 6, 4], b: [6, 5], ta: true, tb: false },
      ];
      for (const [i, c] of cases.entries()) {
        const aData = randomArray(size(c.a), 10 + i);
        const bData = randomArray(size(c.b), 20 + i);
        const { wasm, cpu } = await bothBackends(() => [tf.matMul(tf.tensor(aData, c.a), tf.tensor(bData, c.b), c.ta, c.tb).dataSync() as Float32Array]);
        assert.ok(relMaxDiff(wasm[0], cpu[0]) < 1e-5, `case ${i}`);
      }
    });

    it("dense-layer gradients (transposed matmuls)", async () => {
      const xData = randomArray(32 * 20, 30);
      const wData = randomArray(20 * 7, 31);
      const { wasm, cpu } = await bothBackends(() => {
        const x = tf.tensor2d(xData, [32, 20]);
        const w = tf.tensor2d(wData, [20, 7]);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D))))([x, w]);
        return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
      });
      assert.ok(relMaxDiff(wasm[0], cpu[0]) < 1e-5);
      assert.ok(relMaxDiff(wasm[1], cpu[1]) < 1e-5);
    });

    it("GatherV2 on axis 0 and other axes, and its gradient (UnsortedSegmentSum)", async () => {
      const xData = randomArray(10 * 3 * 4, 40);
      const { wasm, cpu } = await bothBackends(() => {
        const x = tf.tensor3d(xData, [10, 3, 4]);
        const rows = tf.tensor2d([7, 0, 7, 3, 9, 1], [2, 3], "int32");
        const cols = tf.tensor1d([2, 0, 2], "int32");
        const weights = tf.tensor(randomArray(2 * 3 * 3 * 4, 41), [2, 3, 3, 4]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, rows, 0), weights)))(x);
        return [
          tf.gather(x, rows, 0).dataSync() as Float32Array,
          tf.gather(x, cols, 1).dataSync() as Float32Array,
          g.dataSync() as Float32Array,
          tf.unsortedSegmentSum(x, tf.tensor1d([1, 0, 4, 1, 1, 3, 0, 4, 2, 2], "int32"), 6).dataSync() as Float32Array,
        ];
      });
      assert.deepEqual(Array.from(wasm[0]), Array.from(cpu[0]));
      assert.deepEqual(Array.from(wasm[1]), Array.from(cpu[1]));
      assert.ok(relMaxDiff(wasm[2], cpu[2]) < 1e-6);
      assert.ok(relMaxDiff(wasm[3], cpu[3]) < 1e-6);
    });

    for (const c of [
      {
        name: "stride 1 same, channel multiplier 2",
        x: [2, 9, 8, 3] as [number, number, number, number],
        f: [3, 3, 3, 2] as [number, number, number, number],
        s: 1,
        pad: "same" as const,
      },
      {
        name: "stride 2 valid, multiplier 1",
        x: [3, 11, 10, 4] as [number, number, number, number],
        f: [4, 3, 4, 1] as [number, number, number, number],
        s: 2,
        pad: "valid" as const,
      },
    ]) {
      it(`depthwise conv2d gradients, ${c.name}`, async () => {
        const xData = randomArray(size(c.x), 50);
        const fData = randomArray(size(c.f), 51);
        const { wasm, cpu } = await bothBackends(() => {
          const x = tf.tensor4d(xData, c.x);
          const f = tf.tensor4d(fData, c.f);
          const [dx, df] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad))))([
            x,
            f,
          ]);
          return [dx.dataSync() as Float32Array, df.dataSync() as Float32Array];
        });
        assert.ok(relMaxDiff(wasm[0], cpu[0]) < 3e-5);
        assert.ok(relMaxDiff(wasm[1], cpu[1]) < 3e-5);
      });
    }
  });

  describe("training LeNet-5 on wasm", () => {
    it("one SGD step gives the same weights as on the cpu backend", async () => {
      const { train } = loadMnist({ trainSize: 16, testSize: 0, seed: 5 });
      const initial = await on("cpu", () => {
        const model = buildLeNet5({ seed: 3 });
        const values = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
        model.dispose();
        return values;
      });
      const step = async (backend: string): Promise<{ loss: number; weights: Float32Array[] }> => {
        await tf.setBackend(backend);
        const model = buildLeNet5({ seed: 3 });
        model.setWeights(initial.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
        model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
        const { xs, ys } = mnistTensors(train);
        const loss = (await model.trainOnBatch(xs, ys)) as number;
        const weights = model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
        tf.dispose([xs, ys]);
        model.dispose();
        return { loss, weights };
      };
      const wasm = await step("wasm");
      const cpu = await step("cpu");
      assert.ok(Math.abs(wasm.loss - cpu.loss) < 1e-4 * Math.max(1, cpu.loss));
      const names = [
        "conv1/kernel",
        "conv1/bias",
        "conv2/kernel",
        "conv2/bias",
        "fc1/kernel",
        "fc1/bias",
        "fc2/kernel",
        "fc2/bias",
        "output/kernel",
        "output/bias",
      ];
      for (let i = 0; i < cpu.weights.length; i++) {
        // The update itself (not the unchanged initial weights) must agree.
        const updateWasm = wasm.weights[i].map((v, j) => v - initial[i][j]);
        const updateCpu = cpu.weights[i].map((v, j) => v - initial[i][j]);
        assert.ok(
          updateCpu.some((v) => v !== 0),
          `${names[i]} did not change on cpu`,
        );
        const d = relMaxDiff(updateWasm, updateCpu, 1e-30);
        assert.ok(d < 1e-3, `${names[i]}: update differs by ${d}`);
      }
    });

    it("model.fit of a conv net runs on wasm and lowers the loss", async () => {
      await tf.setBackend("wasm");
      const { train } = loadMnist({ trainSize: 1024, testSize: 0, seed: 6 });
      const { xs, ys } = mnistTensors(train);
      const model = tf.sequential();
      model.add(
        tf.layers.conv2d({
          inputShape: [28, 28, 1],
          filters: 8,
          kernelSize: 3,
          strides: 2,
          padding: "same",
          activation: "relu",
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
      );
      model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      model.add(tf.layers.conv2d({ filters: 12, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
      model.compile({ optimizer: tf.train.adam(0.003), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
      const firstKernel = model.layers[0].getWeights()[0].dataSync().slice();
      const history = await model.fit(xs, ys, { epochs: 3, batchSize: 32, shuffle: false, verbose: 0 });
      const losses = history.history.loss as number[];
      assert.equal(tf.getBackend(), "wasm");
      assert.ok(losses[2] < 0.5 * losses[0], `loss went ${losses.join(" -> ")}`);
      const after = model.layers[0].getWeights()[0].dataSync();
      assert.ok(
        after.some((v, i) => Math.abs(v - firstKernel[i]) > 1e-3),
        "the first conv layer did not learn",
      );
      tf.dispose([xs, ys]);
      model.dispose();
    });

    it("the kernels stay correct with the speed-ups switched off (original wasm kernels)", async () => {
      setWasmKernelAcceleration(false);
      try {
        assert.ok(
          wasmTrainingKernelStatus()
            .filter((s) => s.kind === "accelerated")
            .every((s) => !s.active),
        );
        const xData = randomArray(2 * 9 * 9 * 2, 60);
        const fData = randomArray(3 * 3 * 2 * 3, 61);
        const { wasm, cpu } = await bothBackends(() => {
          const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"))))([
            tf.tensor4d(xData, [2, 9, 9, 2]),
            tf.tensor4d(fData, [3, 3, 2, 3]),
          ]);
          return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
        });
        assert.ok(relMaxDiff(wasm[0], cpu[0]) < 3e-5);
        assert.ok(relMaxDiff(wasm[1], cpu[1]) < 3e-5);
      } finally {
        setWasmKernelAcceleration(true);
      }
      assert.ok(wasmTrainingKernelStatus().every((s) => s.active));
    });
  });
});

describe("LeNet-5 builder", function () {
  this.timeout(60_000);
  let previous: string;
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    await selectBackend({ prefer: ["wasm", "cpu"], quiet: true });
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  it("has the modern LeNet-5 layout: named layers, 61,706 parameters for 10 classes", () => {
    const model = buildLeNet5();
    assert.deepEqual(
      model.layers.map((l) => l.name),
      [...LENET5_LAYER_NAMES],
    );
    assert.deepEqual(
      model.layers.map((l) => l.outputShape),
      [
        [null, 28, 28, 6],
        [null, 14, 14, 6],
        [null, 10, 10, 16],
        [null, 5, 5, 16],
        [null, 400],
        [null, 120],
        [null, 84],
        [null, 10],
      ],
    );
    // conv 5*5*1*6+6, conv 5*5*6*16+16, dense 400*120+120, 120*84+84, 84*10+10
    assert.equal(model.countParams(), 156 + 2416 + 48120 + 10164 + 850);
    assert.equal(model.countParams(), 61706);
    assert.equal(buildLeNet5({ numClasses: 5 }).countParams(), 61706 - 5 * 85);
    const tanh = buildLeNet5({ activation: "tanh" });
    assert.equal((tanh.getLayer("conv1").getConfig() as { activation: string }).activation, "tanh");
    assert.throws(() => buildLeNet5({ numClasses: 1 }), RangeError);
    model.dispose();
    tanh.dispose();
  });

  it("is reproducible with a seed; feature maps are reachable by layer name", () => {
    const a = buildLeNet5({ seed: 4 });
    const b = buildLeNet5({ seed: 4 });
    const c = buildLeNet5({ seed: 5 });
    const first = (m: tf.LayersModel): Float32Array => m.getLayer("conv1").getWeights()[0].dataSync() as Float32Array;
    assert.deepEqual(first(a), first(b));
    assert.notDeepEqual(first(a), first(c));
    const maps = featureExtractor(a, ["conv1", "pool2"]).predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor[];
    assert.deepEqual(
      maps.map((m) => m.shape),
      [
        [2, 28, 28, 6],
        [2, 5, 5, 16],
      ],
    );
  });

  it("transferLeNet5 copies and freezes the conv layers and trains only the rest", async () => {
    const base = buildLeNet5({ numClasses: 5, seed: 6 });
    const model = transferLeNet5(base, { numClasses: 5, seed: 7 });
    assert.deepEqual(
      model.layers.filter((l) => !l.trainable).map((l) => l.name),
      ["conv1", "conv2"],
    );
    const weights = (m: tf.LayersModel, name: string): Float32Array => m.getLayer(name).getWeights()[0].dataSync().slice() as Float32Array;
    assert.deepEqual(weights(model, "conv2"), weights(base, "conv2"));
    assert.notDeepEqual(weights(model, "fc1"), weights(base, "fc1"));
    compileForClassification(model, 0.01);
    const { train } = loadMnist({ digits: [5, 6, 7, 8, 9], trainPerClass: 4, testSize: 0, seed: 1 });
    const { xs, ys } = mnistTensors(train, 5, 5);
    const conv2 = weights(model, "conv2");
    const fc1 = weights(model, "fc1");
    await fitShuffled(model, xs, ys, { epochs: 2, batchSize: 10 });
    assert.deepEqual(weights(model, "conv2"), conv2, "a frozen layer changed");
    assert.notDeepEqual(weights(model, "fc1"), fc1, "the head did not train");
    tf.dispose([xs, ys]);
  });

  it("fitShuffled is reproducible and follows the learning-rate schedule", async () => {
    const { train, test } = loadMnist({ trainSize: 256, testSize: 256, seed: 2 });
    const t = mnistTensors(train);
    const v = mnistTensors(test);
    const run = async (rates: number[]): Promise<{ loss: number[]; accuracy: number }> => {
      const model = buildLeNet5({ seed: 8 });
      compileForClassification(model, rates[0]);
      const result = await fitShuffled(model, t.xs, t.ys, { epochs: rates.length, batchSize: 32, seed: 3, learningRate: (e) => rates[e] });
      const accuracy = evaluateAccuracy(model, v.xs, v.ys);
      model.dispose();
      return { loss: result.loss, accuracy };
    };
    const a = await run([0.003, 0.001]);
    const b = await run([0.003, 0.001]);
    assert.deepEqual(a, b);
    assert.ok(a.loss[1] < a.loss[0]);
    assert.ok(a.accuracy > 0.25, `accuracy ${a.accuracy} after 2 epochs on 256 digits (chance is 0.1)`);
    // A zero learning rate in the second epoch leaves the weights as they were after the first.
    const frozen = await run([0.003, 0]);
    const once = await run([0.003]);
    assert.equal(frozen.accuracy, once.accuracy);
    assert.notEqual(frozen.loss[1], a.loss[1]);
    tf.dispose([t.xs, t.ys, v.xs, v.ys]);
  });
});

describe("selectBackend", function () {
  this.timeout(60_000);
  let previous: string;
  let tfjsNodeInstalled = false;

  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    try {
      require.resolve("@tensorflow/tfjs-node");
      tfjsNodeInstalled = true;
    } catch {
      tfjsNodeInstalled = false;
    }
  });

  after(async () => {
    await tf.setBackend(previous);
  });

  it("falls back from tfjs-node to wasm and says which backend it uses in plain words", async function () {
    if (tfjsNodeInstalled) this.skip();
    const report = await selectBackend({ quiet: true, lang: "ko" });
    assert.equal(report.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.deepEqual(
      report.tried.map((t) => [t.name, t.ok]),
      [
        ["tensorflow", false],
        ["wasm", true],
      ],
    );
    assert.match(report.tried[0].error ?? "", /tfjs-node not installed/);
    // The learner's line names the backend in plain words; tfjs-node is optional, so its absence
    // is not news, and no module-loader error reaches the learner.
    assert.equal(report.message, "TensorFlow.js 백엔드: wasm (WebAssembly, CPU)");
    assert.match(report.details[0], /^tensorflow: tfjs-node not installed: .*Cannot find module.*tfjs-node/);
    assert.equal(report.details[1], "wasm: in use");
    // wasm is chosen ready to train.
    assert.notEqual(tf.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
  });

  it("honours `prefer`, skipping what fails, down to cpu", async () => {
    const report = await selectBackend({ prefer: ["tensorflow", "cpu"], quiet: true, lang: "ko" });
    assert.equal(report.name, tfjsNodeInstalled ? "tensorflow" : "cpu");
    assert.equal(tf.getBackend(), report.name);
    if (!tfjsNodeInstalled) {
      assert.deepEqual(
        report.tried.map((t) => t.ok),
        [false, true],
      );
      assert.equal(report.message, "TensorFlow.js 백엔드: cpu (순수 JavaScript, 느림)");
    }
    const onlyCpu = await selectBackend({ prefer: ["cpu"], quiet: true, lang: "ko" });
    assert.deepEqual(onlyCpu.tried, [{ name: "cpu", ok: true }]);
    assert.equal(onlyCpu.message, "TensorFlow.js 백엔드: cpu (순수 JavaScript, 느림)");
    // Outside an assignment folder (no assignment.json, no setLanguage) the line is in English.
    const english = await selectBackend({ prefer: ["cpu"], quiet: true });
    assert.equal(english.message, "TensorFlow.js backend: cpu (pure JavaScript, slow)");
  });

  it("records unknown names as failures and throws when nothing works", async () => {
    const report = await selectBackend({ prefer: ["webgpu" as never, "cpu"], quiet: true, lang: "ko" });
    assert.equal(report.name, "cpu");
    assert.equal(report.tried[0].ok, false);
    assert.match(report.tried[0].error ?? "", /unknown backend/);
    // A preferred backend that failed for another reason than not being installed is named, in
    // words, with where to find the reason; the reason itself stays in the details.
    assert.equal(
      report.message,
      "TensorFlow.js 백엔드: cpu (순수 JavaScript, 느림). webgpu 백엔드는 쓸 수 없어서 건너뛰었습니다 (이유: selectBackend({ verbose: true }))",
    );
    assert.match(report.details[0], /^webgpu: unknown backend name/);
    const english = await selectBackend({ prefer: ["webgpu" as never, "cpu"], quiet: true, lang: "en" });
    assert.equal(
      english.message,
      "TensorFlow.js backend: cpu (pure JavaScript, slow). Skipped the backends that could not be used: webgpu (why: selectBackend({ verbose: true }))",
    );
    await assert.rejects(selectBackend({ prefer: ["webgpu" as never], quiet: true }), /no tfjs backend could be used/);
  });

  it("is idempotent, prints its message unless quiet, and the details when verbose", async () => {
    const lines: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => {
      lines.push(args.join(" "));
    };
    let first;
    let second;
    try {
      first = await selectBackend({ prefer: ["wasm", "cpu"], lang: "ko" });
      second = await selectBackend({ prefer: ["wasm", "cpu"], lang: "ko" });
      await selectBackend({ prefer: ["wasm", "cpu"], quiet: true });
      await selectBackend({ prefer: ["webgpu" as never, "wasm"], quiet: true, verbose: true });
    } finally {
      console.log = original;
    }
    assert.deepEqual(second, first);
    assert.equal(first.name, "wasm");
    assert.deepEqual(lines, [
      "TensorFlow.js 백엔드: wasm (WebAssembly, CPU)",
      "TensorFlow.js 백엔드: wasm (WebAssembly, CPU)",
      // verbose: the details, indented (quiet silences only the learner's line)
      "  webgpu: unknown backend name (expected one of tensorflow, wasm, cpu)",
      "  wasm: in use",
    ]);
    assert.ok(wasmTrainingKernelStatus().every((s) => s.active));
  });
});
