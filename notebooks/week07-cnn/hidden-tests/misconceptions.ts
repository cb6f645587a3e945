/**
 * Week 7's common mistakes, exercise by exercise, as buggy variants of the reference kernels
 * (see "Common mistakes ... and their signatures" in the course's reference facts). The hidden
 * tests pass `known(<catalogue>, ...args)` to expectClose / expectEqual: a failing result that
 * matches one mistake's variants on that call is named in the feedback.
 *
 * Each catalogue keeps its learner-facing sentences together in `feedback`, one table per
 * language (English and Korean, the assignment's), keyed by the mistake's id, with
 * `{placeholders}` for the values a variant supplies. The conventions are the
 * notebooks': NHWC x[n][h][w][c], filters w[kh][kw][c][co], symmetric zero padding,
 * cross-correlation; im2col rows (n, oh, ow) and columns (kh, kw, c); max-pool gradients go to the
 * first maximum in (kh, kw) scan order and add up where windows overlap.
 */
import type { LayerSpec, LayerSummary } from "@course-kit/kernel-helpers/layers";
import { reference } from "@course-kit/kernel-helpers/reference";
import type { Filter4, Tensor4 } from "@course-kit/kernel-helpers/tensor";
import type { Catalogue, Variant } from "tsnb/testing";
import {
  crop,
  dims4,
  extendBottomRight,
  filterMatrix,
  firstChannel,
  firstInputChannel,
  fromRows,
  matmul,
  otherOrders,
  pickColumns,
  pickRows,
  placeRows,
  reordered,
  rot180,
  swapHW,
  swapKernelHW,
  toRows,
} from "./tensor-edits";

type SizeArgs = [inputSize: number, filterSize: number, stride: number, pad: number];
type ConvArgs = [x: Tensor4, w: Filter4, b: number[], stride: number, pad: number];
type PoolArgs = [x: Tensor4, poolSize: number, stride: number];
type Im2colArgs = [x: Tensor4, filterH: number, filterW: number, stride: number, pad: number];
type BackwardArgs = [dout: Tensor4, x: Tensor4, w: Filter4, stride: number, pad: number];
type DescribeArgs = [input: [number, number, number], layers: LayerSpec[]];

const value = (v: unknown): Variant => ({ value: v });

/** The value of `f()`, or undefined where the code it models would throw (e.g. a window that no longer fits). */
function unlessRangeError<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// convOutputSize
// ---------------------------------------------------------------------------------------------

/** A learner's size formula, which throws (like the notebook asks) when the result is below 1. */
function sizeFormula(f: (n: number, k: number, s: number, p: number) => number) {
  return (n: number, k: number, s: number, p: number): Variant | undefined => {
    if (unlessRangeError(() => reference.convOutputSize(n, k, s, p)) === undefined) return undefined;
    const out = f(n, k, s, p);
    return out >= 1 ? value(out) : undefined;
  };
}

