/**
 * Fast instructor kernels for the convolution week.
 *
 * `reference` holds the nested-array versions with exactly the exercise signatures; the flat
 * typed-array core (im2col + blocked GEMM) is exported by name for benchmarks and backends.
 */
import { describeNetwork } from "./describe";
import {
  avgPoolBackward,
  avgPoolForward,
  col2im,
  conv2dBackward,
  conv2dForward,
  conv2dIm2col,
  conv2dNaive,
  convOutputSize,
  im2col,
  maxPoolBackward,
  maxPoolForward,
} from "./nested";

export const reference = {
  convOutputSize,
  conv2dForward,
  maxPoolForward,
  avgPoolForward,
  im2col,
  col2im,
  conv2dIm2col,
  conv2dBackward,
  maxPoolBackward,
  avgPoolBackward,
  describeNetwork,
  conv2dNaive,
};

export type Reference = typeof reference;

export {
  avgPoolBackwardFlat,
  avgPoolForwardFlat,
  col2imFlat,
  conv2dBackwardFlat,
  conv2dForwardFlat,
  gemm,
  im2colFlat,
  maxPoolBackwardFlat,
  maxPoolForwardFlat,
  transposeFlat,
} from "./flat";
export type { ConvBackwardFlat, FlatTensor4, FloatArray, GemmOptions, NumericArray } from "./flat";
