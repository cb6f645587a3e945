/**
 * tensor.ts: validation of untrusted nested arrays, flat conversions, relError / allClose, and the
 * learner-facing messages of compareArrays.
 */
import assert from "node:assert/strict";
import * as fc from "fast-check";
import {
  NestedNumbers,
  Shape4,
  Tensor4,
  allClose,
  compareArrays,
  flatten4,
  previewValue,
  map4,
  randn4,
  relError,
  shape4,
  shapeOf,
  unflatten4,
  zeros4,
} from "@course-kit/kernel-helpers";

const shapeArb = fc.tuple(
  fc.integer({ min: 1, max: 4 }),
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 5 }),
  fc.integer({ min: 1, max: 4 }),
) as fc.Arbitrary<Shape4>;

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("shape4 / shapeOf", () => {
  it("returns the shape of rectangular 4-D arrays", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const t = randn4(shape, seed);
        assert.deepEqual(shape4(t), shape);
        assert.deepEqual(shapeOf(t), shape);
      }),
    );
  });

  it("names the first ragged entry, with a TypeError", () => {
    const x = zeros4([1, 2, 4, 2]);
    x[0][1].pop();
    assert.throws(
      () => shape4(x, "x"),
      (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.equal(e.message, "x must be a 4-D array; x[0][1] has 3 entries but x[0][0] has 4");
        return true;
      },
    );
    const y = zeros4([2, 2, 2, 3]);
    y[1][0][1] = [0, 0];
    assert.throws(() => shape4(y, "y"), /y\[1\]\[0\]\[1\] has 2 entries but y\[0\]\[0\]\[0\] has 3/);
    assert.equal(shapeOf(x), undefined);
  });

  it("rejects non-arrays, wrong depths, non-numbers and empty dimensions", () => {
    assert.throws(() => shape4(3, "x"), /^TypeError: x must be a 4-D array, got a number$/);
    assert.throws(() => shape4(undefined, "x"), TypeError);
    assert.throws(() => shape4("abc", "x"), TypeError);
    assert.throws(
      () => shape4([[[1, 2]]], "x"),
      (e: unknown) => e instanceof RangeError && /3-D array of shape \[1, 1, 2\]/.test(e.message),
    );
    assert.throws(() => shape4([[[[[1]]]]], "x"), RangeError);
    assert.throws(
      () => shape4([[[["1"]]]], "x"),
      (e: unknown) => e instanceof TypeError && /x\[0\]\[0\]\[0\]\[0\] is a string/.test(e.message),
    );
    assert.throws(() => shape4([[[[1], 2]]], "x"), /x\[0\]\[0\]\[1\] is a number but x\[0\]\[0\]\[0\] is an array/);
    assert.throws(() => shape4([[[[1, null]]]], "x"), /x\[0\]\[0\]\[0\]\[1\] is null/);
    assert.throws(() => shape4([[[[]]]], "x"), RangeError);
    assert.throws(() => shape4([], "x"), RangeError);
    assert.throws(() => shape4({ length: 1, 0: 1 }, "x"), TypeError);
  });

  it("shapeOf handles numbers, any depth, typed arrays and garbage", () => {
    assert.deepEqual(shapeOf(2.5), []);
    assert.deepEqual(shapeOf(NaN), []);
    assert.deepEqual(shapeOf([1, 2, 3]), [3]);
    assert.deepEqual(
      shapeOf([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      [2, 3],
    );
    assert.deepEqual(shapeOf([]), [0]);
    assert.deepEqual(shapeOf([Float32Array.of(1, 2), Float64Array.of(3, 4)]), [2, 2]);
    assert.equal(shapeOf([[1, 2], [3]]), undefined);
    assert.equal(shapeOf([1, [2]]), undefined);
    assert.equal(shapeOf([1, "2"]), undefined);
    assert.equal(shapeOf("12"), undefined);
    assert.equal(shapeOf(null), undefined);
    assert.equal(shapeOf({}), undefined);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    assert.equal(shapeOf(cyclic), undefined);
    assert.match(compareArrays(cyclic, [1]).message, /nested more than 32 levels/);
  });
});

