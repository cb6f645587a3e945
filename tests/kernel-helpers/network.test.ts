/**
 * reference.describeNetwork against published architectures (shapes from the study notes'
 * AlexNet table, parameter counts from the papers / torchvision), against tfjs-layers models, and
 * against actually running the reference kernels.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as fc from "fast-check";
import { LayerSpec, LayerSummary, randn4, randnArray, reference, Tensor4 } from "@course-kit/kernel-helpers";

const total = (s: LayerSummary[]) => s.reduce((p, l) => p + l.params, 0);
const last = (s: LayerSummary[]) => s[s.length - 1];

const relu: LayerSpec = { type: "relu" };

const alexnet: LayerSpec[] = [
  { type: "conv", filters: 96, size: 11, stride: 4 },
  relu,
  { type: "maxpool", size: 3, stride: 2 },
  { type: "lrn" },
  { type: "conv", filters: 256, size: 5, pad: 2 },
  relu,
  { type: "maxpool", size: 3, stride: 2 },
  { type: "lrn" },
  { type: "conv", filters: 384, size: 3, pad: 1 },
  relu,
  { type: "conv", filters: 384, size: 3, pad: 1 },
  relu,
  { type: "conv", filters: 256, size: 3, pad: 1 },
  relu,
  { type: "maxpool", size: 3, stride: 2 },
  { type: "fc", units: 4096 },
  relu,
  { type: "dropout" },
  { type: "fc", units: 4096 },
  relu,
  { type: "dropout" },
  { type: "fc", units: 1000 },
];

function vgg16(): LayerSpec[] {
  const layers: LayerSpec[] = [];
  for (const [filters, n] of [
    [64, 2],
    [128, 2],
    [256, 3],
    [512, 3],
    [512, 3],
  ]) {
    for (let i = 0; i < n; i++) layers.push({ type: "conv", filters, size: 3, pad: 1 }, relu);
    layers.push({ type: "maxpool", size: 2 });
  }
  layers.push({ type: "fc", units: 4096 }, relu, { type: "fc", units: 4096 }, relu, { type: "fc", units: 1000 });
  return layers;
}

/** torchvision ResNet: 7x7/2 conv (no bias) + BN + relu, 3x3/2 pad 1 maxpool, 4 stages, avgpool 7, fc. */
function resnet(blocks: number[], bottleneck: boolean): LayerSpec[] {
  const layers: LayerSpec[] = [
    { type: "conv", filters: 64, size: 7, stride: 2, pad: 3, bias: false },
    { type: "batchnorm" },
    relu,
    { type: "maxpool", size: 3, stride: 2, pad: 1 },
  ];
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let i = 0; i < blocks[stage]; i++) {
      layers.push({ type: "residual", filters, stride: stage > 0 && i === 0 ? 2 : 1, bottleneck });
    }
  });
  layers.push({ type: "avgpool", size: 7 }, { type: "fc", units: 1000 });
  return layers;
}

