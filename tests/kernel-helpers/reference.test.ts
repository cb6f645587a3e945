/**
 * The reference kernels against tfjs (cpu backend, float32) and against float64 central
 * differences, on many random shapes.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as fc from "fast-check";
import {
  allClose,
  Filter4,
  NestedNumbers,
  Shape4,
  Tensor4,
  col2imFlat,
  conv2dBackwardFlat,
  conv2dForwardFlat,
  createRng,
  fromTensor4,
  gemm,
  im2colFlat,
  maxPoolForwardFlat,
  numericalBackward,
  numericalGradient,
  numericalGradient4,
  randn4,
  randnArray,
  reference,
  relError,
  toTensor4,
  transposeFlat,
} from "@course-kit/kernel-helpers";

// ---------------------------------------------------------------------------------------------
// Local helpers (kept independent of the code under test)
// ---------------------------------------------------------------------------------------------

function flat(t: NestedNumbers): number[] {
  return Array.isArray(t) ? t.flatMap((v) => flat(v)) : [t];
}

function dims(t: NestedNumbers): number[] {
  return Array.isArray(t) ? [t.length, ...dims(t[0])] : [];
}

/** Asserts equal shapes and |a-b| <= atol + rtol*|b| elementwise, with a useful message. */
function assertNear(actual: NestedNumbers, expected: NestedNumbers, what: string, rtol = 1e-4, atol = 1e-4): void {
  assert.deepEqual(dims(actual), dims(expected), `${what}: shape`);
  const a = flat(actual);
  const e = flat(expected);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
      assert.fail(`${what}: element ${i} is ${a[i]}, expected ${e[i]} (shape [${dims(expected).join(", ")}])`);
    }
  }
}

function tfConv(x: Tensor4, w: Filter4, b: number[], stride: number, pad: number): Tensor4 {
  return tf.tidy(() => {
    const xp = tf.pad(toTensor4(x), [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ]);
    const y = tf.add(tf.conv2d(xp, toTensor4(w), stride, "valid"), tf.tensor1d(b));
    return fromTensor4(y);
  });
}

/** Values with gaps of at least 0.01, randomly placed: no near-ties in max pooling. */
function distinct4(shape: Shape4, seed: number): Tensor4 {
  const rng = createRng(seed);
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  const values = rng.shuffle(Array.from({ length: size }, (_, i) => (i - size / 2) * 0.01 + rng.next() * 0.002));
  let k = 0;
  return randn4(shape, seed).map((a) => a.map((b) => b.map((c) => c.map(() => values[k++]))));
}

interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  cout: number;
  stride: number;
  pad: number;
  seed: number;
}

const convCaseArb = (maxHW = 9, maxC = 4): fc.Arbitrary<ConvCase> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: maxHW }),
      w: fc.integer({ min: 1, max: maxHW }),
      c: fc.integer({ min: 1, max: maxC }),
      kh: fc.integer({ min: 1, max: 5 }),
      kw: fc.integer({ min: 1, max: 5 }),
      cout: fc.integer({ min: 1, max: 4 }),
      stride: fc.integer({ min: 1, max: 3 }),
      pad: fc.integer({ min: 0, max: 2 }),
      seed: fc.integer({ min: 0, max: 1_000_000 }),
    })
    .filter((t) => t.kh <= t.h + 2 * t.pad && t.kw <= t.w + 2 * t.pad);

/** Hand-picked cases so the required coverage never depends on luck. */
const fixedConvCases: ConvCase[] = [
  { n: 2, h: 7, w: 5, c: 3, kh: 3, kw: 2, cout: 4, stride: 2, pad: 1, seed: 1 }, // batch, non-square
  { n: 1, h: 6, w: 6, c: 1, kh: 1, kw: 1, cout: 2, stride: 1, pad: 0, seed: 2 }, // 1x1
  { n: 3, h: 8, w: 9, c: 2, kh: 1, kw: 1, cout: 3, stride: 3, pad: 2, seed: 3 }, // 1x1 stride 3 pad 2
  { n: 2, h: 5, w: 5, c: 4, kh: 5, kw: 5, cout: 3, stride: 1, pad: 2, seed: 4 }, // "same"
  { n: 1, h: 10, w: 7, c: 3, kh: 4, kw: 3, cout: 2, stride: 3, pad: 0, seed: 5 }, // uneven floor
  { n: 2, h: 3, w: 4, c: 2, kh: 5, kw: 6, cout: 1, stride: 1, pad: 2, seed: 6 }, // filter bigger than input
];

