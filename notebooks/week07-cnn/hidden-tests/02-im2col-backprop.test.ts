/**
 * Hidden tests for 02-im2col-backprop: im2col, conv2dIm2col, conv2dBackward, maxPoolBackward.
 * Backward passes are also checked against float64 central-difference gradients, which do not
 * depend on the reference backward kernels at all.
 */
import { numericalBackward } from "@course-kit/kernel-helpers/gradcheck";
import { randn4 } from "@course-kit/kernel-helpers/random";
import { reference } from "@course-kit/kernel-helpers/reference";
import type { Shape4, Tensor4 } from "@course-kit/kernel-helpers/tensor";
import { exercise, expectClose, fixture, graded, known, learner } from "tsnb/testing";
import { ConvCase, FLOAT32_TOLERANCE, gradedConvCase } from "./conv-cases";
import { conv2dBackwardMistakes, im2colMistakes, maxPoolBackwardMistakes } from "./misconceptions";

const NUMERIC_TOLERANCE = 1e-4;

exercise("im2col", () => {
  graded("row order (n, oh, ow) and column order (kh, kw, c) on a tiny input", 3, async () => {
    // Distinct integers make any misplaced entry visible.
    const x: Tensor4 = [
      [
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [
          [7, 8],
          [9, 10],
          [11, 12],
        ],
        [
          [13, 14],
          [15, 16],
          [17, 18],
        ],
      ],
    ];
    expectClose(await learner.im2col(x, 2, 2, 1, 0), reference.im2col(x, 2, 2, 1, 0), undefined, known(im2colMistakes, x, 2, 2, 1, 0));
  });
  const im2colCase = (title: string, points: number, shape: Shape4, fh: number, fw: number, stride: number, pad: number, seed: number) =>
    graded(title, points, async () => {
      const { x, want } = fixture(`im2col/${title}`, () => {
        const x = randn4(shape, seed);
        return { x, want: reference.im2col(x, fh, fw, stride, pad) };
      });
      expectClose(await learner.im2col(x, fh, fw, stride, pad), want, FLOAT32_TOLERANCE, known(im2colMistakes, x, fh, fw, stride, pad));
    });
  im2colCase("stride 2, pad 1, batch of 2, 2 channels", 3, [2, 5, 5, 2], 3, 3, 2, 1, 41);
  im2colCase("non-square 2x3 filter on a non-square 4x7 input", 2, [1, 4, 7, 3], 2, 3, 1, 0, 42);
  im2colCase("1x1 filter: one row per pixel, one column per channel", 2, [2, 3, 4, 5], 1, 1, 1, 0, 43);
});

const im2colConvCases: ConvCase[] = [
  { title: "stride 1, pad 0, one channel", points: 2, x: [1, 6, 6, 1], w: [3, 3, 1, 2], stride: 1, pad: 0, seed: 51 },
  { title: "stride 2, pad 1, batch of 2, 3 -> 4 channels", points: 3, x: [2, 7, 7, 3], w: [3, 3, 3, 4], stride: 2, pad: 1, seed: 52 },
  { title: "non-square input and 3x2 filter, stride 3, pad 2", points: 3, x: [2, 9, 6, 2], w: [3, 2, 2, 3], stride: 3, pad: 2, seed: 53 },
  { title: "1x1 filter", points: 2, x: [3, 4, 4, 4], w: [1, 1, 4, 2], stride: 1, pad: 0, seed: 54 },
];

exercise("conv2dIm2col", () => {
  for (const c of im2colConvCases) gradedConvCase("conv2dIm2col", c);
});

/** Inputs, upstream gradient and the reference gradients of one backward case, computed once. */
function backwardCase(key: string, c: Omit<ConvCase, "title" | "points">) {
  return fixture(`conv2dBackward/${key}`, () => {
    const x = randn4(c.x, c.seed);
    const w = randn4(c.w, c.seed + 100);
    const outH = reference.convOutputSize(c.x[1], c.w[0], c.stride, c.pad);
    const outW = reference.convOutputSize(c.x[2], c.w[1], c.stride, c.pad);
    const dout = randn4([c.x[0], outH, outW, c.w[3]], c.seed + 300);
    return { x, w, dout, want: reference.conv2dBackward(dout, x, w, c.stride, c.pad) };
  });
}

