/**
 * gradcheck.ts: central differences in float64 against gradients known in closed form.
 */
import assert from "node:assert/strict";
import * as fc from "fast-check";
import {
  Tensor4,
  allClose,
  compareArrays,
  createRng,
  numericalBackward,
  numericalGradient,
  numericalGradient4,
  randn4,
  relError,
  reference,
} from "@course-kit/kernel-helpers";

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function assertAbsClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

describe("numericalGradient", () => {
  it("matches closed-form gradients of smooth functions", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer(), (n, seed) => {
        const rng = createRng(seed);
        const x = Float64Array.from({ length: n }, () => rng.normal());
        // f(x) = sum x_i sin(x_i) + (sum x_i)^2 / 2
        const f = (v: Float64Array) => {
          let s = 0;
          let t = 0;
          for (const xi of v) {
            s += xi * Math.sin(xi);
            t += xi;
          }
          return s + (t * t) / 2;
        };
        const sum = x.reduce((p, v) => p + v, 0);
        const exact = Array.from(x, (xi) => Math.sin(xi) + xi * Math.cos(xi) + sum);
        assertAbsClose(numericalGradient(f, x), exact, 1e-8, "grad");
      }),
      { numRuns: 50 },
    );
  });

  it("is exact up to rounding for quadratics: gradient of x^T A x / 2 is (A + A^T) x / 2", () => {
    const rng = createRng(3);
    const n = 6;
    const A = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const f = (v: Float64Array) => {
      let s = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += v[i] * A[i][j] * v[j];
      return s / 2;
    };
    const exact = Array.from({ length: n }, (_, i) => A[i].reduce((s, _a, j) => s + ((A[i][j] + A[j][i]) / 2) * x[j], 0));
    assertAbsClose(numericalGradient(f, x), exact, 1e-9, "quadratic");
  });

  it("uses the step h: for x^3 at 1 the central difference is 3 + h^2", () => {
    const f = (v: Float64Array) => v[0] ** 3;
    assert.ok(Math.abs(numericalGradient(f, Float64Array.of(1), 0.1)[0] - 3.01) < 1e-12);
    assert.ok(Math.abs(numericalGradient(f, Float64Array.of(1))[0] - 3) < 1e-8);
    assert.throws(() => numericalGradient(f, Float64Array.of(1), 0), RangeError);
  });

  it("evaluates at x_i + h and x_i - h and restores x, even when f throws", () => {
    const x = Float64Array.of(0.5, -2, 3);
    const seen: number[][] = [];
    numericalGradient(
      (v) => {
        seen.push(Array.from(v));
        return 0;
      },
      x,
      0.25,
    );
    assert.deepEqual(seen, [
      [0.75, -2, 3],
      [0.25, -2, 3],
      [0.5, -1.75, 3],
      [0.5, -2.25, 3],
      [0.5, -2, 3.25],
      [0.5, -2, 2.75],
    ]);
    assert.deepEqual(Array.from(x), [0.5, -2, 3]);
    let calls = 0;
    assert.throws(
      () =>
        numericalGradient(() => {
          if (++calls === 4) throw new Error("boom");
          return 1;
        }, x),
      /boom/,
    );
    assert.deepEqual(Array.from(x), [0.5, -2, 3]);
  });
});

describe("numericalGradient4", () => {
  it("recovers the coefficients of a linear function and leaves x untouched", () => {
    const x = randn4([2, 3, 2, 2], 1);
    const c = randn4([2, 3, 2, 2], 2);
    const before = clone(x);
    let sawCallerArray = false;
    const g = numericalGradient4((v) => {
      if (v === x) sawCallerArray = true;
      let s = 0;
      v.forEach((a, n) => a.forEach((b, h) => b.forEach((d, w) => d.forEach((val, ch) => (s += val * c[n][h][w][ch])))));
      return s;
    }, x);
    assert.equal(sawCallerArray, false);
    assert.deepEqual(x, before);
    assert.ok(relError(g, c) < 1e-8, String(relError(g, c)));
  });

  it("validates its input", () => {
    assert.throws(() => numericalGradient4(() => 0, [[[1]]] as unknown as Tensor4), RangeError);
    assert.throws(() => numericalGradient4(() => 0, [[[[1]]]], -1), RangeError);
  });
});

describe("numericalBackward", () => {
  it("is the gradient of sum(forward(x) * dout) for an elementwise square", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const x = randn4([2, 3, 3, 2], seed);
        const dout = randn4([2, 3, 3, 2], seed + 1);
        const g = numericalBackward((v) => v.map((a) => a.map((b) => b.map((d) => d.map((t) => t * t)))), x, dout);
        const exact = x.map((a, n) => a.map((b, h) => b.map((d, w) => d.map((t, ch) => 2 * t * dout[n][h][w][ch]))));
        // Relative error is meaningless where t * dout is near 0, so compare like numpy's allclose.
        assert.ok(allClose(g, exact, { rtol: 1e-6, atol: 1e-8 }), String(relError(g, exact)));
      }),
      { numRuns: 20 },
    );
  });

  it("allows outputs of another rank (a channel sum gives dout broadcast over channels)", () => {
    const x = randn4([1, 2, 3, 4], 5);
    const dout = [
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ];
    const g = numericalBackward((v) => v.map((a) => a.map((b) => b.map((d) => d.reduce((s, t) => s + t, 0)))), x, dout);
    const exact = x.map((a, n) => a.map((b, h) => b.map((d, w) => d.map(() => dout[n][h][w]))));
    assert.ok(relError(g, exact) < 1e-8);
  });

  it("throws when forward(x) and dout differ in shape", () => {
    const x = randn4([1, 2, 2, 1], 1);
    assert.throws(() => numericalBackward((v) => v, x, [[1, 2]]), /forward\(x\) has shape \[1, 2, 2, 1\] but dout has shape \[1, 2\]/);
  });

  it("exposes a wrong backward pass (max pooling with the gradient split evenly)", () => {
    const x = randn4([1, 4, 4, 2], 8);
    const dout = randn4([1, 2, 2, 2], 9);
    const numeric = numericalBackward((v) => reference.maxPoolForward(v, 2, 2), x, dout);
    const right = reference.maxPoolBackward(dout, x, 2, 2);
    const wrong = reference.avgPoolBackward(dout, x, 2, 2);
    assert.equal(compareArrays(right, numeric).ok, true, compareArrays(right, numeric).message);
    const r = compareArrays(wrong, numeric);
    assert.equal(r.ok, false);
    assert.match(r.message, /^largest relative error/);
  });
});