function convData(t: ConvCase) {
  const x = randn4([t.n, t.h, t.w, t.c], t.seed);
  const w = randn4([t.kh, t.kw, t.c, t.cout], t.seed + 1, 0.5);
  const b = randnArray(t.cout, t.seed + 2);
  return { x, w, b };
}

function outDims(t: ConvCase): Shape4 {
  return [t.n, Math.floor((t.h + 2 * t.pad - t.kh) / t.stride) + 1, Math.floor((t.w + 2 * t.pad - t.kw) / t.stride) + 1, t.cout];
}

before(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

// ---------------------------------------------------------------------------------------------

describe("reference.convOutputSize", () => {
  it("matches the formula on known layers", () => {
    assert.equal(reference.convOutputSize(227, 11, 4, 0), 55); // AlexNet conv1
    assert.equal(reference.convOutputSize(55, 3, 2, 0), 27); // AlexNet pool1
    assert.equal(reference.convOutputSize(27, 5, 1, 2), 27);
    assert.equal(reference.convOutputSize(224, 7, 2, 3), 112); // ResNet stem
    assert.equal(reference.convOutputSize(7, 3, 3, 0), 2); // floor
    assert.equal(reference.convOutputSize(1, 3, 1, 1), 1);
  });

  it("equals the number of window positions that fit", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        (n, k, s, p) => {
          let count = 0;
          for (let start = 0; start + k <= n + 2 * p; start += s) count++;
          if (count === 0) assert.throws(() => reference.convOutputSize(n, k, s, p), RangeError);
          else assert.equal(reference.convOutputSize(n, k, s, p), count);
        },
      ),
    );
  });

  it("throws RangeError on invalid arguments", () => {
    for (const args of [
      [5.5, 3, 1, 0],
      [5, 2.5, 1, 0],
      [5, 3, 1.5, 0],
      [5, 3, 1, 0.5],
      [0, 1, 1, 0],
      [5, 0, 1, 0],
      [5, 3, 0, 0],
      [5, 3, 1, -1],
      [5, 8, 1, 1],
      [NaN, 3, 1, 0],
      [5, 3, Infinity, 0],
    ] as const) {
      assert.throws(() => reference.convOutputSize(args[0], args[1], args[2], args[3]), RangeError, `args ${args}`);
    }
  });
});

