/**
 * Hidden tests for 03-architectures: describeNetwork on networks other than the ones the
 * notebook shows, compared layer by layer (name, output shape, parameter count).
 */
import type { LayerSpec } from "@course-kit/kernel-helpers/layers";
import { reference } from "@course-kit/kernel-helpers/reference";
import { exercise, expectEqual, expectThrows, fixture, graded, known, learner } from "tsnb/testing";
import { describeNetworkMistakes } from "./misconceptions";

async function expectSameSummary(input: [number, number, number], layers: LayerSpec[]): Promise<void> {
  const want = fixture(`describeNetwork/${JSON.stringify([input, layers])}`, () => reference.describeNetwork(input, layers));
  expectEqual(await learner.describeNetwork(input, layers), want, known(describeNetworkMistakes, input, layers));
}

exercise("describeNetwork", () => {
  graded("small CIFAR-style net: conv, relu, max pool, fc (default names)", 3, async () => {
    await expectSameSummary(
      [32, 32, 3],
      [
        { type: "conv", filters: 16, size: 3, pad: 1 },
        { type: "relu" },
        { type: "maxpool", size: 2 },
        { type: "conv", filters: 32, size: 3, pad: 1 },
        { type: "relu" },
        { type: "maxpool", size: 2 },
        { type: "flatten" },
        { type: "fc", units: 64 },
        { type: "relu" },
        { type: "fc", units: 10 },
      ],
    );
  });
  graded("strided conv with a non-square kernel, no bias, named layers", 2, async () => {
    await expectSameSummary(
      [40, 30, 2],
      [
        { type: "conv", name: "stem", filters: 8, size: [3, 5], stride: 2, pad: 1, bias: false },
        { type: "batchnorm", name: "bn" },
        { type: "avgpool", name: "pool", size: 3, stride: 2, pad: 1 },
        { type: "fc", name: "head", units: 5, bias: false },
      ],
    );
  });
  graded("GoogLeNet inception (4a) on 14x14x480", 2, async () => {
    await expectSameSummary([14, 14, 480], [{ type: "inception", conv1x1: 192, reduce3x3: 96, conv3x3: 208, reduce5x5: 16, conv5x5: 48, poolProj: 64 }]);
  });
  graded("ResNet basic blocks: identity, then a projection with stride 2", 2, async () => {
    await expectSameSummary(
      [56, 56, 64],
      [
        { type: "residual", filters: 64 },
        { type: "residual", filters: 128, stride: 2 },
        { type: "avgpool", size: 28 },
        { type: "fc", units: 100 },
      ],
    );
  });
  graded("ResNet bottleneck blocks", 2, async () => {
    await expectSameSummary(
      [28, 28, 256],
      [
        { type: "residual", filters: 128, stride: 2, bottleneck: true },
        { type: "residual", filters: 128, bottleneck: true },
      ],
    );
  });
  graded("LRN and dropout keep the shape and add no parameters", 2, async () => {
    await expectSameSummary(
      [64, 64, 3],
      [
        { type: "conv", filters: 48, size: 7, stride: 2 },
        { type: "lrn" },
        { type: "maxpool", size: 3, stride: 2 },
        { type: "dropout" },
        { type: "fc", units: 256 },
        { type: "dropout" },
        { type: "fc", units: 7 },
      ],
    );
  });
  graded("throws a RangeError when a layer's output would be empty", 2, async () => {
    await expectThrows(
      learner.describeNetwork(
        [8, 8, 1],
        [
          { type: "conv", filters: 4, size: 5 },
          { type: "maxpool", size: 5 },
        ],
      ),
      "RangeError",
    );
    await expectThrows(learner.describeNetwork([4, 4, 3], [{ type: "conv", filters: 2, size: 7, pad: 1 }]), "RangeError");
  });
});