describe("zeros4 / flatten4 / unflatten4 / map4", () => {
  it("zeros4 builds independent rows of zeros", () => {
    const z = zeros4([2, 3, 1, 2]);
    assert.deepEqual(z, [
      [[[0, 0]], [[0, 0]], [[0, 0]]],
      [[[0, 0]], [[0, 0]], [[0, 0]]],
    ]);
    z[0][0][0][0] = 1;
    assert.equal(z[1][0][0][0], 0);
    assert.equal(z[0][1][0][0], 0);
  });

  it("flatten4 is row-major (C order)", () => {
    const t = [
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
    ];
    const f = flatten4(t);
    assert.deepEqual(f.shape, [1, 2, 2, 2]);
    assert.ok(f.data instanceof Float64Array);
    assert.deepEqual(Array.from(f.data), [1, 2, 3, 4, 5, 6, 7, 8]);
    // element [n][h][w][c] sits at ((n*H + h)*W + w)*C + c
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const x = randn4(shape, seed);
        const { data } = flatten4(x);
        const [, H, W, C] = shape;
        map4(x, (v, n, h, w, c) => {
          assert.equal(data[((n * H + h) * W + w) * C + c], v);
          return v;
        });
      }),
      { numRuns: 30 },
    );
  });

  it("unflatten4 inverts flatten4 and checks the length", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), (shape, seed) => {
        const x = randn4(shape, seed);
        const { data } = flatten4(x);
        assert.deepEqual(unflatten4(data, shape), x);
        assert.deepEqual(unflatten4(Array.from(data), shape), x);
      }),
      { numRuns: 30 },
    );
    assert.throws(() => unflatten4(new Float64Array(5), [1, 2, 3, 1]), RangeError);
    assert.ok(Array.isArray(unflatten4(new Float32Array(2), [1, 1, 1, 2])[0][0][0]));
  });

  it("map4 passes values and indices and returns a new array", () => {
    const x = [[[[1, 2]], [[3, 4]]]];
    const y = map4(x, (v, n, h, w, c) => v * 10 + n * 1000 + h * 100 + w * 7 + c);
    assert.deepEqual(y, [[[[10, 21]], [[130, 141]]]]);
    assert.deepEqual(x, [[[[1, 2]], [[3, 4]]]]);
  });
});

describe("relError", () => {
  it("is max |a-b| / max(1e-8, |a|+|b|) over elements", () => {
    assert.equal(relError(1, 3), 0.5);
    assert.equal(relError([1, 2], [1, 2]), 0);
    assert.equal(relError([0, 0], [0, 0]), 0);
    assert.equal(relError([[1, -1]], [[1, 1]]), 1);
    assert.equal(relError([1, 10], [1, 12]), 2 / 22);
    // tiny values use the 1e-8 floor instead of |a|+|b|
    assert.ok(Math.abs(relError(1e-9, 0) - 0.1) < 1e-15);
    assert.ok(Math.abs(relError([0, 3e-10], [0, 1e-10]) - 0.02) < 1e-15);
  });

  it("is symmetric, zero on equal inputs, and at most 1", () => {
    const arr = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        const n = Math.min(a.length, b.length);
        const x = a.slice(0, n);
        const y = b.slice(0, n);
        assert.equal(relError(x, y), relError(y, x));
        assert.equal(relError(x, x), 0);
        assert.ok(relError(x, y) <= 1);
      }),
    );
  });

  it("throws on shape mismatch and gives NaN for NaN inputs", () => {
    assert.throws(() => relError([1, 2], [1, 2, 3]), RangeError);
    assert.throws(() => relError([[1, 2]], [1, 2]), RangeError);
    assert.ok(Number.isNaN(relError([1, NaN], [1, 2])));
  });
});