describe("reference.conv2dForward / conv2dIm2col / conv2dNaive", () => {
  it("computes a cross-correlation (no kernel flip) on a hand example", () => {
    // x = 1..9 in a 3x3 single-channel image.
    const x = [
      [
        [[1], [2], [3]],
        [[4], [5], [6]],
        [[7], [8], [9]],
      ],
    ];
    // w picks the pixel to the right of the window's top-left corner: out[i][j] = x[i][j+1].
    const right: Filter4 = [
      [[[0]], [[1]]],
      [[[0]], [[0]]],
    ];
    const expectRight = [
      [
        [[2 + 10], [3 + 10]],
        [[5 + 10], [6 + 10]],
      ],
    ];
    // w = [[1, 0], [0, -1]]: out[i][j] = x[i][j] - x[i+1][j+1] = -4.
    const diag: Filter4 = [
      [[[1]], [[0]]],
      [[[0]], [[-1]]],
    ];
    for (const f of [reference.conv2dForward, reference.conv2dIm2col, reference.conv2dNaive]) {
      assert.deepEqual(f(x, right, [10], 1, 0), expectRight);
      assert.deepEqual(f(x, diag, [0], 1, 0), [
        [
          [[-4], [-4]],
          [[-4], [-4]],
        ],
      ]);
      // pad 1, stride 2: a 1x1 identity filter samples the padded 5x5 grid at rows/cols 0, 2, 4.
      assert.deepEqual(f(x, [[[[1]]]], [0], 2, 1), [
        [
          [[0], [0], [0]],
          [[0], [5], [0]],
          [[0], [0], [0]],
        ],
      ]);
    }
  });

  it("matches tf.conv2d on fixed and random shapes", () => {
    const check = (t: ConvCase) => {
      const { x, w, b } = convData(t);
      const expected = tfConv(x, w, b, t.stride, t.pad);
      assert.deepEqual(dims(expected), outDims(t));
      const label = JSON.stringify(t);
      assertNear(reference.conv2dForward(x, w, b, t.stride, t.pad), expected, `conv2dForward ${label}`);
      assertNear(reference.conv2dIm2col(x, w, b, t.stride, t.pad), expected, `conv2dIm2col ${label}`);
      assertNear(reference.conv2dNaive(x, w, b, t.stride, t.pad), expected, `conv2dNaive ${label}`);
    };
    fixedConvCases.forEach(check);
    fc.assert(fc.property(convCaseArb(), check), { numRuns: 60 });
  });

  it("agrees with the naive loops to double precision, with wider channels", () => {
    fc.assert(
      fc.property(convCaseArb(8, 9), (t) => {
        const { x, w, b } = convData(t);
        const naive = reference.conv2dNaive(x, w, b, t.stride, t.pad);
        assert.ok(allClose(reference.conv2dForward(x, w, b, t.stride, t.pad), naive, { rtol: 1e-9, atol: 1e-12 }));
        assert.ok(allClose(reference.conv2dIm2col(x, w, b, t.stride, t.pad), naive, { rtol: 1e-9, atol: 1e-12 }));
      }),
      { numRuns: 40 },
    );
  });

  it("does not modify its inputs", () => {
    const { x, w, b } = convData(fixedConvCases[0]);
    const copies = JSON.stringify([x, w, b]);
    reference.conv2dForward(x, w, b, 2, 1);
    reference.conv2dIm2col(x, w, b, 2, 1);
    reference.conv2dBackward(randn4([2, 4, 3, 4], 9), x, w, 2, 1);
    assert.equal(JSON.stringify([x, w, b]), copies);
  });

  it("rejects mismatched or malformed arguments", () => {
    const x = randn4([1, 5, 5, 3], 1);
    const w = randn4([3, 3, 3, 2], 2);
    assert.throws(() => reference.conv2dForward(x, randn4([3, 3, 2, 2], 3), [0, 0], 1, 0), /input channels/);
    assert.throws(() => reference.conv2dForward(x, w, [0], 1, 0), RangeError);
    assert.throws(() => reference.conv2dForward(x, w, [0, 0], 0, 0), RangeError);
    assert.throws(() => reference.conv2dForward(x, w, [0, 0], 1, -1), RangeError);
    assert.throws(() => reference.conv2dForward(x, randn4([7, 7, 3, 2], 3), [0, 0], 1, 0), RangeError);
    const ragged = JSON.parse(JSON.stringify(x)) as Tensor4;
    ragged[0][3].pop();
    assert.throws(() => reference.conv2dForward(ragged, w, [0, 0], 1, 0), TypeError);
    assert.throws(() => reference.conv2dNaive(x, randn4([3, 3, 2, 2], 3), [0, 0], 1, 0), RangeError);
  });
});

