/**
 * Week 7's catalogued mistakes written into learner code: for each misconception id of
 * notebooks/week07-cnn/hidden-tests/misconceptions.ts, edits of the instructor's solution that
 * make exactly that mistake, the way a learner would. The submission generator mixes them into
 * partial and broken work; the tests grade them to check that each is named.
 */
export interface SourceMistake {
  /** `<exercise>/<id>` in the assignment's catalogue; the exercise is the solution cell's grade_id. */
  misconception: string;
  /** Text replacements in the solution cell; each must match (every occurrence is replaced). */
  edits: [string, string][];
}

const SIZE_LINE = "const out = Math.floor((inputSize + 2 * pad - filterSize) / stride) + 1;";
const CONV_H = "const h = oh * stride - pad + kh;";
const CONV_COL = "const col = ow * stride - pad + kw;";
const CONV_SUM = "for (let c = 0; c < C; c++) sum += x[n][h][col][c] * w[kh][kw][c][co];";
const POOL_READ = "x[n][oh * stride + kh][ow * stride + kw][c]";
const POOL_SIZE: [string, string][] = [
  ["Math.floor((H - poolSize) / stride) + 1", "Math.floor((H - poolSize) / poolSize) + 1"],
  ["Math.floor((W - poolSize) / stride) + 1", "Math.floor((W - poolSize) / poolSize) + 1"],
  [POOL_READ, "x[n][oh * poolSize + kh][ow * poolSize + kw][c]"],
];
const IM2COL_WINDOW = `        for (let kh = 0; kh < filterH; kh++) {
          const h = oh * stride - pad + kh;
          for (let kw = 0; kw < filterW; kw++) {
            const col = ow * stride - pad + kw;
            const inside = h >= 0 && h < H && col >= 0 && col < W;
            for (let c = 0; c < C; c++) row.push(inside ? x[n][h][col][c] : 0);
          }
        }`;
const FILTER_MATRIX = `  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++)
      for (let c = 0; c < C; c++) wMat.push(w[kh][kw][c]);`;