export const convOutputSizeMistakes: Catalogue<SizeArgs> = {
  exercise: "convOutputSize",
  misconceptions: [
    {
      id: "rounds-up",
      name: "division rounded up (or to nearest) instead of down",
      forms: [sizeFormula((n, k, s, p) => Math.ceil((n + 2 * p - k) / s) + 1), sizeFormula((n, k, s, p) => Math.round((n + 2 * p - k) / s) + 1)],
    },
    {
      id: "pad-once",
      name: "padding counted once instead of twice",
      params: (n, k, s, p) => ({ pad: p, twoPad: 2 * p }),
      forms: [sizeFormula((n, k, s, p) => Math.floor((n + p - k) / s) + 1)],
    },
    {
      id: "plus-one-missing",
      name: "the + 1 missing",
      forms: [sizeFormula((n, k, s, p) => Math.floor((n + 2 * p - k) / s))],
    },
  ],
  feedback: {
    en: {
      "rounds-up":
        "the division is rounded up here, but when the filter does not fit a whole number of times the formula rounds down: use Math.floor, not Math.ceil or Math.round.",
      "pad-once": "the padding is counted once: pad {pad} adds {pad} zeros on both sides, so the formula has 2 · pad (= {twoPad}) in it.",
      "plus-one-missing": "your size is one short: the formula ends in + 1, because the filter's first position counts as well.",
    },
    ko: {
      "rounds-up":
        "나눗셈을 올림하고 있습니다. 나누어떨어지지 않을 때(필터가 마지막까지 들어맞지 않을 때) 공식은 내림합니다: Math.ceil이나 Math.round 대신 Math.floor를 쓰세요.",
      "pad-once": "padding을 한 번만 셌습니다. pad {pad}이면 양쪽에 0을 {pad}개씩 채우므로, 공식에는 2 · pad 항(= {twoPad})이 들어갑니다.",
      "plus-one-missing": "출력 크기가 1만큼 작습니다. 필터의 첫 위치도 세야 하므로 공식 끝에 + 1이 있습니다.",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// conv2dForward
// ---------------------------------------------------------------------------------------------

function outSizes(x: Tensor4, w: Filter4, stride: number, pad: number): [number, number] {
  const [, H, W] = dims4(x);
  const [KH, KW] = dims4(w);
  return [reference.convOutputSize(H, KH, stride, pad), reference.convOutputSize(W, KW, stride, pad)];
}

/** The bias added `count(oh, ow)` times instead of once, the sum starting at 0. */
function biasRepeated(x: Tensor4, w: Filter4, b: number[], stride: number, pad: number, count: (taps: number) => number): Tensor4 {
  const [, H, W, C] = dims4(x);
  const [KH, KW] = dims4(w);
  const inside = (o: number, K: number, size: number) => {
    let k = 0;
    for (let i = 0; i < K; i++) if (o * stride - pad + i >= 0 && o * stride - pad + i < size) k++;
    return k;
  };
  return reference
    .conv2dForward(x, w, b, stride, pad)
    .map((img) => img.map((row, oh) => row.map((px, ow) => px.map((v, co) => v + (count(inside(oh, KH, H) * inside(ow, KW, W)) * C - 1) * b[co]))));
}

/** Shared by conv2dForward and conv2dIm2col. */
const biasMissing = {
  id: "bias-missing",
  name: "bias missing",
  forms: [
    (x: Tensor4, w: Filter4, b: number[], s: number, p: number) =>
      value(
        reference.conv2dForward(
          x,
          w,
          b.map(() => 0),
          s,
          p,
        ),
      ),
  ],
};

export const conv2dForwardMistakes: Catalogue<ConvArgs> = {
  exercise: "conv2dForward",
  misconceptions: [
    {
      id: "stride-ignored",
      name: "stride ignored",
      params: (x, w, b, s) => ({ stride: s }),
      forms: [
        // Right output size, but the windows step by 1.
        (x, w, b, s, p) => (s === 1 ? undefined : value(crop(reference.conv2dForward(x, w, b, 1, p), ...outSizes(x, w, s, p)))),
        // The whole stride-1 output.
        (x, w, b, s, p) => (s === 1 ? undefined : value(reference.conv2dForward(x, w, b, 1, p))),
      ],
    },
    {
      id: "pad-ignored",
      name: "padding ignored",
      params: (x, w, b, s, p) => ({ pad: p }),
      forms: [(x, w, b, s, p) => (p === 0 ? undefined : unlessRangeError(() => value(reference.conv2dForward(x, w, b, s, 0))))],
    },
    {
      id: "pad-offset-missing",
      name: "the - pad offset missing from window positions",
      params: (x, w, b, s, p) => ({ pad: p }),
      // Windows start at oh * stride (no - pad), positions past the input read as zeros.
      forms: [(x, w, b, s, p) => (p === 0 ? undefined : value(reference.conv2dForward(extendBottomRight(x, 2 * p), w, b, s, 0)))],
    },
    biasMissing,
    {
      id: "bias-per-input",
      name: "bias added once per input element instead of once per output",
      forms: [
        // sum += x * w + b[co] in the innermost loop, padding skipped by bounds checks ...
        (x, w, b, s, p) => value(biasRepeated(x, w, b, s, p, (taps) => taps)),
        // ... or read from a zero-padded copy of x (every tap counts).
        (x, w, b, s, p) => value(biasRepeated(x, w, b, s, p, () => dims4(w)[0] * dims4(w)[1])),
      ],
    },
    {
      id: "kernel-flipped",
      name: "kernel flipped (true convolution instead of cross-correlation)",
      forms: [(x, w, b, s, p) => value(reference.conv2dForward(x, rot180(w), b, s, p))],
    },
    {
      id: "hw-swapped",
      name: "height and width swapped",
      forms: [
        // out[n][ow][oh]: the output built with its axes exchanged.
        (x, w, b, s, p) => value(swapHW(reference.conv2dForward(x, w, b, s, p))),
        // w[kw][kh]: the filter read transposed (only a square filter stays in range).
        (x, w, b, s, p) => (dims4(w)[0] === dims4(w)[1] ? value(reference.conv2dForward(x, swapKernelHW(w), b, s, p)) : undefined),
      ],
    },
    {
      id: "first-channel-only",
      name: "only the first input channel summed",
      params: (x) => ({ channels: dims4(x)[3], last: dims4(x)[3] - 1 }),
      forms: [(x, w, b, s, p) => (dims4(x)[3] === 1 ? undefined : value(reference.conv2dForward(firstChannel(x), firstInputChannel(w), b, s, p)))],
    },
  ],
  feedback: {
    en: {
      "stride-ignored":
        "your output holds the values of a stride-1 convolution: do the windows start at `oh * stride` and `ow * stride` (stride {stride} here)?",
      "pad-ignored": "your output is the convolution of the unpadded input: is `pad` ({pad} here) used, both for the output size and for the window positions?",
      "pad-offset-missing":
        "your output is shifted by the padding: the window's first row is `oh * stride - pad` and its first column `ow * stride - pad` (pad {pad} here); is the `- pad` there?",
      "bias-missing": "your output is off by exactly the bias of each filter: is `b[co]` added once to every output value?",
      "bias-per-input":
        "your output is off by a multiple of each filter's bias: `b[co]` seems to be added inside the loops over the window, once per input value; add it once per output value.",
      "kernel-flipped":
        "your output is the true convolution with a flipped filter: deep-learning frameworks (and this exercise) multiply `x` by `w[kh][kw]` as it is, without flipping it.",
      "hw-swapped":
        "height and width are swapped somewhere: your output is the expected one with rows and columns exchanged. Check the order of every index: `x[n][h][w][c]`, `w[kh][kw][c][co]`, `out[n][oh][ow][co]`.",
      "first-channel-only": "only input channel 0 is summed: the sum runs over every input channel c = 0 … {last} ({channels} channels here).",
    },
    ko: {
      "stride-ignored": "출력에 stride 1 합성곱의 값이 들어 있습니다. 창(window)이 `oh * stride`, `ow * stride`에서 시작하나요? (여기서는 stride {stride})",
      "pad-ignored": "출력이 padding 없는 입력의 합성곱입니다. 출력 크기와 창의 위치 모두에 `pad`(여기서는 {pad})를 썼나요?",
      "pad-offset-missing":
        "출력이 padding만큼 밀려 있습니다. 창의 첫 행은 `oh * stride - pad`, 첫 열은 `ow * stride - pad`입니다(여기서는 pad {pad}). `- pad`를 빼먹지 않았나요?",
      "bias-missing": "출력이 필터마다 정확히 bias만큼 다릅니다. 모든 출력 값에 `b[co]`를 한 번씩 더했나요?",
      "bias-per-input": "출력이 필터마다 bias의 몇 배만큼 다릅니다. `b[co]`를 창 안의 반복문에서 입력 값마다 더하는 것 같습니다. 출력 값마다 한 번만 더하세요.",
      "kernel-flipped":
        "출력이 필터를 뒤집어 계산한 수학의 합성곱(convolution)입니다. 딥러닝 프레임워크(그리고 이 연습 문제)는 `w[kh][kw]`를 뒤집지 않고 그대로 `x`에 곱합니다(cross-correlation).",
      "hw-swapped":
        "어딘가에서 높이와 너비가 바뀌었습니다. 출력이 기댓값의 행과 열을 맞바꾼 것입니다. 모든 인덱스의 순서를 확인하세요: `x[n][h][w][c]`, `w[kh][kw][c][co]`, `out[n][oh][ow][co]`.",
      "first-channel-only": "입력 채널 0만 더했습니다. 합은 모든 입력 채널 c = 0 … {last}에 대해 구해야 합니다(여기서는 채널 {channels}개).",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// maxPoolForward, avgPoolForward
// ---------------------------------------------------------------------------------------------

/** Windows moved by the pool size instead of the stride: the whole output, or its right-sized corner. */
function strideIsSize(pool: (x: Tensor4, size: number, stride: number) => Tensor4) {
  const whole = (x: Tensor4, size: number, stride: number) => (size === stride ? undefined : unlessRangeError(() => value(pool(x, size, size))));
  const corner = (x: Tensor4, size: number, stride: number) => {
    if (size === stride) return undefined;
    const [, H, W] = dims4(x);
    const OH = reference.convOutputSize(H, size, stride, 0);
    const OW = reference.convOutputSize(W, size, stride, 0);
    const bySize = unlessRangeError(() => pool(x, size, size));
    // The code reads x[n][oh * size + kh]: only in range if the size-strided output is large enough.
    return bySize && bySize[0].length >= OH && bySize[0][0].length >= OW ? value(crop(bySize, OH, OW)) : undefined;
  };
  return {
    id: "stride-is-size",
    name: "stride taken to be the pool size",
    params: (x: Tensor4, size: number, stride: number) => ({ size, stride }),
    forms: [whole, corner],
  };
}

const strideIsSizeFeedback = {
  en: "your windows move by the pool size ({size}) instead of the stride ({stride}): the window's top-left corner is at `oh * stride`, `ow * stride`, and the output size uses the stride too.",
  ko: "창이 stride({stride}) 대신 pool 크기({size})만큼 움직입니다. 창의 왼쪽 위 모서리는 `oh * stride`, `ow * stride`에 있고, 출력 크기를 구할 때도 stride를 씁니다.",
};

export const maxPoolForwardMistakes: Catalogue<PoolArgs> = {
  exercise: "maxPoolForward",
  misconceptions: [
    strideIsSize(reference.maxPoolForward),
    {
      id: "max-starts-at-zero",
      name: "maximum starting at 0 instead of minus infinity",
      forms: [
        (x, size, stride) => value(reference.maxPoolForward(x, size, stride).map((img) => img.map((row) => row.map((px) => px.map((v) => Math.max(v, 0)))))),
      ],
    },
  ],
  feedback: {
    en: {
      "stride-is-size": strideIsSizeFeedback.en,
      "max-starts-at-zero":
        "your output is 0 where every value in the window is negative: does the maximum start at `-Infinity` (or at the window's first value) rather than at 0?",
    },
    ko: {
      "stride-is-size": strideIsSizeFeedback.ko,
      "max-starts-at-zero": "창의 값이 모두 음수인 곳에서 출력이 0입니다. 최댓값을 0이 아니라 `-Infinity`(또는 창의 첫 값)에서 시작하나요?",
    },
  },
};

export const avgPoolForwardMistakes: Catalogue<PoolArgs> = {
  exercise: "avgPoolForward",
  misconceptions: [
    strideIsSize(reference.avgPoolForward),
    {
      id: "wrong-divisor",
      name: "average divided by the wrong count",
      params: (x, size) => ({ size, count: size * size }),
      forms: [
        // Divided by poolSize instead of poolSize * poolSize ...
        (x, size, stride) => value(reference.avgPoolForward(x, size, stride).map((img) => img.map((row) => row.map((px) => px.map((v) => v * size))))),
        // ... or not divided at all.
        (x, size, stride) => value(reference.avgPoolForward(x, size, stride).map((img) => img.map((row) => row.map((px) => px.map((v) => v * size * size))))),
      ],
    },
  ],
  feedback: {
    en: {
      "stride-is-size": strideIsSizeFeedback.en,
      "wrong-divisor": "your averages are divided by the wrong count: a {size}x{size} window holds {count} values, so its sum is divided by {count}.",
    },
    ko: {
      "stride-is-size": strideIsSizeFeedback.ko,
      "wrong-divisor": "평균을 잘못된 개수로 나눴습니다. {size}x{size} 창에는 값이 {count}개 있으므로, 평균은 합 ÷ {count}입니다.",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// im2col, conv2dIm2col
// ---------------------------------------------------------------------------------------------

const COLUMN_AXES = ["kh", "kw", "c"] as const;
const ROW_AXES = ["n", "oh", "ow"] as const;

function im2colGeometry(x: Tensor4, fh: number, fw: number, stride: number, pad: number) {
  const [N, H, W, C] = dims4(x);
  return { N, C, OH: reference.convOutputSize(H, fh, stride, pad), OW: reference.convOutputSize(W, fw, stride, pad) };
}

const orderName = (order: readonly string[]) => order.join(", ");

export const im2colMistakes: Catalogue<Im2colArgs> = {
  exercise: "im2col",
  misconceptions: [
    {
      id: "column-order",
      name: "columns in another order than (kh, kw, c), e.g. (c, kh, kw)",
      forms: otherOrders(COLUMN_AXES).map((order) => (x: Tensor4, fh: number, fw: number, s: number, p: number) => {
        const { C } = im2colGeometry(x, fh, fw, s, p);
        const columns = reordered({ kh: fh, kw: fw, c: C }, COLUMN_AXES, order);
        return { value: pickColumns(reference.im2col(x, fh, fw, s, p), columns), params: { order: orderName(order) } };
      }),
    },
    {
      id: "row-order",
      name: "rows in another order than (n, oh, ow)",
      forms: otherOrders(ROW_AXES).map((order) => (x: Tensor4, fh: number, fw: number, s: number, p: number) => {
        const { N, OH, OW } = im2colGeometry(x, fh, fw, s, p);
        const rows = reordered({ n: N, oh: OH, ow: OW }, ROW_AXES, order);
        return { value: pickRows(reference.im2col(x, fh, fw, s, p), rows), params: { order: orderName(order) } };
      }),
    },
  ],
  feedback: {
    en: {
      "column-order": "your columns are in ({order}) order; the exercise asks for (kh, kw, c): entry (kh, kw, c) of a window is column `kh·KW·C + kw·C + c`.",
      "row-order":
        "your rows are in ({order}) order; the exercise asks for (n, oh, ow): the window of output position (oh, ow) in image n is row `n·OH·OW + oh·OW + ow`.",
    },
    ko: {
      "column-order":
        "열이 ({order}) 순서로 되어 있습니다. 이 연습 문제의 순서는 (kh, kw, c)입니다: 창의 (kh, kw, c) 원소는 `kh·KW·C + kw·C + c`번째 열입니다.",
      "row-order":
        "행이 ({order}) 순서로 되어 있습니다. 이 연습 문제의 순서는 (n, oh, ow)입니다: 이미지 n에서 출력 위치 (oh, ow)의 창은 `n·OH·OW + oh·OW + ow`번째 행입니다.",
    },
  },
};

/**
 * conv2dIm2col's result when one side enumerates its axes in `order`. Columns: im2col's columns
 * (`first`), or the filter matrix's rows, are in that order while the other side is (kh, kw, c).
 * Rows: im2col's rows are in that order (`first`), or the output is filled in that order.
 */
function conv2dIm2colWith(order: readonly string[], part: "columns" | "rows", first: boolean) {
  return (x: Tensor4, w: Filter4, b: number[], s: number, p: number): Variant => {
    const [KH, KW, C] = dims4(w);
    const { N, OH, OW } = im2colGeometry(x, KH, KW, s, p);
    const bias = (rows: number[][]) => rows.map((row) => row.map((v, co) => v + b[co]));
    if (part === "rows") {
      const indices = reordered({ n: N, oh: OH, ow: OW }, ROW_AXES, order);
      const rows = toRows(reference.conv2dForward(x, w, b, s, p));
      return value(fromRows(first ? pickRows(rows, indices) : placeRows(rows, indices), N, OH, OW));
    }
    const indices = reordered({ kh: KH, kw: KW, c: C }, COLUMN_AXES, order);
    const cols = reference.im2col(x, KH, KW, s, p);
    const product = first ? matmul(pickColumns(cols, indices), filterMatrix(w)) : matmul(cols, pickRows(filterMatrix(w), indices));
    return value(fromRows(bias(product), N, OH, OW));
  };
}

export const conv2dIm2colMistakes: Catalogue<ConvArgs> = {
  exercise: "conv2dIm2col",
  misconceptions: [
    biasMissing,
    {
      id: "column-order-mismatch",
      name: "im2col's columns and the filter matrix's rows in different orders",
      forms: otherOrders(COLUMN_AXES).flatMap((order) => [conv2dIm2colWith(order, "columns", true), conv2dIm2colWith(order, "columns", false)]),
    },
    {
      id: "row-order",
      name: "output positions in another order than im2col's rows (n, oh, ow)",
      forms: otherOrders(ROW_AXES).flatMap((order) => [conv2dIm2colWith(order, "rows", true), conv2dIm2colWith(order, "rows", false)]),
    },
  ],
  feedback: {
    en: {
      "bias-missing": "your output is off by exactly the bias of each filter: is `b[co]` added to every row of the matrix product?",
      "column-order-mismatch":
        "im2col's columns and the filter matrix's rows are not in the same order: both must be (kh, kw, c), which is how `w[kh][kw][c]` reads as a matrix. Check im2col's column order and how the filter matrix is built.",
      "row-order":
        "your output positions are shuffled: im2col's rows, and so the product's, are in (n, oh, ow) order, and row `n·OH·OW + oh·OW + ow` goes back to `out[n][oh][ow]`. Check im2col's row order and the loops that fill the output.",
    },
    ko: {
      "bias-missing": "출력이 필터마다 정확히 bias만큼 다릅니다. 행렬 곱의 모든 행에 `b[co]`를 더했나요?",
      "column-order-mismatch":
        "im2col의 열과 필터 행렬의 행이 같은 순서가 아닙니다. 둘 다 `w[kh][kw][c]`를 행렬로 읽는 순서인 (kh, kw, c)여야 합니다. im2col의 열 순서와 필터 행렬을 만드는 방법을 확인하세요.",
      "row-order":
        "출력 위치가 뒤섞여 있습니다. im2col의 행(그래서 행렬 곱의 행도)은 (n, oh, ow) 순서이고, `n·OH·OW + oh·OW + ow`번째 행은 `out[n][oh][ow]` 자리로 돌아갑니다. im2col의 행 순서와 출력을 채우는 반복문을 확인하세요.",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// conv2dBackward
// ---------------------------------------------------------------------------------------------

/** db or dw computed from one sample of the batch (the loop over n missing, or `=` per sample). */
function oneSample(part: "db" | "dw") {
  const from = (pick: (n: number) => number) => (dout: Tensor4, x: Tensor4, w: Filter4, s: number, p: number) => {
    const N = x.length;
    if (N === 1) return undefined;
    const one = reference.conv2dBackward([dout[pick(N)]], [x[pick(N)]], w, s, p);
    return value({ ...reference.conv2dBackward(dout, x, w, s, p), [part]: one[part] });
  };
  return {
    id: `${part}-batch`,
    name: `${part} not summed over the batch`,
    params: (dout: Tensor4, x: Tensor4) => ({ batch: x.length }),
    forms: [from(() => 0), from((N) => N - 1)],
  };
}

/**
 * A mistake in the window positions of the backward loops: the gradients of a convolution whose
 * windows sit elsewhere. Written as one loop (the notebook's way), dw and dx both move; with dx
 * computed on its own (col2im), only dx does.
 */
function misplacedWindows(grads: (dout: Tensor4, x: Tensor4, w: Filter4, s: number, p: number) => { dx: Tensor4; dw: Filter4 } | undefined) {
  const both = (dout: Tensor4, x: Tensor4, w: Filter4, s: number, p: number) => {
    const g = grads(dout, x, w, s, p);
    return g && value({ ...reference.conv2dBackward(dout, x, w, s, p), dx: g.dx, dw: g.dw });
  };
  const dxOnly = (dout: Tensor4, x: Tensor4, w: Filter4, s: number, p: number) => {
    const g = grads(dout, x, w, s, p);
    return g && value({ ...reference.conv2dBackward(dout, x, w, s, p), dx: g.dx });
  };
  return [both, dxOnly];
}

/** dout in the top-left corner of a zero gradient of the stride-1 output. */
function asStrideOne(dout: Tensor4, x: Tensor4, w: Filter4, p: number): Tensor4 {
  const [, H, W] = dims4(x);
  const [KH, KW] = dims4(w);
  const OH1 = reference.convOutputSize(H, KH, 1, p);
  const OW1 = reference.convOutputSize(W, KW, 1, p);
  return dout.map((img) => Array.from({ length: OH1 }, (_, oh) => Array.from({ length: OW1 }, (_, ow) => img[oh]?.[ow]?.slice() ?? img[0][0].map(() => 0))));
}

export const conv2dBackwardMistakes: Catalogue<BackwardArgs> = {
  exercise: "conv2dBackward",
  misconceptions: [
    oneSample("db"),
    oneSample("dw"),
    {
      id: "stride-ignored",
      name: "stride ignored in the backward pass (dx, and dw when computed in the same loop)",
      params: (dout, x, w, s) => ({ stride: s }),
      // The gradient of output (oh, ow) taken to the window at (oh - pad, ow - pad).
      forms: misplacedWindows((dout, x, w, s, p) => (s === 1 ? undefined : reference.conv2dBackward(asStrideOne(dout, x, w, p), x, w, 1, p))),
    },
    {
      id: "pad-ignored",
      name: "padding ignored in the backward pass (dx, and dw when computed in the same loop)",
      params: (dout, x, w, s, p) => ({ pad: p }),
      forms: [
        // Windows at oh * stride (no - pad), whatever falls past the input dropped ...
        ...misplacedWindows((dout, x, w, s, p) => {
          if (p === 0) return undefined;
          const g = reference.conv2dBackward(dout, extendBottomRight(x, 2 * p), w, s, 0);
          return { dx: crop(g.dx, x[0].length, x[0][0].length), dw: g.dw };
        }),
        // ... or the gradient of the padded input returned as it is.
        ...misplacedWindows((dout, x, w, s, p) => (p === 0 ? undefined : reference.conv2dBackward(dout, extendBottomRight(x, 2 * p), w, s, 0))),
      ],
    },
  ],
  feedback: {
    en: {
      "db-batch": "db comes from one sample of the batch only: sum `dout` over every n (a batch of {batch} here), every oh and every ow.",
      "dw-batch": "dw comes from one sample of the batch only: accumulate `x · dout` over every n of the batch ({batch} here), not only one.",
      "stride-ignored":
        "your gradients are placed as if the stride were 1: the gradient of output (oh, ow) belongs to the window that starts at `oh * stride - pad`, `ow * stride - pad` (stride {stride} here).",
      "pad-ignored":
        "your gradients do not take the padding into account: the window of output (oh, ow) starts at row `oh * stride - pad` of x (pad {pad} here), gradients that land on the padding are dropped, and dx has the shape of x.",
    },
    ko: {
      "db-batch": "db를 batch의 한 샘플에서만 구했습니다. `dout`을 모든 n(여기서는 batch {batch}개), 모든 oh, 모든 ow에 대해 더하세요.",
      "dw-batch": "dw를 batch의 한 샘플에서만 구했습니다. 한 샘플만이 아니라 batch의 모든 n(여기서는 {batch}개)에 대해 `x · dout`을 누적하세요.",
      "stride-ignored":
        "기울기를 stride가 1인 것처럼 놓았습니다. 출력 (oh, ow)의 기울기는 `oh * stride - pad`, `ow * stride - pad`에서 시작하는 창의 것입니다(여기서는 stride {stride}).",
      "pad-ignored":
        "기울기에 padding을 반영하지 않았습니다. 출력 (oh, ow)의 창은 x의 `oh * stride - pad`번째 행에서 시작하고(여기서는 pad {pad}), padding 자리에 떨어지는 기울기는 버리며, dx는 x와 같은 모양입니다.",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// maxPoolBackward
// ---------------------------------------------------------------------------------------------

/**
 * Max-pool backward with a choice of which window positions get the gradient (indices into the
 * window in (kh, kw) scan order) and whether it is added or written. With the first maximum and
 * `add` it is the reference.
 */
export function routePoolGradient(dout: Tensor4, x: Tensor4, size: number, stride: number, choose: (window: number[]) => number[], add: boolean): Tensor4 {
  const dx = x.map((img) => img.map((row) => row.map((px) => px.map(() => 0))));
  const [N, OH, OW, C] = dims4(dout);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          const window: number[] = [];
          for (let kh = 0; kh < size; kh++) for (let kw = 0; kw < size; kw++) window.push(x[n][oh * stride + kh][ow * stride + kw][c]);
          for (const i of choose(window)) {
            const h = oh * stride + Math.floor(i / size);
            const col = ow * stride + (i % size);
            dx[n][h][col][c] = (add ? dx[n][h][col][c] : 0) + dout[n][oh][ow][c];
          }
        }
  return dx;
}

const maxima = (window: number[]) => {
  const best = Math.max(...window);
  return window.flatMap((v, i) => (v === best ? [i] : []));
};
export const firstMaximum = (window: number[]) => [maxima(window)[0]];

export const maxPoolBackwardMistakes: Catalogue<[dout: Tensor4, x: Tensor4, poolSize: number, stride: number]> = {
  exercise: "maxPoolBackward",
  misconceptions: [
    {
      id: "every-tied-maximum",
      name: "gradient sent to every tied maximum",
      forms: [(dout, x, size, stride) => value(routePoolGradient(dout, x, size, stride, maxima, true))],
    },
    {
      id: "last-tied-maximum",
      name: "gradient sent to the last tied maximum (>= instead of >)",
      forms: [(dout, x, size, stride) => value(routePoolGradient(dout, x, size, stride, (w) => maxima(w).slice(-1), true))],
    },
    {
      id: "overwrite-overlap",
      name: "= instead of += where windows overlap",
      forms: [(dout, x, size, stride) => (stride >= size ? undefined : value(routePoolGradient(dout, x, size, stride, firstMaximum, false)))],
    },
  ],
  feedback: {
    en: {
      "every-tied-maximum":
        "where a window's maximum is tied, your gradient goes to every tied position: it goes only to the first maximum (scanning kh, then kw), as the exercise says.",
      "last-tied-maximum":
        "where a window's maximum is tied, your gradient goes to the last maximum: it goes to the first one (scanning kh, then kw); compare with `>`, not `>=`.",
      "overwrite-overlap":
        "where windows overlap, a position that is the maximum of several windows keeps only one window's gradient: add them up with `+=` instead of writing with `=`.",
    },
    ko: {
      "every-tied-maximum":
        "창의 최댓값이 여러 개일 때 기울기를 그 모든 위치에 보냈습니다. 연습 문제의 설명대로 첫 번째 최댓값(kh, 그다음 kw 순서로 훑어서)에만 보내세요.",
      "last-tied-maximum":
        "창의 최댓값이 여러 개일 때 기울기를 마지막 최댓값에 보냈습니다. 첫 번째 최댓값(kh, 그다음 kw 순서로 훑어서)에 보내야 합니다: `>=` 대신 `>` 연산자로 비교하세요.",
      "overwrite-overlap": "창이 겹치는 곳에서, 여러 창의 최댓값인 위치에 한 창의 기울기만 남았습니다. `=` 연산자로 덮어쓰지 말고 `+=` 연산자로 더하세요.",
    },
  },
};

// ---------------------------------------------------------------------------------------------
// describeNetwork
// ---------------------------------------------------------------------------------------------

/** Biases in a layer's parameter count, as the notebook's table defines them. */
function biasCount(layer: LayerSpec): number {
  switch (layer.type) {
    case "conv":
      return layer.bias === false ? 0 : layer.filters;
    case "fc":
      return layer.bias === false ? 0 : layer.units;
    case "inception":
      return layer.conv1x1 + layer.reduce3x3 + layer.conv3x3 + layer.reduce5x5 + layer.conv5x5 + layer.poolProj;
    default:
      return 0;
  }
}

type SizeFormula = (n: number, k: number, s: number, p: number) => number;

/**
 * describeNetwork with another output-size formula for layers with an explicit `pad` (and, with
 * `residual`, for residual blocks, whose 3x3 convs have pad 1): the reference, run one layer at
 * a time, with those layers' height and width recomputed.
 */
function withPaddedSize(input: [number, number, number], layers: LayerSpec[], size: SizeFormula, residual: boolean): LayerSummary[] | undefined {
  const names = reference.describeNetwork(input, layers).map((s) => s.name);
  let shape: number[] = input;
  const out: LayerSummary[] = [];
  for (const [i, layer] of layers.entries()) {
    const flat = shape.length === 1;
    const s = unlessRangeError(
      () => reference.describeNetwork((flat ? [1, 1, shape[0]] : shape) as [number, number, number], [{ ...layer, name: names[i] }])[0],
    );
    if (!s) return undefined;
    let outputShape: number[] = flat && s.outputShape.length === 3 ? [s.outputShape[2]] : s.outputShape;
    if ((layer.type === "conv" || layer.type === "maxpool" || layer.type === "avgpool") && (layer.pad ?? 0) > 0) {
      const [kh, kw] = layer.type === "conv" ? (Array.isArray(layer.size) ? layer.size : [layer.size, layer.size]) : [layer.size, layer.size];
      const stride = layer.stride ?? (layer.type === "conv" ? 1 : layer.size);
      const h = size(shape[0], kh, stride, layer.pad ?? 0);
      const w = size(shape[1], kw, stride, layer.pad ?? 0);
      if (h < 1 || w < 1) return undefined;
      outputShape = [h, w, s.outputShape[s.outputShape.length - 1]];
    } else if (layer.type === "residual" && residual) {
      const h = size(shape[0], 3, layer.stride ?? 1, 1);
      const w = size(shape[1], 3, layer.stride ?? 1, 1);
      if (h < 1 || w < 1) return undefined;
      outputShape = [h, w, s.outputShape[s.outputShape.length - 1]];
    }
    out.push({ name: names[i], outputShape: outputShape as LayerSummary["outputShape"], params: s.params });
    shape = outputShape;
  }
  return out;
}

/** A padded-size variant, with the first layer whose shape it gets wrong. */
function paddedSize(size: SizeFormula, residual: boolean) {
  return (input: [number, number, number], layers: LayerSpec[]): Variant | undefined => {
    const summaries = withPaddedSize(input, layers, size, residual);
    if (!summaries) return undefined;
    const want = reference.describeNetwork(input, layers);
    const first = summaries.find((s, i) => s.outputShape.join() !== want[i].outputShape.join());
    return { value: summaries, params: { layer: first?.name ?? "" } };
  };
}

export const describeNetworkMistakes: Catalogue<DescribeArgs> = {
  exercise: "describeNetwork",
  misconceptions: [
    {
      id: "biases-left-out",
      name: "biases left out of the parameter count",
      forms: [(input, layers) => value(reference.describeNetwork(input, layers).map((s, i) => ({ ...s, params: s.params - biasCount(layers[i]) })))],
    },
    {
      id: "padded-size",
      name: "output size of a padded layer",
      // The padding ignored, or counted once; in explicitly padded layers only, or in one size formula shared with residual blocks.
      forms: [false, true].flatMap((residual) => [
        paddedSize((n, k, s) => Math.floor((n - k) / s) + 1, residual),
        paddedSize((n, k, s, p) => Math.floor((n + p - k) / s) + 1, residual),
      ]),
    },
  ],
  feedback: {
    en: {
      "biases-left-out":
        "your parameter counts leave out the biases: a conv layer has one bias per filter and an fc layer one per unit (unless `bias: false`), and every conv of an inception module has them.",
      "padded-size": "the output shape of {layer}, a padded layer, is off: its padding goes on both sides, so its size is floor((n + 2·pad − k) / stride) + 1.",
    },
    ko: {
      "biases-left-out":
        "매개변수 수에서 bias가 빠졌습니다. conv 계층은 필터마다, fc 계층은 unit마다 bias가 하나씩 있고(`bias: false`가 아니면), inception 모듈의 모든 합성곱에도 bias가 있습니다.",
      "padded-size": "padding이 있는 계층 {layer}의 출력 모양이 틀렸습니다. padding은 양쪽에 붙으므로 크기는 floor((n + 2·pad − k) / stride) + 1입니다.",
    },
  },
};