describe("reference.im2col / col2im", () => {
  it("orders rows (n, oh, ow) and columns (kh, kw, c) on a hand example", () => {
    // single channel 3x3 image with values 1..9, 2x2 windows
    const x = [
      [
        [[1], [2], [3]],
        [[4], [5], [6]],
        [[7], [8], [9]],
      ],
    ];
    assert.deepEqual(reference.im2col(x, 2, 2, 1, 0), [
      [1, 2, 4, 5],
      [2, 3, 5, 6],
      [4, 5, 7, 8],
      [5, 6, 8, 9],
    ]);
    // two channels: x[0][h][w][c] = 10*(2h+w) + c; one 2x2 window lists (kh, kw, c) in that order
    const x2 = [
      [
        [
          [0, 1],
          [10, 11],
        ],
        [
          [20, 21],
          [30, 31],
        ],
      ],
    ];
    assert.deepEqual(reference.im2col(x2, 2, 2, 1, 0), [[0, 1, 10, 11, 20, 21, 30, 31]]);
    // non-square 1x2 windows, stride 2 over the 3x3 image: window origins (0,0) and (2,0)
    assert.deepEqual(reference.im2col(x, 1, 2, 2, 0), [
      [1, 2],
      [7, 8],
    ]);
    // padding contributes zeros; batch rows come image by image
    const x4 = [[[[5]]], [[[7]]]];
    assert.deepEqual(reference.im2col(x4, 3, 3, 1, 1), [
      [0, 0, 0, 0, 5, 0, 0, 0, 0],
      [0, 0, 0, 0, 7, 0, 0, 0, 0],
    ]);
  });

  it("im2col(x) times the filter matrix equals the convolution", () => {
    fc.assert(
      fc.property(convCaseArb(), (t) => {
        const { x, w, b } = convData(t);
        const cols = reference.im2col(x, t.kh, t.kw, t.stride, t.pad);
        const [N, OH, OW] = outDims(t);
        assert.equal(cols.length, N * OH * OW);
        assert.equal(cols[0].length, t.kh * t.kw * t.c);
        // filter as a (kh*kw*c) x cout matrix, rows in (kh, kw, c) order, multiplied by plain loops
        const wm: number[][] = [];
        for (let i = 0; i < t.kh; i++) for (let j = 0; j < t.kw; j++) for (let c = 0; c < t.c; c++) wm.push(w[i][j][c]);
        const prod = cols.map((row) => b.map((bias, co) => row.reduce((s, v, k) => s + v * wm[k][co], bias)));
        const expected = tfConv(x, w, b, t.stride, t.pad);
        assertNear(prod, reshape2(expected), `im2col·W ${JSON.stringify(t)}`);
      }),
      { numRuns: 40 },
    );
  });

  it("col2im is the adjoint of im2col: <im2col(x), C> = <x, col2im(C)>", () => {
    fc.assert(
      fc.property(convCaseArb(), (t) => {
        const { x } = convData(t);
        const cols = reference.im2col(x, t.kh, t.kw, t.stride, t.pad);
        const rng = createRng(t.seed + 5);
        const C = cols.map((r) => r.map(() => rng.normal()));
        const back = reference.col2im(C, [t.n, t.h, t.w, t.c], t.kh, t.kw, t.stride, t.pad);
        assert.deepEqual(dims(back), [t.n, t.h, t.w, t.c]);
        const fC = flat(C);
        const lhs = flat(cols).reduce((s, v, i) => s + v * fC[i], 0);
        const fb = flat(back);
        const rhs = flat(x).reduce((s, v, i) => s + v * fb[i], 0);
        assert.ok(Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
      }),
      { numRuns: 40 },
    );
  });

  it("col2im of ones counts how many windows cover each input pixel", () => {
    const t = { n: 1, h: 5, w: 4, c: 1, kh: 3, kw: 2, stride: 2, pad: 1 };
    const cols = reference.im2col(randn4([1, 5, 4, 1], 1), t.kh, t.kw, t.stride, t.pad).map((r) => r.map(() => 1));
    const back = reference.col2im(cols, [1, 5, 4, 1], t.kh, t.kw, t.stride, t.pad);
    for (let h = 0; h < t.h; h++)
      for (let w = 0; w < t.w; w++) {
        let count = 0;
        // window starts at -pad + stride*o in the padded frame
        for (let oh = 0; -t.pad + oh * t.stride + t.kh <= t.h + t.pad; oh++)
          for (let ow = 0; -t.pad + ow * t.stride + t.kw <= t.w + t.pad; ow++) {
            const h0 = -t.pad + oh * t.stride;
            const w0 = -t.pad + ow * t.stride;
            if (h >= h0 && h < h0 + t.kh && w >= w0 && w < w0 + t.kw) count++;
          }
        assert.equal(back[0][h][w][0], count, `pixel (${h}, ${w})`);
      }
  });
});

/** [N, OH, OW, C] nested -> (N*OH*OW) x C rows. */
function reshape2(t: Tensor4): number[][] {
  return t.flatMap((img) => img.flatMap((row) => row.map((pix) => pix.slice())));
}

describe("reference.conv2dBackward", () => {
  function tfConvGrads(x: Tensor4, w: Filter4, dout: Tensor4, stride: number, pad: number) {
    return tf.tidy(() => {
      const dt = toTensor4(dout);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.conv2d(
              tf.pad(a as tf.Tensor4D, [
                [0, 0],
                [pad, pad],
                [pad, pad],
                [0, 0],
              ]),
              b as tf.Tensor4D,
              stride,
              "valid",
            ),
            dt,
          ),
        );
      const [gx, gw] = tf.grads(f)([toTensor4(x), toTensor4(w)]);
      return { dx: fromTensor4(gx), dw: fromTensor4(gw) };
    });
  }

  it("matches tf.grads on fixed and random shapes", () => {
    const check = (t: ConvCase) => {
      const { x, w } = convData(t);
      const dout = randn4(outDims(t), t.seed + 3);
      const g = reference.conv2dBackward(dout, x, w, t.stride, t.pad);
      const expected = tfConvGrads(x, w, dout, t.stride, t.pad);
      const label = JSON.stringify(t);
      assertNear(g.dx, expected.dx, `dx ${label}`, 1e-3, 1e-3);
      assertNear(g.dw, expected.dw, `dw ${label}`, 1e-3, 1e-3);
      // db is the sum of dout over n, oh, ow
      const db = Array.from({ length: t.cout }, (_, co) => flat(dout.map((a) => a.map((r) => r.map((p) => p[co])))).reduce((s, v) => s + v, 0));
      assertNear(g.db, db, `db ${label}`, 1e-12, 1e-12);
    };
    fixedConvCases.forEach(check);
    fc.assert(fc.property(convCaseArb(), check), { numRuns: 40 });
  });

  it("matches float64 numerical gradients for x, w and b", () => {
    const check = (t: ConvCase) => {
      const { x, w, b } = convData(t);
      const dout = randn4(outDims(t), t.seed + 3);
      const g = reference.conv2dBackward(dout, x, w, t.stride, t.pad);
      const ndx = numericalBackward((xx) => reference.conv2dNaive(xx, w, b, t.stride, t.pad), x, dout);
      const ndw = numericalBackward((ww) => reference.conv2dNaive(x, ww, b, t.stride, t.pad), w, dout);
      const bv = Float64Array.from(b);
      const fd = flat(dout);
      const ndb = numericalGradient((bb) => flat(reference.conv2dNaive(x, w, Array.from(bb), t.stride, t.pad)).reduce((s, v, i) => s + v * fd[i], 0), bv);
      const label = JSON.stringify(t);
      assert.ok(allClose(g.dx, ndx, { rtol: 1e-6, atol: 1e-8 }), `dx ${label}: ${relError(g.dx, ndx)}`);
      assert.ok(allClose(g.dw, ndw, { rtol: 1e-6, atol: 1e-8 }), `dw ${label}: ${relError(g.dw, ndw)}`);
      assert.ok(allClose(g.db, Array.from(ndb), { rtol: 1e-6, atol: 1e-8 }), `db ${label}`);
    };
    fixedConvCases.forEach(check);
    fc.assert(fc.property(convCaseArb(7, 3), check), { numRuns: 15 });
  });

  it("rejects a dout of the wrong shape", () => {
    const { x, w } = convData(fixedConvCases[0]);
    assert.throws(() => reference.conv2dBackward(randn4([2, 4, 4, 4], 1), x, w, 2, 1), /dout has shape \[2, 4, 4, 4\]/);
  });
});