describe("describeNetwork: published architectures", () => {
  it("reproduces the AlexNet table (227x227x3 input)", () => {
    const s = reference.describeNetwork([227, 227, 3], alexnet);
    const byName = new Map(s.map((l) => [l.name, l]));
    const expectShapes: Array<[string, number[]]> = [
      ["conv1", [55, 55, 96]],
      ["maxpool1", [27, 27, 96]],
      ["lrn1", [27, 27, 96]],
      ["conv2", [27, 27, 256]],
      ["maxpool2", [13, 13, 256]],
      ["lrn2", [13, 13, 256]],
      ["conv3", [13, 13, 384]],
      ["conv4", [13, 13, 384]],
      ["conv5", [13, 13, 256]],
      ["maxpool3", [6, 6, 256]],
      ["fc1", [4096]],
      ["fc2", [4096]],
      ["fc3", [1000]],
    ];
    for (const [name, shape] of expectShapes) assert.deepEqual(byName.get(name)?.outputShape, shape, name);
    // default names count per type
    assert.deepEqual(
      s.map((l) => l.name),
      [
        "conv1",
        "relu1",
        "maxpool1",
        "lrn1",
        "conv2",
        "relu2",
        "maxpool2",
        "lrn2",
        "conv3",
        "relu3",
        "conv4",
        "relu4",
        "conv5",
        "relu5",
        "maxpool3",
        "fc1",
        "relu6",
        "dropout1",
        "fc2",
        "relu7",
        "dropout2",
        "fc3",
      ],
    );
    // CONV1: (11*11*3 + 1) * 96 = 34,944 parameters; pooling, LRN, relu, dropout have none
    assert.equal(byName.get("conv1")?.params, 34_944);
    for (const l of s) if (!/^(conv|fc)/.test(l.name)) assert.equal(l.params, 0, l.name);
    // single-GPU AlexNet (no grouping): about 62.4M parameters
    const n = total(s);
    assert.ok(n >= 62_300_000 && n <= 62_400_000, `AlexNet has ${n} parameters`);
  });

  it("LeNet-5 (modern variant) has 61,706 parameters", () => {
    const s = reference.describeNetwork(
      [28, 28, 1],
      [
        { type: "conv", filters: 6, size: 5, pad: 2 },
        relu,
        { type: "maxpool", size: 2 },
        { type: "conv", filters: 16, size: 5 },
        relu,
        { type: "maxpool", size: 2 },
        { type: "fc", units: 120 },
        { type: "fc", units: 84 },
        { type: "fc", units: 10 },
      ],
    );
    assert.deepEqual(s[0].outputShape, [28, 28, 6]);
    assert.deepEqual(s[5].outputShape, [5, 5, 16]);
    assert.equal(total(s), 61_706);
  });

  it("VGG-16 has 138,357,544 parameters and a 7x7x512 last feature map", () => {
    const s = reference.describeNetwork([224, 224, 3], vgg16());
    assert.deepEqual(
      s.filter((l) => l.name.startsWith("maxpool")).map((l) => l.outputShape),
      [
        [112, 112, 64],
        [56, 56, 128],
        [28, 28, 256],
        [14, 14, 512],
        [7, 7, 512],
      ],
    );
    assert.equal(total(s), 138_357_544);
  });

  it("GoogLeNet inception (3a) and (3b) give 28x28x256 and 28x28x480", () => {
    const s = reference.describeNetwork(
      [28, 28, 192],
      [
        { type: "inception", name: "3a", conv1x1: 64, reduce3x3: 96, conv3x3: 128, reduce5x5: 16, conv5x5: 32, poolProj: 32 },
        { type: "inception", name: "3b", conv1x1: 128, reduce3x3: 128, conv3x3: 192, reduce5x5: 32, conv5x5: 96, poolProj: 64 },
        { type: "inception", conv1x1: 1, reduce3x3: 1, conv3x3: 1, reduce5x5: 1, conv5x5: 1, poolProj: 1 },
      ],
    );
    assert.deepEqual(s[0], {
      name: "3a",
      outputShape: [28, 28, 256],
      // by hand: 1x1 192*64+64 = 12,352; 192*96+96 = 18,528; 3x3 9*96*128+128 = 110,720;
      // 192*16+16 = 3,088; 5x5 25*16*32+32 = 12,832; pool proj 192*32+32 = 6,176
      params: 163_696,
    });
    assert.deepEqual(s[1].outputShape, [28, 28, 480]);
    // default names count every layer of the type so far, named or not
    assert.equal(s[2].name, "inception3");
    assert.deepEqual(s[2].outputShape, [28, 28, 4]);
  });

  it("ResNet-34 has 21,797,672 parameters (torchvision)", () => {
    const s = reference.describeNetwork([224, 224, 3], resnet([3, 4, 6, 3], false));
    assert.deepEqual(s[0].outputShape, [112, 112, 64]);
    assert.deepEqual(s[3].outputShape, [56, 56, 64]);
    const res = s.filter((l) => l.name.startsWith("residual"));
    assert.equal(res.length, 16);
    assert.deepEqual(res[2].outputShape, [56, 56, 64]);
    assert.deepEqual(res[3].outputShape, [28, 28, 128]);
    assert.deepEqual(res[15].outputShape, [7, 7, 512]);
    assert.deepEqual(last(s).outputShape, [1000]);
    assert.equal(total(s), 21_797_672);
  });

  it("ResNet-50 (bottleneck) has 25,557,032 parameters (torchvision)", () => {
    const s = reference.describeNetwork([224, 224, 3], resnet([3, 4, 6, 3], true));
    const res = s.filter((l) => l.name.startsWith("residual"));
    assert.deepEqual(res[0].outputShape, [56, 56, 256]);
    assert.deepEqual(res[15].outputShape, [7, 7, 2048]);
    assert.equal(total(s), 25_557_032);
  });

  it("counts residual shortcuts only when needed", () => {
    // basic block 64 -> 64: two 3x3 convs (36,864 each) and two BNs (128 each)
    const [identity] = reference.describeNetwork([8, 8, 64], [{ type: "residual", filters: 64 }]);
    assert.equal(identity.params, 2 * 36_864 + 2 * 128);
    // 64 -> 128 stride 2: 3x3 64->128 (73,728) + 3x3 128->128 (147,456) + 1x1 projection (8,192) + 3 BNs (256 each)
    const [proj] = reference.describeNetwork([8, 8, 64], [{ type: "residual", filters: 128, stride: 2 }]);
    assert.deepEqual(proj.outputShape, [4, 4, 128]);
    assert.equal(proj.params, 73_728 + 147_456 + 8_192 + 3 * 256);
    // stride 2 with unchanged channels still needs the projection
    const [strided] = reference.describeNetwork([8, 8, 64], [{ type: "residual", filters: 64, stride: 2 }]);
    assert.equal(strided.params, identity.params + 64 * 64 + 128);
    assert.deepEqual(strided.outputShape, [4, 4, 64]);
    // odd sizes round up like a 3x3 pad 1 stride 2 conv: 7 -> 4
    assert.deepEqual(reference.describeNetwork([7, 7, 64], [{ type: "residual", filters: 64, stride: 2 }])[0].outputShape, [4, 4, 64]);
  });
});

