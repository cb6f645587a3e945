/**
 * Numerical gradients by central differences in float64, for checking hand-written backward
 * passes: df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h).
 */
import { NestedNumbers, Tensor4, clone4, flattenNested, formatShape, shape4 } from "./tensor";

/** Central-difference gradient of a scalar function of a flat vector. `x` is restored afterwards. */
export function numericalGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  if (!(h > 0)) throw new RangeError(`numericalGradient: h must be positive, got ${h}`);
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const old = x[i];
    try {
      x[i] = old + h;
      const fp = f(x);
      x[i] = old - h;
      const fm = f(x);
      grad[i] = (fp - fm) / (2 * h);
    } finally {
      x[i] = old;
    }
  }
  return grad;
}

/**
 * Central-difference gradient of a scalar function of a 4-D nested array. `f` receives a private
 * copy of `x` (so the caller's array is never touched, even transiently).
 */
export function numericalGradient4(f: (x: Tensor4) => number, x: Tensor4, h = 1e-5): Tensor4 {
  if (!(h > 0)) throw new RangeError(`numericalGradient4: h must be positive, got ${h}`);
  shape4(x, "x");
  const xs = clone4(x);
  const grad = xs.map((a) => a.map((b) => b.map((c) => new Array<number>(c.length).fill(0))));
  for (let n = 0; n < xs.length; n++)
    for (let i = 0; i < xs[n].length; i++)
      for (let j = 0; j < xs[n][i].length; j++) {
        const row = xs[n][i][j];
        for (let c = 0; c < row.length; c++) {
          const old = row[c];
          try {
            row[c] = old + h;
            const fp = f(xs);
            row[c] = old - h;
            const fm = f(xs);
            grad[n][i][j][c] = (fp - fm) / (2 * h);
          } finally {
            row[c] = old;
          }
        }
      }
  return grad;
}

/**
 * Numerical gradient with respect to x of sum(forward(x) * dout): what a layer's backward pass
 * should return for upstream gradient `dout`. Throws if forward(x) and dout differ in shape.
 */
export function numericalBackward(forward: (x: Tensor4) => NestedNumbers, x: Tensor4, dout: NestedNumbers, h = 1e-5): Tensor4 {
  const d = flattenNested(dout, "dout");
  return numericalGradient4(
    (xs) => {
      const y = flattenNested(forward(xs), "forward(x)");
      if (y.shape.length !== d.shape.length || y.shape.some((s, i) => s !== d.shape[i])) {
        throw new RangeError(`numericalBackward: forward(x) has shape ${formatShape(y.shape)} but dout has shape ${formatShape(d.shape)}`);
      }
      let s = 0;
      for (let i = 0; i < y.data.length; i++) s += y.data[i] * d.data[i];
      return s;
    },
    x,
    h,
  );
}