export const WEEK7_MISTAKES: SourceMistake[] = [
  { misconception: "convOutputSize/rounds-up", edits: [[SIZE_LINE, SIZE_LINE.replace("Math.floor", "Math.ceil")]] },
  { misconception: "convOutputSize/pad-once", edits: [[SIZE_LINE, SIZE_LINE.replace("2 * pad", "pad")]] },
  { misconception: "convOutputSize/plus-one-missing", edits: [[SIZE_LINE, SIZE_LINE.replace(" + 1;", ";")]] },

  {
    misconception: "conv2dForward/stride-ignored",
    edits: [
      [CONV_H, "const h = oh - pad + kh;"],
      [CONV_COL, "const col = ow - pad + kw;"],
    ],
  },
  {
    misconception: "conv2dForward/pad-ignored",
    edits: [
      ["(H + 2 * pad - KH)", "(H - KH)"],
      ["(W + 2 * pad - KW)", "(W - KW)"],
      [CONV_H, "const h = oh * stride + kh;"],
      [CONV_COL, "const col = ow * stride + kw;"],
    ],
  },
  {
    misconception: "conv2dForward/pad-offset-missing",
    edits: [
      [CONV_H, "const h = oh * stride + kh;"],
      [CONV_COL, "const col = ow * stride + kw;"],
    ],
  },
  { misconception: "conv2dForward/bias-missing", edits: [["let sum = b[co];", "let sum = 0;"]] },
  {
    misconception: "conv2dForward/bias-per-input",
    edits: [
      ["let sum = b[co];", "let sum = 0;"],
      [CONV_SUM, CONV_SUM.replace("[c][co];", "[c][co] + b[co];")],
    ],
  },
  { misconception: "conv2dForward/kernel-flipped", edits: [[CONV_SUM, CONV_SUM.replace("w[kh][kw]", "w[KH - 1 - kh][KW - 1 - kw]")]] },
  {
    misconception: "conv2dForward/hw-swapped",
    edits: [
      ["zeros4([N, OH, OW, COUT])", "zeros4([N, OW, OH, COUT])"],
      ["out[n][oh][ow][co] = sum;", "out[n][ow][oh][co] = sum;"],
    ],
  },
  { misconception: "conv2dForward/first-channel-only", edits: [[CONV_SUM, CONV_SUM.replace("c < C", "c < 1")]] },

  { misconception: "maxPoolForward/stride-is-size", edits: POOL_SIZE },
  { misconception: "maxPoolForward/max-starts-at-zero", edits: [["let best = -Infinity;", "let best = 0;"]] },
  { misconception: "avgPoolForward/stride-is-size", edits: POOL_SIZE },
  { misconception: "avgPoolForward/wrong-divisor", edits: [["sum / (poolSize * poolSize)", "sum / poolSize"]] },

  {
    misconception: "im2col/column-order",
    edits: [
      [
        IM2COL_WINDOW,
        `        for (let c = 0; c < C; c++)
          for (let kh = 0; kh < filterH; kh++)
            for (let kw = 0; kw < filterW; kw++) {
              const h = oh * stride - pad + kh;
              const col = ow * stride - pad + kw;
              const inside = h >= 0 && h < H && col >= 0 && col < W;
              row.push(inside ? x[n][h][col][c] : 0);
            }`,
      ],
    ],
  },
  {
    misconception: "im2col/row-order",
    edits: [
      ["for (let oh = 0; oh < OH; oh++)\n      for (let ow = 0; ow < OW; ow++) {", "for (let ow = 0; ow < OW; ow++)\n      for (let oh = 0; oh < OH; oh++) {"],
    ],
  },

  { misconception: "conv2dIm2col/bias-missing", edits: [["for (let co = 0; co < COUT; co++) y[co] = b[co];", "for (let co = 0; co < COUT; co++) y[co] = 0;"]] },
  {
    misconception: "conv2dIm2col/column-order-mismatch",
    edits: [
      [FILTER_MATRIX, "  for (let c = 0; c < C; c++)\n    for (let kh = 0; kh < KH; kh++)\n      for (let kw = 0; kw < KW; kw++) wMat.push(w[kh][kw][c]);"],
    ],
  },
  {
    misconception: "conv2dIm2col/row-order",
    edits: [
      [
        "for (let oh = 0; oh < OH; oh++)\n      for (let ow = 0; ow < OW; ow++, r++) {",
        "for (let ow = 0; ow < OW; ow++)\n      for (let oh = 0; oh < OH; oh++, r++) {",
      ],
    ],
  },

  { misconception: "conv2dBackward/db-batch", edits: [["db[co] += g;", "if (n === 0) db[co] += g;"]] },
  {
    misconception: "conv2dBackward/dw-batch",
    edits: [["dw[kh][kw][c][co] += x[n][h][col][c] * g;", "if (n === N - 1) dw[kh][kw][c][co] += x[n][h][col][c] * g;"]],
  },
  {
    misconception: "conv2dBackward/stride-ignored",
    edits: [
      [CONV_H, "const h = oh - pad + kh;"],
      [CONV_COL, "const col = ow - pad + kw;"],
    ],
  },
  {
    misconception: "conv2dBackward/pad-ignored",
    edits: [
      [CONV_H, "const h = oh * stride + kh;"],
      [CONV_COL, "const col = ow * stride + kw;"],
    ],
  },

  {
    misconception: "maxPoolBackward/every-tied-maximum",
    edits: [
      [
        "dx[n][bestH][bestW][c] += dout[n][oh][ow][c];",
        "for (let kh = 0; kh < poolSize; kh++)\n            for (let kw = 0; kw < poolSize; kw++)\n              if (x[n][oh * stride + kh][ow * stride + kw][c] === x[n][bestH][bestW][c]) dx[n][oh * stride + kh][ow * stride + kw][c] += dout[n][oh][ow][c];",
      ],
    ],
  },
  {
    misconception: "maxPoolBackward/last-tied-maximum",
    edits: [["if (x[n][h][col][c] > x[n][bestH][bestW][c]) {", "if (x[n][h][col][c] >= x[n][bestH][bestW][c]) {"]],
  },
  {
    misconception: "maxPoolBackward/overwrite-overlap",
    edits: [["dx[n][bestH][bestW][c] += dout[n][oh][ow][c];", "dx[n][bestH][bestW][c] = dout[n][oh][ow][c];"]],
  },

  {
    misconception: "describeNetwork/biases-left-out",
    edits: [
      ["kh * kw * cin * cout + (bias ? cout : 0)", "kh * kw * cin * cout"],
      ["inputs * layer.units + (layer.bias ?? true ? layer.units : 0)", "inputs * layer.units"],
    ],
  },
  { misconception: "describeNetwork/padded-size", edits: [["Math.floor((n + 2 * pad - k) / stride) + 1", "Math.floor((n + pad - k) / stride) + 1"]] },
];

/** The catalogued mistakes the generator can write into an assignment's submissions. */
export function sourceMistakes(assignmentName: string): SourceMistake[] {
  return assignmentName === "week07-cnn" ? WEEK7_MISTAKES : [];
}
