/**
 * Hidden tests for 01-conv-basics: convOutputSize, conv2dForward, maxPoolForward, avgPoolForward.
 * Expected values come from the instructor's reference kernels; inputs are seeded.
 */
import { randn4 } from "@course-kit/kernel-helpers/random";
import { reference } from "@course-kit/kernel-helpers/reference";
import type { Shape4 } from "@course-kit/kernel-helpers/tensor";
import { ConvCase, FLOAT32_TOLERANCE, gradedConvCase } from "./conv-cases";
import { exercise, expectClose, expectEqual, expectThrows, fixture, graded, known, learner } from "tsnb/testing";
import { avgPoolForwardMistakes, conv2dForwardMistakes, convOutputSizeMistakes, maxPoolForwardMistakes } from "./misconceptions";

type SizeArgs = [number, number, number, number];

/** learner.convOutputSize(...args) must give the reference's size; a catalogued mistake is named. */
async function expectSize(...args: SizeArgs): Promise<void> {
  expectEqual(await learner.convOutputSize(...args), reference.convOutputSize(...args), known(convOutputSizeMistakes, ...args));
}

exercise("convOutputSize", () => {
  graded("exact division (AlexNet conv1: 227, 11x11, stride 4, pad 0)", 1, async () => {
    await expectSize(227, 11, 4, 0);
  });
  graded("floors an inexact division", 1, async () => {
    for (const args of [
      [7, 3, 2, 0],
      [6, 3, 2, 0],
      [10, 4, 3, 1],
    ] as SizeArgs[])
      await expectSize(...args);
  });
  // 3x3 with pad 1 is left out: there, counting the padding once and dropping the + 1 give the same size.
  graded("'same' padding keeps the size", 1, async () => {
    for (const args of [
      [32, 5, 1, 2],
      [14, 9, 1, 4],
      [13, 7, 1, 3],
    ] as SizeArgs[])
      await expectSize(...args);
  });
  graded("1x1 and whole-input filters", 1, async () => {
    for (const args of [
      [9, 1, 1, 0],
      [9, 9, 1, 0],
      [9, 11, 1, 1],
    ] as SizeArgs[])
      await expectSize(...args);
  });
  graded("throws a RangeError on invalid arguments or an empty output", 1, async () => {
    for (const args of [
      [3, 5, 1, 0],
      [5, 3, 0, 0],
      [5, 3, 1, -1],
      [5.5, 3, 1, 0],
      [0, 1, 1, 0],
      [5, 0, 1, 0],
    ]) {
      await expectThrows(learner.convOutputSize(...args), "RangeError");
    }
  });
});

const convCases: ConvCase[] = [
  { title: "one channel, 5x5 input, 3x3 filter, stride 1, pad 0", points: 2, x: [1, 5, 5, 1], w: [3, 3, 1, 1], stride: 1, pad: 0, seed: 11 },
  { title: "stride 2, pad 1, 3 channels", points: 3, x: [1, 7, 7, 3], w: [3, 3, 3, 2], stride: 2, pad: 1, seed: 12 },
  { title: "batch of 3, non-square 6x9 input, 2 -> 4 channels", points: 2, x: [3, 6, 9, 2], w: [3, 3, 2, 4], stride: 1, pad: 1, seed: 13 },
  { title: "non-square 2x4 filter, stride 3, pad 2", points: 2, x: [2, 8, 7, 2], w: [2, 4, 2, 3], stride: 3, pad: 2, seed: 14 },
  { title: "1x1 filter mixes channels only", points: 2, x: [2, 4, 5, 3], w: [1, 1, 3, 5], stride: 1, pad: 0, seed: 15 },
  { title: "whole-input filter gives a 1x1 output", points: 2, x: [2, 5, 4, 2], w: [5, 4, 2, 3], stride: 1, pad: 0, seed: 16 },
];

exercise("conv2dForward", () => {
  for (const c of convCases) gradedConvCase("conv2dForward", c);
  graded("the bias is added once per output channel", 2, async () => {
    const x = randn4([1, 4, 4, 2], 17, 0);
    const w = randn4([3, 3, 2, 3], 18);
    const b = [0.5, -1, 2];
    expectClose(
      await learner.conv2dForward(x, w, b, 1, 1),
      reference.conv2dForward(x, w, b, 1, 1),
      FLOAT32_TOLERANCE,
      known(conv2dForwardMistakes, x, w, b, 1, 1),
    );
  });
});

interface PoolCase {
  title: string;
  points: number;
  x: Shape4;
  size: number;
  stride: number;
  seed: number;
}

const maxCases: PoolCase[] = [
  { title: "2x2 pool, stride 2, one channel", points: 2, x: [1, 4, 4, 1], size: 2, stride: 2, seed: 21 },
  { title: "3x3 pool, stride 2 (overlapping windows)", points: 2, x: [1, 7, 7, 2], size: 3, stride: 2, seed: 22 },
  { title: "batch of 2, 4 channels pooled independently", points: 2, x: [2, 6, 6, 4], size: 2, stride: 2, seed: 23 },
  { title: "pool stride 3 differs from pool size 2, non-square input", points: 2, x: [2, 8, 11, 3], size: 2, stride: 3, seed: 24 },
];

exercise("maxPoolForward", () => {
  for (const c of maxCases) {
    graded(c.title, c.points, async () => {
      const { x, want } = fixture(`maxPoolForward/${c.title}`, () => {
        const x = randn4(c.x, c.seed);
        return { x, want: reference.maxPoolForward(x, c.size, c.stride) };
      });
      expectClose(await learner.maxPoolForward(x, c.size, c.stride), want, FLOAT32_TOLERANCE, known(maxPoolForwardMistakes, x, c.size, c.stride));
    });
  }
  graded("all-negative input: the maximum is not clipped at 0", 2, async () => {
    const x = randn4([1, 4, 4, 2], 25).map((a) => a.map((b) => b.map((c) => c.map((v) => -Math.abs(v) - 0.1))));
    const out = await learner.maxPoolForward(x, 2, 2);
    expectClose(out, reference.maxPoolForward(x, 2, 2), FLOAT32_TOLERANCE, known(maxPoolForwardMistakes, x, 2, 2));
  });
});

const avgCases: PoolCase[] = [
  { title: "2x2 pool, stride 2", points: 1, x: [1, 4, 6, 1], size: 2, stride: 2, seed: 31 },
  { title: "3x3 pool, stride 1, batch of 2, 3 channels", points: 2, x: [2, 5, 5, 3], size: 3, stride: 1, seed: 32 },
  { title: "pool stride 3 differs from pool size 2, non-square input", points: 2, x: [1, 8, 10, 2], size: 2, stride: 3, seed: 33 },
];

exercise("avgPoolForward", () => {
  for (const c of avgCases) {
    graded(c.title, c.points, async () => {
      const { x, want } = fixture(`avgPoolForward/${c.title}`, () => {
        const x = randn4(c.x, c.seed);
        return { x, want: reference.avgPoolForward(x, c.size, c.stride) };
      });
      expectClose(await learner.avgPoolForward(x, c.size, c.stride), want, FLOAT32_TOLERANCE, known(avgPoolForwardMistakes, x, c.size, c.stride));
    });
  }
});