describe("allClose", () => {
  it("uses numpy's |a-b| <= atol + rtol*|b| with defaults rtol 1e-5, atol 1e-8", () => {
    assert.equal(allClose([1, 2], [1, 2]), true);
    assert.equal(allClose(0, 9e-9), true); // within atol
    assert.equal(allClose(0, 2e-8), false);
    assert.equal(allClose(100.0009, 100), true); // 9e-4 <= 1e-8 + 1e-3
    assert.equal(allClose(100.0011, 100), false);
    assert.equal(allClose(100.0011, 100, { rtol: 1e-4 }), true);
    assert.equal(allClose(0.5, 0, { atol: 0.5 }), true);
    assert.equal(allClose(0.5, 0, { atol: 0.49 }), false);
    // asymmetric like numpy: the tolerance scales with |b|
    assert.equal(allClose(1, 2, { rtol: 0.5, atol: 0 }), true);
    assert.equal(allClose(2, 1, { rtol: 0.5, atol: 0 }), false);
  });

  it("handles NaN, infinities and shape mismatches", () => {
    assert.equal(allClose([NaN], [NaN]), false);
    assert.equal(allClose([1, NaN], [1, 1]), false);
    assert.equal(allClose([Infinity, -Infinity], [Infinity, -Infinity]), true);
    assert.equal(allClose([Infinity], [-Infinity]), false);
    assert.equal(allClose([1, 2], [1, 2, 3]), false);
    assert.equal(allClose([[1, 2]], [1, 2]), false);
  });

  it("accepts every small perturbation within rtol and rejects larger ones", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 0.99, noNaN: true }), (b, frac) => {
        const rtol = 1e-3;
        assert.equal(allClose(b * (1 + rtol * frac), b, { rtol, atol: 0 }), true);
        assert.equal(allClose(b * (1 + rtol * (1.01 + frac)), b, { rtol, atol: 0 }), false);
      }),
    );
  });
});

