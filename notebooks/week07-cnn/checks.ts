/**
 * Week 7 (CNN) public checks: the few cases the check cells show after each exercise.
 *
 * Inputs are small seeded tensors (randn4(shape, seed)) so that every learner sees the same
 * numbers; every expected value is computed by the instructor's reference kernels, never typed
 * in by hand. The hidden tests use other, more thorough cases.
 *
 * Only the light subpaths of the helpers are imported, so that Jest can load this file without
 * TensorFlow.js.
 */
import type { LayerSpec } from "@course-kit/kernel-helpers/layers";
import type { PublicCase } from "@course-kit/kernel-helpers/checks";
import { reference } from "@course-kit/kernel-helpers/reference";
import { randn4 } from "@course-kit/kernel-helpers/random";

// ---------------------------------------------------------------------------------------------
// Seeded data shared by several exercises
// ---------------------------------------------------------------------------------------------

/** One 4x4 single-channel image and one 3x3 filter: the smallest case to work out by hand. */
const x1 = randn4([1, 4, 4, 1], 701);
const w1 = randn4([3, 3, 1, 1], 702);
const b1 = [0.5];

/** Two 5x5 images with 2 channels, three 3x3 filters, stride 2 and pad 1. */
const x2 = randn4([2, 5, 5, 2], 703);
const w2 = randn4([3, 3, 2, 3], 704);
const b2 = [0.1, -0.2, 0.3];

/** A non-square image and a non-square 2x3 filter. */
const x3 = randn4([1, 4, 5, 2], 705);
const w3 = randn4([2, 3, 2, 2], 706);
const b3 = [0, 1];

/** Pooling inputs: even sizes, odd sizes (floor), and overlapping windows. */
const p1 = randn4([1, 4, 4, 2], 711);
const p2 = randn4([2, 5, 4, 3], 712);
const p3 = randn4([1, 5, 5, 1], 713);
/** A window whose four values are equal: the gradient goes to the first one (top-left). */
const ties = [
  [
    [[1], [1]],
    [[1], [1]],
  ],
];

/** Upstream gradients with the shape of each forward output. */
const dout1 = randn4([1, 2, 2, 1], 721); // conv x1 * w1, stride 1, pad 0
const dout2 = randn4([2, 3, 3, 3], 722); // conv x2 * w2, stride 2, pad 1
const dpool1 = randn4([1, 2, 2, 2], 723); // maxpool p1, 2x2 stride 2
const dpool3 = randn4([1, 2, 2, 1], 724); // maxpool p3, 3x3 stride 2

// ---------------------------------------------------------------------------------------------
// Network descriptions for describeNetwork
// ---------------------------------------------------------------------------------------------

const tinyCnn: LayerSpec[] = [
  { type: "conv", filters: 4, size: 3, pad: 1 },
  { type: "relu" },
  { type: "maxpool", size: 2 },
  { type: "conv", filters: 8, size: 3, stride: 2 },
  { type: "fc", units: 10 },
];

const namedAndMixed: LayerSpec[] = [
  { type: "conv", name: "stem", filters: 6, size: [3, 5], pad: 1, bias: false },
  { type: "batchnorm" },
  { type: "avgpool", size: 2 },
  { type: "conv", filters: 6, size: 1 },
  { type: "flatten" },
  { type: "dropout" },
  { type: "fc", units: 5, bias: false },
  { type: "batchnorm" },
];

const modules: LayerSpec[] = [
  { type: "inception", conv1x1: 4, reduce3x3: 3, conv3x3: 6, reduce5x5: 2, conv5x5: 2, poolProj: 3 },
  { type: "residual", filters: 15 },
  { type: "residual", filters: 8, stride: 2, bottleneck: true },
];

const doesNotFit: LayerSpec[] = [
  { type: "conv", filters: 4, size: 3 },
  { type: "conv", filters: 4, size: 3 },
];

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