describe("reference pooling", () => {
  interface PoolCase {
    n: number;
    h: number;
    w: number;
    c: number;
    size: number;
    stride: number;
    seed: number;
  }
  const poolCaseArb = fc
    .record({
      n: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      c: fc.integer({ min: 1, max: 4 }),
      size: fc.integer({ min: 1, max: 4 }),
      stride: fc.integer({ min: 1, max: 3 }),
      seed: fc.integer({ min: 0, max: 1_000_000 }),
    })
    .filter((t) => t.size <= t.h && t.size <= t.w);
  const fixedPoolCases: PoolCase[] = [
    { n: 2, h: 6, w: 5, c: 3, size: 3, stride: 2, seed: 1 }, // overlapping windows
    { n: 1, h: 8, w: 8, c: 2, size: 2, stride: 3, seed: 2 }, // gaps between windows
    { n: 3, h: 4, w: 7, c: 1, size: 2, stride: 2, seed: 3 },
    { n: 1, h: 5, w: 5, c: 2, size: 1, stride: 2, seed: 4 },
  ];
  const pooledDims = (t: PoolCase): Shape4 => [t.n, Math.floor((t.h - t.size) / t.stride) + 1, Math.floor((t.w - t.size) / t.stride) + 1, t.c];

  it("forward passes match tf.maxPool and tf.avgPool", () => {
    const check = (t: PoolCase) => {
      const x = randn4([t.n, t.h, t.w, t.c], t.seed);
      const [tmax, tavg] = tf.tidy(() => {
        const xt = toTensor4(x);
        return [fromTensor4(tf.maxPool(xt, t.size, t.stride, "valid")), fromTensor4(tf.avgPool(xt, t.size, t.stride, "valid"))];
      });
      assert.deepEqual(dims(tmax), pooledDims(t));
      assertNear(reference.maxPoolForward(x, t.size, t.stride), tmax, `max ${JSON.stringify(t)}`, 1e-6, 1e-6);
      assertNear(reference.avgPoolForward(x, t.size, t.stride), tavg, `avg ${JSON.stringify(t)}`, 1e-5, 1e-5);
    };
    fixedPoolCases.forEach(check);
    fc.assert(fc.property(poolCaseArb, check), { numRuns: 60 });
  });

  it("backward passes match numerical gradients and tf.grad", () => {
    const check = (t: PoolCase) => {
      const x = distinct4([t.n, t.h, t.w, t.c], t.seed);
      const dout = randn4(pooledDims(t), t.seed + 1);
      const label = JSON.stringify(t);
      const dxMax = reference.maxPoolBackward(dout, x, t.size, t.stride);
      const dxAvg = reference.avgPoolBackward(dout, x, t.size, t.stride);
      const nMax = numericalBackward((xx) => reference.maxPoolForward(xx, t.size, t.stride), x, dout);
      const nAvg = numericalBackward((xx) => reference.avgPoolForward(xx, t.size, t.stride), x, dout);
      assert.ok(allClose(dxMax, nMax, { rtol: 1e-6, atol: 1e-8 }), `max ${label}: ${relError(dxMax, nMax)}`);
      assert.ok(allClose(dxAvg, nAvg, { rtol: 1e-6, atol: 1e-8 }), `avg ${label}: ${relError(dxAvg, nAvg)}`);
      const [gMax, gAvg] = tf.tidy(() => {
        const d = toTensor4(dout);
        const xt = toTensor4(x);
        return [
          fromTensor4(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, t.size, t.stride, "valid"), d)))(xt)),
          fromTensor4(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, t.size, t.stride, "valid"), d)))(xt)),
        ];
      });
      assertNear(dxMax, gMax, `tf max ${label}`, 1e-4, 1e-4);
      assertNear(dxAvg, gAvg, `tf avg ${label}`, 1e-4, 1e-4);
    };
    fixedPoolCases.forEach(check);
    fc.assert(fc.property(poolCaseArb, check), { numRuns: 20 });
  });

  it("max pooling sends ties to the first maximum in scan order and accumulates overlaps", () => {
    // window [[3, 5], [5, 1]]: scan order (0,0) (0,1) (1,0) (1,1); the first 5 is at (0,1)
    const x = [
      [
        [[3], [5]],
        [[5], [1]],
      ],
    ];
    assert.deepEqual(reference.maxPoolBackward([[[[2]]]], x, 2, 1), [
      [
        [[0], [2]],
        [[0], [0]],
      ],
    ]);
    // all equal: gradient to the window's top-left element
    assert.deepEqual(
      reference.maxPoolBackward(
        [[[[1.5]]]],
        [
          [
            [[4], [4]],
            [[4], [4]],
          ],
        ],
        2,
        2,
      ),
      [
        [
          [[1.5], [0]],
          [[0], [0]],
        ],
      ],
    );
    // a 3x3 image whose centre is the max of all four overlapping 2x2 windows
    const y = [
      [
        [[0], [1], [0]],
        [[1], [9], [1]],
        [[0], [1], [0]],
      ],
    ];
    const dout = [
      [
        [[1], [2]],
        [[3], [4]],
      ],
    ];
    const dx = reference.maxPoolBackward(dout, y, 2, 1);
    assert.deepEqual(dx, [
      [
        [[0], [0], [0]],
        [[0], [10], [0]],
        [[0], [0], [0]],
      ],
    ]);
    // average pooling spreads 1/4 of each gradient over each window and also accumulates
    assert.deepEqual(reference.avgPoolBackward(dout, y, 2, 1), [
      [
        [[0.25], [0.75], [0.5]],
        [[1], [2.5], [1.5]],
        [[0.75], [1.75], [1]],
      ],
    ]);
  });

  it("rejects windows that do not fit and dout of the wrong shape", () => {
    const x = randn4([1, 3, 5, 1], 1);
    assert.throws(() => reference.maxPoolForward(x, 4, 1), RangeError);
    assert.throws(() => reference.avgPoolForward(x, 2, 0), RangeError);
    assert.throws(() => reference.maxPoolBackward(randn4([1, 2, 2, 1], 2), x, 2, 1), /dout has shape/);
  });
});