describe("compareArrays", () => {
  const expected = randn4([2, 5, 5, 3], 42);

  it("passes identical and nearly identical results, reporting the max relative error", () => {
    const ok = compareArrays(clone(expected), expected);
    assert.equal(ok.ok, true);
    assert.equal(ok.maxRelError, 0);
    assert.equal(ok.message, "max relative error 0");
    const near = clone(expected);
    near[1][2][3][1] *= 1 + 4e-7;
    const r = compareArrays(near, expected);
    assert.equal(r.ok, true);
    assert.match(r.message, /^max relative error 2\.0e-7$/);
    assert.deepEqual(r.where, [1, 2, 3, 1]);
  });

  it("reports the largest relative error with its index and both values", () => {
    const bad = clone(expected);
    bad[0][2][1][0] = 0.193;
    const e = expected[0][2][1][0];
    const r = compareArrays(bad, expected);
    assert.equal(r.ok, false);
    assert.deepEqual(r.where, [0, 2, 1, 0]);
    assert.equal(r.expected, e);
    assert.equal(r.actual, 0.193);
    const rel = Math.abs(e - 0.193) / (Math.abs(e) + 0.193);
    assert.equal(r.maxRelError, rel);
    assert.equal(r.message, `largest relative error ${rel.toExponential(1)} at [0][2][1][0]: expected ${Number(e.toPrecision(3))}, got 0.193`);
  });

  it("locates the worst element anywhere, and its error equals relError", () => {
    fc.assert(
      fc.property(shapeArb, fc.integer(), fc.nat(), fc.double({ min: 1e-3, max: 10, noNaN: true }), (shape, seed, pick, scale) => {
        const exp = randn4(shape, seed);
        const act = clone(exp);
        const size = shape.reduce((p, d) => p * d, 1);
        const i = pick % size;
        const idx = [
          Math.floor(i / (shape[1] * shape[2] * shape[3])),
          Math.floor(i / (shape[2] * shape[3])) % shape[1],
          Math.floor(i / shape[3]) % shape[2],
          i % shape[3],
        ];
        act[idx[0]][idx[1]][idx[2]][idx[3]] += scale;
        const r = compareArrays(act, exp);
        assert.equal(r.ok, false);
        assert.deepEqual(r.where, idx);
        assert.equal(r.maxRelError, relError(act, exp));
        assert.ok(r.message.includes(`at [${idx.join("][")}]`), r.message);
      }),
      { numRuns: 50 },
    );
  });

  it("shows enough digits to tell close values apart", () => {
    const r = compareArrays([1.0001], [1.0002]);
    assert.equal(r.ok, false);
    assert.match(r.message, /expected 1\.0002, got 1\.0001$/);
  });

  it("respects the tolerance option", () => {
    const act = [1, 2, 3.003];
    assert.equal(compareArrays(act, [1, 2, 3]).ok, false);
    assert.equal(compareArrays(act, [1, 2, 3], { tolerance: 1e-3 }).ok, true);
    assert.equal(compareArrays(act, [1, 2, 3], { tolerance: 4e-4 }).ok, false);
  });

  it("explains values that are not arrays, showing the value", () => {
    assert.equal(compareArrays(3, expected).message, "expected an array of shape [2, 5, 5, 3], got 3");
    assert.equal(compareArrays(undefined, expected).message, "expected an array of shape [2, 5, 5, 3], got undefined");
    assert.equal(compareArrays(null, expected).message, "expected an array of shape [2, 5, 5, 3], got null");
    assert.equal(compareArrays("[1,2]", [1, 2]).message, 'expected an array of shape [2], got "[1,2]"');
    assert.equal(compareArrays({ a: 1 }, [1, 2]).message, "expected an array of shape [2], got { a: 1 }");
    assert.equal(compareArrays([1], 1).message, "expected a number, got [1]");
    for (const v of [3, undefined, null, "x", {}, true]) assert.equal(compareArrays(v, expected).ok, false);
  });

  it("reports shape mismatches", () => {
    const r = compareArrays(randn4([2, 4, 4, 3], 1), expected);
    assert.equal(r.ok, false);
    assert.equal(r.message, "shape mismatch: expected [2, 5, 5, 3], got [2, 4, 4, 3]");
    assert.equal(compareArrays([[1, 2, 3]], [1, 2, 3]).message, "shape mismatch: expected [3], got [1, 3]");
    assert.equal(compareArrays([], [1]).message, "shape mismatch: expected [1], got [0]");
  });

  it("reports ragged arrays and non-number elements", () => {
    const ragged = clone(expected);
    ragged[1][3].pop();
    const r = compareArrays(ragged, expected);
    assert.equal(r.ok, false);
    assert.match(r.message, /x\[1\]\[3\] has 4 entries but x\[0\]\[0\] has 5/);
    assert.deepEqual(r.where, [1, 3]);
    const withString = clone(expected) as unknown as unknown[][][][];
    withString[0][1][2][1] = "0.5";
    assert.match(compareArrays(withString, expected).message, /x\[0\]\[1\]\[2\]\[1\] is a string \("0\.5"\), expected a number/);
    const withNull = clone(expected) as unknown as unknown[][][][];
    withNull[1][0][0][2] = null;
    assert.match(compareArrays(withNull, expected).message, /x\[1\]\[0\]\[0\]\[2\] is null, expected a number/);
    assert.match(compareArrays([1, [2]], [1, 2], { name: "out" }).message, /out\[1\] is an array but out\[0\] is a number/);
  });

  it("reports NaN and Infinity before comparing values", () => {
    const nan = clone(expected);
    nan[0][2][1][0] = NaN;
    nan[1][1][1][1] += 100; // a larger error later must not hide the NaN
    const r = compareArrays(nan, expected);
    assert.equal(r.ok, false);
    assert.match(r.message, /^x\[0\]\[2\]\[1\]\[0\] is NaN/);
    assert.deepEqual(r.where, [0, 2, 1, 0]);
    const inf = clone(expected);
    inf[1][4][4][2] = -Infinity;
    assert.match(compareArrays(inf, expected).message, /^x\[1\]\[4\]\[4\]\[2\] is -Infinity/);
    // NaN survives JSON as null: that case is reported as null (see above); typed arrays keep NaN
    assert.match(compareArrays([Float64Array.of(1, NaN)], [[1, 2]]).message, /x\[0\]\[1\] is NaN/);
    // matching non-finite expectations are fine
    assert.equal(compareArrays([Infinity, NaN], [Infinity, NaN]).ok, true);
    assert.equal(compareArrays([1], [Infinity]).ok, false);
  });

  it("compares scalars and accepts typed-array rows", () => {
    assert.equal(compareArrays(2, 2).ok, true);
    assert.match(compareArrays(2.5, 2).message, /^largest relative error 1\.1e-1: expected 2, got 2\.5$/);
    const rows = expected.map((a) => a.map((b) => b.map((c) => Float64Array.from(c))));
    assert.equal(compareArrays(rows, expected).ok, true);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const r = compareArrays(v, [
          [1, 2],
          [3, 4],
        ]);
        assert.equal(typeof r.message, "string");
        assert.ok(r.message.length > 0 && r.message.length < 200, r.message);
        assert.equal(r.ok, false);
      }),
    );
  });
});