describe("describeNetwork: options, names and errors", () => {
  it("honours names, non-square filters, bias: false, flatten and batchnorm", () => {
    const s = reference.describeNetwork(
      [10, 12, 3],
      [
        { type: "conv", name: "stem", filters: 4, size: [3, 5], bias: false },
        { type: "batchnorm" },
        { type: "conv", filters: 2, size: 1, stride: 3 },
        { type: "flatten" },
        { type: "fc", units: 5, bias: false },
        { type: "batchnorm" },
      ],
    );
    assert.deepEqual(s, [
      { name: "stem", outputShape: [8, 8, 4], params: 3 * 5 * 3 * 4 },
      { name: "batchnorm1", outputShape: [8, 8, 4], params: 8 },
      { name: "conv2", outputShape: [3, 3, 2], params: 4 * 2 + 2 },
      { name: "flatten1", outputShape: [18], params: 0 },
      { name: "fc1", outputShape: [5], params: 18 * 5 },
      { name: "batchnorm2", outputShape: [5], params: 10 },
    ]);
  });

  it("pool stride defaults to the pool size; pooling padding is allowed", () => {
    const s = reference.describeNetwork(
      [9, 9, 2],
      [
        { type: "maxpool", size: 2 },
        { type: "avgpool", size: 3, stride: 1, pad: 1 },
      ],
    );
    assert.deepEqual(
      s.map((l) => l.outputShape),
      [
        [4, 4, 2],
        [4, 4, 2],
      ],
    );
  });

  it("throws RangeError when a layer's output would be smaller than 1, naming the layer", () => {
    assert.throws(
      () => reference.describeNetwork([5, 5, 3], [{ type: "conv", filters: 4, size: 7 }]),
      (e: unknown) => e instanceof RangeError && /conv1/.test(e.message),
    );
    assert.throws(
      () =>
        reference.describeNetwork(
          [4, 4, 1],
          [
            { type: "maxpool", size: 2 },
            { type: "maxpool", size: 2 },
            { type: "maxpool", size: 2, name: "p3" },
          ],
        ),
      (e: unknown) => e instanceof RangeError && /p3/.test(e.message),
    );
    // AlexNet on a 64x64 input runs out of pixels at the last max-pool (64 -> 14 -> 6 -> 6 -> 2 -> 0)
    assert.throws(
      () => reference.describeNetwork([64, 64, 3], alexnet),
      (e: unknown) => e instanceof RangeError && /maxpool3/.test(e.message),
    );
  });

  it("rejects invalid layer fields and spatial layers after fc", () => {
    assert.throws(() => reference.describeNetwork([8, 8, 1], [{ type: "conv", filters: 0, size: 3 }]), RangeError);
    assert.throws(() => reference.describeNetwork([8, 8, 1], [{ type: "conv", filters: 2, size: 3, stride: 0 }]), RangeError);
    assert.throws(() => reference.describeNetwork([8, 8, 1], [{ type: "conv", filters: 2, size: 3, pad: -1 }]), RangeError);
    assert.throws(() => reference.describeNetwork([8, 8, 1], [{ type: "fc", units: 2.5 }]), RangeError);
    assert.throws(() => reference.describeNetwork([8, 0, 1], []), RangeError);
    assert.throws(
      () =>
        reference.describeNetwork(
          [8, 8, 1],
          [
            { type: "fc", units: 4 },
            { type: "conv", filters: 2, size: 1 },
          ],
        ),
      TypeError,
    );
    assert.throws(() => reference.describeNetwork([8, 8, 1], [{ type: "bogus" } as unknown as LayerSpec]), TypeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Independent checks: tfjs-layers models and running the kernels
// ---------------------------------------------------------------------------------------------

type SmallLayer =
  | { kind: "conv"; filters: number; kh: number; kw: number; stride: number; pad: number; bias: boolean }
  | { kind: "maxpool" | "avgpool"; size: number; stride: number }
  | { kind: "batchnorm" };

const smallLayerArb: fc.Arbitrary<SmallLayer> = fc.oneof(
  fc.record({
    kind: fc.constant("conv" as const),
    filters: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 4 }),
    kw: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    pad: fc.integer({ min: 0, max: 2 }),
    bias: fc.boolean(),
  }),
  fc.record({ kind: fc.constantFrom("maxpool" as const, "avgpool" as const), size: fc.integer({ min: 1, max: 3 }), stride: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("batchnorm" as const) }),
);

function toSpec(l: SmallLayer): LayerSpec {
  if (l.kind === "conv") return { type: "conv", filters: l.filters, size: [l.kh, l.kw], stride: l.stride, pad: l.pad, bias: l.bias };
  if (l.kind === "batchnorm") return { type: "batchnorm" };
  return { type: l.kind, size: l.size, stride: l.stride };
}

/** Shapes through the stack by the textbook formula, or undefined if some layer does not fit. */
function fits(input: [number, number, number], layers: SmallLayer[]): boolean {
  let [h, w] = input;
  for (const l of layers) {
    if (l.kind === "conv") {
      if (l.kh > h + 2 * l.pad || l.kw > w + 2 * l.pad) return false;
      h = Math.floor((h + 2 * l.pad - l.kh) / l.stride) + 1;
      w = Math.floor((w + 2 * l.pad - l.kw) / l.stride) + 1;
    } else if (l.kind !== "batchnorm") {
      if (l.size > h || l.size > w) return false;
      h = Math.floor((h - l.size) / l.stride) + 1;
      w = Math.floor((w - l.size) / l.stride) + 1;
    }
  }
  return true;
}

const netArb = fc
  .record({
    h: fc.integer({ min: 3, max: 20 }),
    w: fc.integer({ min: 3, max: 20 }),
    c: fc.integer({ min: 1, max: 4 }),
    layers: fc.array(smallLayerArb, { minLength: 1, maxLength: 5 }),
    fc: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
  })
  .filter((n) => fits([n.h, n.w, n.c], n.layers));

describe("describeNetwork: independent checks", () => {
  before(async () => {
    await tf.setBackend("cpu");
    await tf.ready();
  });

  it("matches tfjs-layers output shapes and trainable parameter counts", () => {
    const trainable = (layer: tf.layers.Layer) => layer.trainableWeights.reduce((s, v) => s + (v.shape as number[]).reduce((p, d) => p * d, 1), 0);
    fc.assert(
      fc.property(netArb, (n) => {
        const specs = n.layers.map(toSpec);
        if (n.fc !== undefined) specs.push({ type: "fc", units: n.fc });
        const summary = reference.describeNetwork([n.h, n.w, n.c], specs);
        const model = tf.sequential();
        const groups: tf.layers.Layer[][] = [];
        let first = true;
        const add = (layer: tf.layers.Layer, group: tf.layers.Layer[]) => {
          model.add(layer);
          group.push(layer);
        };
        const inputShape = (): { inputShape?: number[] } => (first ? ((first = false), { inputShape: [n.h, n.w, n.c] }) : {});
        for (const l of n.layers) {
          const g: tf.layers.Layer[] = [];
          if (l.kind === "conv") {
            if (l.pad > 0) add(tf.layers.zeroPadding2d({ padding: l.pad, ...inputShape() }), g);
            add(tf.layers.conv2d({ filters: l.filters, kernelSize: [l.kh, l.kw], strides: l.stride, padding: "valid", useBias: l.bias, ...inputShape() }), g);
          } else if (l.kind === "batchnorm") {
            add(tf.layers.batchNormalization({ ...inputShape() }), g);
          } else {
            const opts = { poolSize: l.size, strides: l.stride, padding: "valid" as const, ...inputShape() };
            add(l.kind === "maxpool" ? tf.layers.maxPooling2d(opts) : tf.layers.averagePooling2d(opts), g);
          }
          groups.push(g);
        }
        if (n.fc !== undefined) {
          const g: tf.layers.Layer[] = [];
          add(tf.layers.flatten(), g);
          add(tf.layers.dense({ units: n.fc }), g);
          groups.push(g);
        }
        try {
          assert.equal(summary.length, groups.length);
          groups.forEach((g, i) => {
            const outShape = (g[g.length - 1].outputShape as (number | null)[]).slice(1);
            assert.deepEqual(summary[i].outputShape, outShape, `layer ${i} ${JSON.stringify(specs[i])}`);
            assert.equal(
              summary[i].params,
              g.reduce((s, l) => s + trainable(l), 0),
              `params of layer ${i}`,
            );
          });
        } finally {
          model.layers.forEach((l) => l.dispose());
        }
      }),
      { numRuns: 40 },
    );
  });

  it("agrees with the shapes the reference kernels actually produce", () => {
    fc.assert(
      fc.property(netArb, fc.integer(), (n, seed) => {
        const specs = n.layers.map(toSpec);
        const summary = reference.describeNetwork([n.h, n.w, n.c], specs);
        let x: Tensor4 = randn4([1, n.h, n.w, n.c], seed);
        n.layers.forEach((l, i) => {
          if (l.kind === "conv") {
            const w = randn4([l.kh, l.kw, x[0][0][0].length, l.filters], seed + i);
            x = reference.conv2dForward(x, w, randnArray(l.filters, seed), l.stride, l.pad);
          } else if (l.kind === "maxpool") {
            x = reference.maxPoolForward(x, l.size, l.stride);
          } else if (l.kind === "avgpool") {
            x = reference.avgPoolForward(x, l.size, l.stride);
          }
          assert.deepEqual(summary[i].outputShape, [x[0].length, x[0][0].length, x[0][0][0].length]);
        });
      }),
      { numRuns: 40 },
    );
  });
});
