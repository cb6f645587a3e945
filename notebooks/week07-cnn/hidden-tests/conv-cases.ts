/**
 * Shared by the hidden tests of conv2dForward and conv2dIm2col: one forward convolution case,
 * its seeded data and the reference result (computed once per grading process).
 */
import { randn4, randnArray } from "@course-kit/kernel-helpers/random";
import { reference } from "@course-kit/kernel-helpers/reference";
import type { Shape4 } from "@course-kit/kernel-helpers/tensor";
import { expectClose, fixture, graded, known, learner } from "tsnb/testing";
import { conv2dForwardMistakes, conv2dIm2colMistakes } from "./misconceptions";

/** Relative error a float32 implementation comfortably meets. */
export const FLOAT32_TOLERANCE = 1e-5;

export interface ConvCase {
  title: string;
  points: number;
  x: Shape4;
  w: Shape4;
  stride: number;
  pad: number;
  seed: number;
}

/** A graded test: learner[fn](x, w, b, stride, pad) must match the reference convolution. */
export function gradedConvCase(fn: "conv2dForward" | "conv2dIm2col", c: ConvCase): void {
  graded(c.title, c.points, async () => {
    const { x, w, b, want } = fixture(`${fn}/${c.title}`, () => {
      const x = randn4(c.x, c.seed);
      const w = randn4(c.w, c.seed + 100);
      const b = randnArray(c.w[3], c.seed + 200);
      return { x, w, b, want: reference.conv2dForward(x, w, b, c.stride, c.pad) };
    });
    const mistakes = fn === "conv2dForward" ? conv2dForwardMistakes : conv2dIm2colMistakes;
    expectClose(await learner[fn](x, w, b, c.stride, c.pad), want, FLOAT32_TOLERANCE, known(mistakes, x, w, b, c.stride, c.pad));
  });
}