export const publicCases: PublicCase[] = [
  // convOutputSize
  {
    exercise: "convOutputSize",
    name: "AlexNet conv1: 227, 11x11, stride 4, pad 0",
    args: [227, 11, 4, 0],
    expect: { kind: "equal", value: reference.convOutputSize(227, 11, 4, 0) },
  },
  {
    exercise: "convOutputSize",
    name: "'same' size: 28, 5x5, stride 1, pad 2",
    args: [28, 5, 1, 2],
    expect: { kind: "equal", value: reference.convOutputSize(28, 5, 1, 2) },
  },
  {
    exercise: "convOutputSize",
    name: "floor: 224, 11x11, stride 4, pad 0",
    args: [224, 11, 4, 0],
    expect: { kind: "equal", value: reference.convOutputSize(224, 11, 4, 0) },
  },
  { exercise: "convOutputSize", name: "filter larger than the input: RangeError", args: [3, 5, 1, 0], expect: { kind: "throws", errorName: "RangeError" } },

  // conv2dForward
  {
    exercise: "conv2dForward",
    name: "1x4x4x1 * 3x3, stride 1, pad 0",
    args: [x1, w1, b1, 1, 0],
    expect: { kind: "close", value: reference.conv2dForward(x1, w1, b1, 1, 0) },
  },
  {
    exercise: "conv2dForward",
    name: "2x5x5x2 * 3x3x2x3, stride 2, pad 1",
    args: [x2, w2, b2, 2, 1],
    expect: { kind: "close", value: reference.conv2dForward(x2, w2, b2, 2, 1) },
  },
  {
    exercise: "conv2dForward",
    name: "1x4x5x2 * 2x3x2x2 (non-square), stride 1, pad 0",
    args: [x3, w3, b3, 1, 0],
    expect: { kind: "close", value: reference.conv2dForward(x3, w3, b3, 1, 0) },
  },

  // maxPoolForward
  { exercise: "maxPoolForward", name: "1x4x4x2, 2x2 stride 2", args: [p1, 2, 2], expect: { kind: "close", value: reference.maxPoolForward(p1, 2, 2) } },
  { exercise: "maxPoolForward", name: "2x5x4x3, 2x2 stride 2 (floor)", args: [p2, 2, 2], expect: { kind: "close", value: reference.maxPoolForward(p2, 2, 2) } },
  {
    exercise: "maxPoolForward",
    name: "1x5x5x1, 3x3 stride 2 (overlapping)",
    args: [p3, 3, 2],
    expect: { kind: "close", value: reference.maxPoolForward(p3, 3, 2) },
  },

  // avgPoolForward
  { exercise: "avgPoolForward", name: "1x4x4x2, 2x2 stride 2", args: [p1, 2, 2], expect: { kind: "close", value: reference.avgPoolForward(p1, 2, 2) } },
  {
    exercise: "avgPoolForward",
    name: "1x5x5x1, 3x3 stride 2 (overlapping)",
    args: [p3, 3, 2],
    expect: { kind: "close", value: reference.avgPoolForward(p3, 3, 2) },
  },

  // im2col
  { exercise: "im2col", name: "1x4x4x1, 3x3, stride 1, pad 0", args: [x1, 3, 3, 1, 0], expect: { kind: "close", value: reference.im2col(x1, 3, 3, 1, 0) } },
  { exercise: "im2col", name: "2x5x5x2, 3x3, stride 2, pad 1", args: [x2, 3, 3, 2, 1], expect: { kind: "close", value: reference.im2col(x2, 3, 3, 2, 1) } },
  { exercise: "im2col", name: "1x4x5x2, 2x3, stride 1, pad 0", args: [x3, 2, 3, 1, 0], expect: { kind: "close", value: reference.im2col(x3, 2, 3, 1, 0) } },

  // conv2dIm2col
  {
    exercise: "conv2dIm2col",
    name: "1x4x4x1 * 3x3, stride 1, pad 0",
    args: [x1, w1, b1, 1, 0],
    expect: { kind: "close", value: reference.conv2dForward(x1, w1, b1, 1, 0) },
  },
  {
    exercise: "conv2dIm2col",
    name: "2x5x5x2 * 3x3x2x3, stride 2, pad 1",
    args: [x2, w2, b2, 2, 1],
    expect: { kind: "close", value: reference.conv2dForward(x2, w2, b2, 2, 1) },
  },
  {
    exercise: "conv2dIm2col",
    name: "1x4x5x2 * 2x3x2x2 (non-square), stride 1, pad 0",
    args: [x3, w3, b3, 1, 0],
    expect: { kind: "close", value: reference.conv2dForward(x3, w3, b3, 1, 0) },
  },

  // conv2dBackward
  {
    exercise: "conv2dBackward",
    name: "1x4x4x1 * 3x3, stride 1, pad 0",
    args: [dout1, x1, w1, 1, 0],
    expect: { kind: "close", value: reference.conv2dBackward(dout1, x1, w1, 1, 0) },
  },
  {
    exercise: "conv2dBackward",
    name: "2x5x5x2 * 3x3x2x3, stride 2, pad 1",
    args: [dout2, x2, w2, 2, 1],
    expect: { kind: "close", value: reference.conv2dBackward(dout2, x2, w2, 2, 1) },
  },

  // maxPoolBackward
  {
    exercise: "maxPoolBackward",
    name: "1x4x4x2, 2x2 stride 2",
    args: [dpool1, p1, 2, 2],
    expect: { kind: "close", value: reference.maxPoolBackward(dpool1, p1, 2, 2) },
  },
  {
    exercise: "maxPoolBackward",
    name: "1x5x5x1, 3x3 stride 2 (overlapping windows add up)",
    args: [dpool3, p3, 3, 2],
    expect: { kind: "close", value: reference.maxPoolBackward(dpool3, p3, 3, 2) },
  },
  {
    exercise: "maxPoolBackward",
    name: "equal values: the first maximum gets the gradient",
    args: [[[[[2]]]], ties, 2, 2],
    expect: { kind: "close", value: reference.maxPoolBackward([[[[2]]]], ties, 2, 2) },
  },

  // describeNetwork
  {
    exercise: "describeNetwork",
    name: "small CNN on 28x28x1 (conv, relu, maxpool, fc)",
    args: [[28, 28, 1], tinyCnn],
    expect: { kind: "equal", value: reference.describeNetwork([28, 28, 1], tinyCnn) },
  },
  {
    exercise: "describeNetwork",
    name: "names, [kh, kw] size, batchnorm, avgpool, flatten, no bias",
    args: [[12, 10, 3], namedAndMixed],
    expect: { kind: "equal", value: reference.describeNetwork([12, 10, 3], namedAndMixed) },
  },
  {
    exercise: "describeNetwork",
    name: "inception and residual blocks",
    args: [[8, 8, 16], modules],
    expect: { kind: "equal", value: reference.describeNetwork([8, 8, 16], modules) },
  },
  {
    exercise: "describeNetwork",
    name: "a layer that does not fit: RangeError",
    args: [[4, 4, 1], doesNotFit],
    expect: { kind: "throws", errorName: "RangeError" },
  },
];