describe("flat kernels", () => {
  function naiveMatmul(a: number[][], b: number[][]): number[][] {
    return a.map((row) => b[0].map((_, j) => row.reduce((s, v, p) => s + v * b[p][j], 0)));
  }
  const mat = (rows: number, cols: number, rng: ReturnType<typeof createRng>) =>
    Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal()));
  const T = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));

  it("gemm matches a naive matrix product with every option, including k > block size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 13 }),
        fc.oneof(fc.integer({ min: 1, max: 13 }), fc.integer({ min: 250, max: 600 })),
        fc.integer({ min: 1, max: 13 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 1e6 }),
        (m, k, n, transA, transB, accumulate, seed) => {
          const rng = createRng(seed);
          const A = mat(m, k, rng);
          const B = mat(k, n, rng);
          const C0 = mat(m, n, rng);
          const a = Float64Array.from(flat(transA ? T(A) : A));
          const b = Float32Array.from(flat(transB ? T(B) : B)); // B rounded to float32
          const bUsed = B.map((r) => r.map(Math.fround));
          const c = Float64Array.from(flat(C0));
          gemm(a, b, c, m, k, n, { transA, transB, accumulate });
          const prod = naiveMatmul(A, bUsed);
          const expected = accumulate ? prod.map((r, i) => r.map((v, j) => v + C0[i][j])) : prod;
          assertNear(Array.from(c), flat(expected), `gemm ${m}x${k}x${n}`, 1e-10, 1e-10);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("flat conv, im2col/col2im and max-pool argmax agree with the nested versions", () => {
    fc.assert(
      fc.property(convCaseArb(), (t) => {
        const { x, w, b } = convData(t);
        const xf = Float32Array.from(flat(x));
        const xs: Shape4 = [t.n, t.h, t.w, t.c];
        const wf = Float64Array.from(flat(w));
        const ws: Shape4 = [t.kh, t.kw, t.c, t.cout];
        const xr = x.map((a) => a.map((r) => r.map((p) => p.map(Math.fround)))); // what the Float32Array holds
        const nested = reference.conv2dNaive(xr, w, b, t.stride, t.pad);
        const fast = conv2dForwardFlat(xf, xs, wf, ws, b, t.stride, t.pad);
        assert.deepEqual(fast.shape, outDims(t));
        assert.ok(fast.data instanceof Float64Array);
        assertNear(Array.from(fast.data), flat(nested), "conv2dForwardFlat", 1e-12, 1e-12);
        const noBias = conv2dForwardFlat(xf, xs, wf, ws, null, t.stride, t.pad);
        assertNear(
          Array.from(noBias.data),
          flat(
            reference.conv2dNaive(
              xr,
              w,
              b.map(() => 0),
              t.stride,
              t.pad,
            ),
          ),
          "no bias",
          1e-12,
          1e-12,
        );
        const cols = im2colFlat(xf, xs, t.kh, t.kw, t.stride, t.pad);
        assert.deepEqual(Array.from(cols.data), flat(reference.im2col(xr, t.kh, t.kw, t.stride, t.pad)));
        const back = col2imFlat(cols.data, xs, t.kh, t.kw, t.stride, t.pad);
        assert.deepEqual(Array.from(back), flat(reference.col2im(reference.im2col(xr, t.kh, t.kw, t.stride, t.pad), xs, t.kh, t.kw, t.stride, t.pad)));
        const dout = randn4(outDims(t), t.seed + 4);
        const g = conv2dBackwardFlat(Float64Array.from(flat(dout)), xf, xs, wf, ws, t.stride, t.pad);
        const gn = reference.conv2dBackward(dout, xr, w, t.stride, t.pad);
        assertNear(Array.from(g.dx), flat(gn.dx), "flat dx", 1e-12, 1e-12);
        assertNear(Array.from(g.dw), flat(gn.dw), "flat dw", 1e-12, 1e-12);
      }),
      { numRuns: 30 },
    );
    const x = distinct4([2, 5, 6, 3], 7);
    const r = maxPoolForwardFlat(Float64Array.from(flat(x)), [2, 5, 6, 3], 2, 2);
    const xflat = flat(x);
    r.argmax.forEach((idx, i) => assert.equal(xflat[idx], r.data[i]));
  });

  it("transposeFlat transposes a row-major matrix", () => {
    assert.deepEqual(Array.from(transposeFlat([1, 2, 3, 4, 5, 6], 2, 3)), [1, 4, 2, 5, 3, 6]);
    const rng = createRng(4);
    const a = mat(37, 45, rng); // larger than one 32x32 tile in both directions
    assert.deepEqual(Array.from(transposeFlat(flat(a), 37, 45)), flat(T(a)));
  });

  it("flat kernels reject data that does not fill the shape", () => {
    assert.throws(() => conv2dForwardFlat(new Float64Array(10), [1, 3, 3, 1], new Float64Array(4), [2, 2, 1, 1], null, 1, 0), RangeError);
    assert.throws(() => gemm(new Float64Array(5), new Float64Array(6), new Float64Array(4), 2, 3, 2), RangeError);
  });
});