exercise("conv2dBackward", () => {
  graded("db sums dout over the batch and all positions", 3, async () => {
    const { x, w, dout, want } = backwardCase("db", { x: [2, 5, 5, 2], w: [3, 3, 2, 3], stride: 1, pad: 0, seed: 61 });
    expectClose(await learner.conv2dBackward(dout, x, w, 1, 0), { db: want.db }, FLOAT32_TOLERANCE, known(conv2dBackwardMistakes, dout, x, w, 1, 0));
  });
  graded("dw, stride 1, pad 0, batch of 2", 3, async () => {
    const { x, w, dout, want } = backwardCase("dw", { x: [2, 5, 6, 2], w: [3, 3, 2, 2], stride: 1, pad: 0, seed: 62 });
    expectClose(await learner.conv2dBackward(dout, x, w, 1, 0), { dw: want.dw }, FLOAT32_TOLERANCE, known(conv2dBackwardMistakes, dout, x, w, 1, 0));
  });
  graded("dx, stride 1, pad 0", 3, async () => {
    const { x, w, dout, want } = backwardCase("dx", { x: [1, 5, 6, 2], w: [3, 3, 2, 2], stride: 1, pad: 0, seed: 63 });
    expectClose(await learner.conv2dBackward(dout, x, w, 1, 0), { dx: want.dx }, FLOAT32_TOLERANCE, known(conv2dBackwardMistakes, dout, x, w, 1, 0));
  });
  graded("stride 2, pad 1, 3 channels: dx, dw and db", 4, async () => {
    const { x, w, dout, want } = backwardCase("s2p1", { x: [1, 7, 7, 3], w: [3, 3, 3, 2], stride: 2, pad: 1, seed: 64 });
    expectClose(await learner.conv2dBackward(dout, x, w, 2, 1), want, FLOAT32_TOLERANCE, known(conv2dBackwardMistakes, dout, x, w, 2, 1));
  });
  graded("batch of 2, non-square 2x3 filter, stride 3, pad 2", 4, async () => {
    const { x, w, dout, want } = backwardCase("s3p2", { x: [2, 8, 9, 2], w: [2, 3, 2, 3], stride: 3, pad: 2, seed: 65 });
    expectClose(await learner.conv2dBackward(dout, x, w, 3, 2), want, FLOAT32_TOLERANCE, known(conv2dBackwardMistakes, dout, x, w, 3, 2));
  });
  graded("dx and dw agree with numerical gradients (stride 2, pad 1)", 3, async () => {
    const { x, w, dout, numDx, numDw } = fixture("conv2dBackward/numeric", () => {
      const { x, w, dout } = backwardCase("numeric-data", { x: [2, 5, 5, 2], w: [3, 3, 2, 2], stride: 2, pad: 1, seed: 66 });
      const b = [0.1, -0.2];
      const numDx = numericalBackward((xx) => reference.conv2dForward(xx, w, b, 2, 1), x, dout);
      const numDw = numericalBackward((ww) => reference.conv2dForward(x, ww, b, 2, 1), w, dout);
      return { x, w, dout, numDx, numDw };
    });
    expectClose(await learner.conv2dBackward(dout, x, w, 2, 1), { dx: numDx, dw: numDw }, NUMERIC_TOLERANCE, known(conv2dBackwardMistakes, dout, x, w, 2, 1));
  });
});

exercise("maxPoolBackward", () => {
  /** x from `seed`, or with `ties` rounded to -1, 0, 1 and 2 so that most windows have a tied maximum. */
  const input = (shape: Shape4, seed: number, ties: boolean): Tensor4 =>
    ties ? randn4(shape, seed).map((a) => a.map((b) => b.map((c) => c.map((v) => Math.max(-1, Math.min(2, Math.round(v))))))) : randn4(shape, seed);
  const poolCase = (
    title: string,
    points: number,
    xShape: Shape4,
    doutShape: Shape4,
    pool: number,
    stride: number,
    seed: number,
    opts: { numeric?: boolean; ties?: boolean } = {},
  ) =>
    graded(title, points, async () => {
      const { x, dout, want } = fixture(`maxPoolBackward/${title}`, () => {
        const x = input(xShape, seed, opts.ties ?? false);
        const dout = randn4(doutShape, seed + 1);
        const want = opts.numeric
          ? numericalBackward((xx) => reference.maxPoolForward(xx, pool, stride), x, dout)
          : reference.maxPoolBackward(dout, x, pool, stride);
        return { x, dout, want };
      });
      const tolerance = opts.numeric ? NUMERIC_TOLERANCE : FLOAT32_TOLERANCE;
      expectClose(await learner.maxPoolBackward(dout, x, pool, stride), want, tolerance, known(maxPoolBackwardMistakes, dout, x, pool, stride));
    });
  poolCase("2x2 pool, stride 2, tied maxima: the gradient goes to each window's first maximum", 3, [1, 4, 6, 2], [1, 2, 3, 2], 2, 2, 71, { ties: true });
  poolCase("overlapping windows accumulate (3x3 pool, stride 1)", 3, [1, 5, 5, 2], [1, 3, 3, 2], 3, 1, 73);
  poolCase("batch of 2, 3 channels, pool 2 with stride 3, non-square input", 2, [2, 8, 11, 3], [2, 3, 4, 3], 2, 3, 75);
  poolCase("agrees with a numerical gradient", 2, [2, 4, 6, 2], [2, 2, 3, 2], 2, 2, 77, { numeric: true });
});