// Tensor4 type stays the plain nested array type.
const _typeCheck: Tensor4 = [[[[1]]]];
const _nested: NestedNumbers = _typeCheck;
void _nested;

describe("previewValue: a learner's value in a message", () => {
  it("prints numbers, strings and other scalars as JavaScript does", () => {
    assert.equal(previewValue(54.25), "54.25");
    assert.equal(previewValue(-0), "-0");
    assert.equal(previewValue(NaN), "NaN");
    assert.equal(previewValue(-Infinity), "-Infinity");
    assert.equal(previewValue("55"), '"55"');
    assert.equal(previewValue(true), "true");
    assert.equal(previewValue(undefined), "undefined");
    assert.equal(previewValue(null), "null");
    assert.equal(previewValue(2n), "2n");
    assert.equal(
      previewValue(() => 1),
      "a function",
    );
  });

  it("prints short arrays and objects whole, typed arrays with their type, instances by class", () => {
    assert.equal(previewValue([1, 2, 3]), "[1, 2, 3]");
    assert.equal(
      previewValue([
        [1, 2],
        [3, 4],
      ]),
      "[[1, 2], [3, 4]]",
    );
    assert.equal(previewValue({ dx: [[1]], db: [0.5, -1] }), "{ dx: [[1]], db: [0.5, -1] }");
    assert.equal(previewValue({ "a-b": 1 }), '{ "a-b": 1 }');
    assert.equal(previewValue(Float32Array.of(1, 2)), "Float32Array [1, 2]");
    assert.equal(previewValue(new Map()), "a Map object");
    assert.equal(previewValue([]), "[]");
    assert.equal(previewValue({}), "{}");
  });

  it("cuts long values after whole entries and says their shape or length", () => {
    const row = Array.from({ length: 100 }, (_, i) => i);
    assert.equal(previewValue(row), "[0, 1, 2, 3, 4, 5, …] (shape [100])");
    const image = Array.from({ length: 28 }, () => new Array<number>(28).fill(0.5));
    const shown = previewValue(image);
    assert.ok(shown.endsWith(" (shape [28, 28])"), shown);
    assert.ok(shown.length <= 80, shown);
    assert.ok(!/\d…/.test(shown), `cut inside a number: ${shown}`);
    assert.equal(previewValue([["a"], [1, 2], 3, 4, 5, 6, 7]), '[["a"], [1, 2], 3, 4, 5, 6, …] (length 7)');
    assert.equal(previewValue("x".repeat(100)), `"${"x".repeat(40)}…"`);
  });

  it("terminates on cycles and never throws", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    assert.match(previewValue(cyclic), /^\[\[\[\[/);
    const throwing = {
      get x(): number {
        throw new Error("boom");
      },
    };
    assert.equal(previewValue(throwing), "an object");
    const proxy = new Proxy([], {
      get() {
        throw new Error("trap");
      },
    });
    assert.equal(previewValue(proxy), "an array");
  });
});
