/**
 * The exercise tensor types: plain nested arrays, so a learner can index x[n][h][w][c].
 */

/** An NHWC batch, the layout `tf.conv2d` uses: x[n][h][w][c]. */
export type Tensor4 = number[][][][];
/** A convolution filter bank: w[kh][kw][cin][cout]. */
export type Filter4 = number[][][][];
export type Shape4 = [number, number, number, number];