describe("tf-convert", () => {
  it("round-trips nested arrays through tf tensors (float32)", () => {
    const x = randn4([2, 3, 4, 5], 11);
    const t = toTensor4(x);
    assert.deepEqual(t.shape, [2, 3, 4, 5]);
    assert.equal(t.dtype, "float32");
    const back = fromTensor4(t);
    t.dispose();
    assert.deepEqual(
      back,
      x.map((a) => a.map((r) => r.map((p) => p.map(Math.fround)))),
    );
    assert.throws(() => fromTensor4(tf.zeros([2, 3])), RangeError);
    assert.throws(() => toTensor4([[[1, 2]]] as unknown as Tensor4), RangeError);
  });
});

describe("numericalGradient4 on a convolution's weights", () => {
  it("recovers dw for a loss that is a sum of squares of the output", () => {
    const t = fixedConvCases[0];
    const { x, w, b } = convData(t);
    const loss = (ww: Tensor4) => flat(reference.conv2dForward(x, ww, b, t.stride, t.pad)).reduce((s, v) => s + v * v, 0);
    const out = reference.conv2dForward(x, w, b, t.stride, t.pad);
    const dout = out.map((a) => a.map((r) => r.map((p) => p.map((v) => 2 * v))));
    const analytic = reference.conv2dBackward(dout, x, w, t.stride, t.pad).dw;
    const numeric = numericalGradient4(loss, w);
    assert.ok(allClose(analytic, numeric, { rtol: 1e-6, atol: 1e-8 }), String(relError(analytic, numeric)));
  });
});
