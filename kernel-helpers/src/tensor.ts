/**
 * The exercise tensor types: plain nested arrays, so a learner can index x[n][h][w][c].
 *
 * This file must stay dependency-free (no tfjs, no Node modules; only the message catalogue): the
 * grading sandbox loads it to validate and compare learner results. Messages about a learner's
 * value are in English unless a `lang` is given.
 */
import { Language, message } from "./messages";

/** An NHWC batch, the layout `tf.conv2d` uses: x[n][h][w][c]. */
export type Tensor4 = number[][][][];
/** A convolution filter bank: w[kh][kw][cin][cout]. */
export type Filter4 = number[][][][];
export type Shape4 = [number, number, number, number];

/** A number or an arbitrarily nested array of numbers. */
export type NestedNumbers = number | NestedNumbers[];

// ---------------------------------------------------------------------------------------------
// Inspecting untrusted nested arrays
// ---------------------------------------------------------------------------------------------

/** A short description of a value's kind for messages: "a number", "a string", "null", ... */
export function describeValue(v: unknown, lang: Language = "en"): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return message(lang, "value.arrayOfLength", { length: v.length });
  if (ArrayBuffer.isView(v)) return message(lang, "value.typedArray", { type: v.constructor.name });
  switch (typeof v) {
    case "number":
      return Number.isNaN(v) ? "NaN" : message(lang, "value.number");
    case "string":
      return message(lang, "value.string");
    case "boolean":
      return message(lang, "value.boolean");
    case "bigint":
      return message(lang, "value.bigint");
    case "function":
      return message(lang, "value.function");
    case "symbol":
      return message(lang, "value.symbol");
    default:
      return message(lang, "value.object");
  }
}

/** Longest preview of a learner's value in a message (a check table's cell stays readable). */
const PREVIEW_CHARS = 60;
/** Entries per array and keys per object shown in a preview, and how deep it looks. */
const PREVIEW_ITEMS = 6;
const PREVIEW_DEPTH = 4;

/** A number as JavaScript prints it (54.25, -0.5, NaN, Infinity). */
function numberText(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

function previewInner(v: unknown, depth: number, lang: Language): string {
  if (typeof v === "number") return numberText(v);
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null || v === undefined || typeof v === "boolean") return String(v);
  if (typeof v !== "object") return describeValue(v, lang); // function, symbol
  if (depth >= PREVIEW_DEPTH) return Array.isArray(v) ? "[…]" : "{…}";
  if (Array.isArray(v) || isNumericTypedArray(v)) {
    const items = Array.from({ length: Math.min(v.length, PREVIEW_ITEMS) }, (_, i) => previewInner((v as ArrayLike<unknown>)[i], depth + 1, lang));
    if (v.length > PREVIEW_ITEMS) items.push("…");
    const body = `[${items.join(", ")}]`;
    return Array.isArray(v) ? body : `${Object.prototype.toString.call(v).slice(8, -1)} ${body}`;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    // A class instance (a tf.Tensor, a Map, ...): its name says more than its fields.
    const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" && name !== "Object" ? message(lang, "value.instance", { type: name }) : message(lang, "value.object");
  }
  const keys = Object.keys(v);
  const entries = keys
    .slice(0, PREVIEW_ITEMS)
    .map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${previewInner((v as Record<string, unknown>)[k], depth + 1, lang)}`);
  if (keys.length > PREVIEW_ITEMS) entries.push("…");
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

/**
 * A short rendering of a learner's value for messages, so that a check can say what it got:
 * `54.25`, `"55"`, `[1, 2, 3]`, `{ dx: [[0.5, …]], db: [0.1] }`, `a Tensor object`. Long values
 * are cut with "…" at about 60 characters; an array that was cut also gets its shape or length
 * (`[[0, 0, …], …] (shape [2, 28])`). Never throws (a value whose getters throw is described by
 * its kind instead).
 */
export function previewValue(v: unknown, lang: Language = "en"): string {
  try {
    const text = previewInner(v, 0, lang);
    // Cut after a whole entry where there is one, not inside a number.
    const entryEnd = text.lastIndexOf(", ", PREVIEW_CHARS - 2);
    const cut = text.length <= PREVIEW_CHARS ? text : `${text.slice(0, entryEnd > PREVIEW_CHARS / 3 ? entryEnd + 2 : PREVIEW_CHARS - 1)}…`;
    if (cut === text && !text.includes("…")) return text;
    if (!Array.isArray(v)) return cut;
    const ins = inspectNested(v);
    return ins.ok
      ? message(lang, "preview.shape", { preview: cut, shape: formatShape(ins.shape) })
      : message(lang, "preview.length", { preview: cut, length: v.length });
  } catch {
    // Only objects can throw here (getters, proxies); say what kind without touching it again.
    return message(lang, Array.isArray(v) ? "value.array" : "value.object");
  }
}

function isNumericTypedArray(v: unknown): v is ArrayLike<number> {
  if (!ArrayBuffer.isView(v)) return false;
  // The tag check also works for typed arrays made in another realm (a vm context).
  const tag = Object.prototype.toString.call(v);
  return tag !== "[object DataView]" && tag !== "[object BigInt64Array]" && tag !== "[object BigUint64Array]";
}

/** Arrays and numeric typed arrays count as arrays (a Float32Array row is fine for a learner). */
function isArrayLikeNode(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || isNumericTypedArray(v);
}

function indexPath(path: readonly number[]): string {
  return path.map((i) => `[${i}]`).join("");
}

export type Inspection = { ok: true; shape: number[] } | { ok: false; message: string; where: number[] };

/**
 * Walks an untrusted value and reports its shape if it is a rectangular nested array of numbers
 * (a bare number has shape []), or a short message naming the first offending element.
 * `name` is used in messages, e.g. "x[0][1] has 3 entries but x[0][0] has 4".
 */
export function inspectNested(t: unknown, name = "x", lang: Language = "en"): Inspection {
  if (typeof t === "number") return { ok: true, shape: [] };
  if (!isArrayLikeNode(t)) {
    return { ok: false, message: message(lang, "nested.notArray", { name, kind: describeValue(t, lang) }), where: [] };
  }
  // The shape implied by the first element at every depth.
  const shape: number[] = [];
  let cur: unknown = t;
  while (isArrayLikeNode(cur)) {
    if (shape.length === 32) {
      return { ok: false, message: message(lang, "nested.tooDeep", { name }), where: [] };
    }
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const path: number[] = [];
  const fail = (message: string): Inspection => ({ ok: false, message, where: path.slice() });
  const zeros = (depth: number) => `${name}${indexPath(new Array<number>(depth).fill(0))}`;

  // Messages are built only on failure; the common (valid) path does no string work.
  const here = () => `${name}${indexPath(path)}`;
  const leafProblem = (node: unknown, depth: number): Inspection => {
    if (isArrayLikeNode(node)) return fail(message(lang, "nested.arrayNotNumber", { at: here(), first: zeros(depth) }));
    if (node === null) return fail(message(lang, "nested.null", { at: here() }));
    if (typeof node === "string") {
      return fail(message(lang, "nested.string", { at: here(), text: JSON.stringify(node.length > 20 ? node.slice(0, 20) + "…" : node) }));
    }
    return fail(message(lang, "nested.notNumber", { at: here(), kind: describeValue(node, lang) }));
  };
  const last = shape.length - 1;
  const visit = (node: unknown, depth: number): Inspection | undefined => {
    if (!isArrayLikeNode(node)) return fail(message(lang, "nested.notArrayButFirst", { at: here(), kind: describeValue(node, lang), first: zeros(depth) }));
    const len = node.length;
    if (len !== shape[depth]) return fail(message(lang, "nested.ragged", { at: here(), length: len, first: zeros(depth), firstLength: shape[depth] }));
    if (!Array.isArray(node)) {
      // A typed array is a row of numbers; it must sit at the last depth.
      return depth === last
        ? undefined
        : fail(message(lang, "nested.notArrayButFirst", { at: here(), kind: describeValue(node, lang), first: zeros(depth + 1) }));
    }
    if (depth === last) {
      for (let i = 0; i < len; i++) {
        const v: unknown = node[i];
        if (typeof v !== "number") {
          path.push(i);
          return leafProblem(v, depth + 1);
        }
      }
      return undefined;
    }
    for (let i = 0; i < len; i++) {
      path.push(i);
      const r = visit(node[i], depth + 1);
      if (r) return r;
      path.pop();
    }
    return undefined;
  };
  const r = visit(t, 0);
  return r ?? { ok: true, shape };
}

/** Shape of a rectangular nested array of numbers ([] for a number), undefined otherwise. */
export function shapeOf(t: unknown): number[] | undefined {
  const r = inspectNested(t);
  return r.ok ? r.shape : undefined;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Validates that `t` is a rectangular 4-D nested array of numbers with no empty dimension and
 * returns its shape. Throws a TypeError (not an array, ragged, non-numbers) or a RangeError
 * (wrong number of dimensions, empty dimension) whose message starts with `what`.
 */
export function shape4(t: unknown, what = "tensor"): Shape4 {
  if (!isArrayLikeNode(t)) throw new TypeError(`${what} must be a 4-D array, got ${describeValue(t)}`);
  const r = inspectNested(t, what);
  if (!r.ok) {
    throw new TypeError(`${what} must be a 4-D array; ${r.message}`);
  }
  if (r.shape.length !== 4 || r.shape.some((d) => d === 0)) {
    if (r.shape.length === 4 || r.shape.includes(0)) {
      throw new RangeError(`${what} must be a 4-D array with no empty dimension, got shape ${formatShape(r.shape)}`);
    }
    throw new RangeError(`${what} must be a 4-D array, got a ${r.shape.length}-D array of shape ${formatShape(r.shape)}`);
  }
  return r.shape as Shape4;
}

// ---------------------------------------------------------------------------------------------
// Small constructors and converters
// ---------------------------------------------------------------------------------------------

function checkShape4(shape: readonly number[], what = "shape"): void {
  if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new RangeError(`${what} must be 4 non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

/** A nested 4-D array filled with `value` (0 by default). */
export function full4(shape: Shape4, value: number): Tensor4 {
  checkShape4(shape);
  const [a, b, c, d] = shape;
  return Array.from({ length: a }, () => Array.from({ length: b }, () => Array.from({ length: c }, () => new Array<number>(d).fill(value))));
}

export function zeros4(shape: Shape4): Tensor4 {
  return full4(shape, 0);
}

/** Row-major (C order) copy of a 4-D nested array into a Float64Array. Validates the shape. */
export function flatten4(t: Tensor4, what = "tensor"): { data: Float64Array; shape: Shape4 } {
  const shape = shape4(t, what);
  const [a, b, c, d] = shape;
  const data = new Float64Array(a * b * c * d);
  let k = 0;
  for (let i = 0; i < a; i++) {
    const ti = t[i];
    for (let j = 0; j < b; j++) {
      const tij = ti[j];
      for (let l = 0; l < c; l++) {
        const row = tij[l];
        for (let m = 0; m < d; m++) data[k++] = row[m];
      }
    }
  }
  return { data, shape };
}

/** Inverse of flatten4: a nested array of plain numbers from row-major data. */
export function unflatten4(data: ArrayLike<number>, shape: Shape4): Tensor4 {
  checkShape4(shape);
  const [a, b, c, d] = shape;
  if (data.length !== a * b * c * d) {
    throw new RangeError(`unflatten4: ${data.length} values do not fill shape ${formatShape(shape)} (${a * b * c * d} needed)`);
  }
  const out: Tensor4 = new Array<number[][][]>(a);
  let k = 0;
  for (let i = 0; i < a; i++) {
    const oi = (out[i] = new Array<number[][]>(b));
    for (let j = 0; j < b; j++) {
      const oij = (oi[j] = new Array<number[]>(c));
      for (let l = 0; l < c; l++) {
        const row = (oij[l] = new Array<number>(d));
        for (let m = 0; m < d; m++) row[m] = data[k++];
      }
    }
  }
  return out;
}

/** Elementwise map over a 4-D nested array; `f` also receives the index. */
export function map4(t: Tensor4, f: (v: number, n: number, h: number, w: number, c: number) => number): Tensor4 {
  return t.map((tn, n) => tn.map((th, h) => th.map((tw, w) => tw.map((v, c) => f(v, n, h, w, c)))));
}

/** Deep copy of a 4-D nested array. */
export function clone4(t: Tensor4): Tensor4 {
  return t.map((tn) => tn.map((th) => th.map((tw) => tw.slice())));
}

/**
 * Row-major flattening of any rectangular nested array of numbers (a number gives shape []).
 * Throws a TypeError if `t` is ragged or holds non-numbers.
 */
export function flattenNested(t: unknown, what = "array"): { data: Float64Array; shape: number[] } {
  const r = inspectNested(t, what);
  if (!r.ok) throw new TypeError(r.message);
  return { data: flattenInspected(t, r.shape), shape: r.shape };
}

/** Row-major values of a nested array that inspectNested already found rectangular with `shape`. */
function flattenInspected(t: unknown, shape: readonly number[]): Float64Array {
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  let k = 0;
  const walk = (node: unknown): void => {
    if (typeof node === "number") data[k++] = node;
    else for (let i = 0; i < (node as ArrayLike<unknown>).length; i++) walk((node as ArrayLike<unknown>)[i]);
  };
  walk(t);
  return data;
}

// ---------------------------------------------------------------------------------------------
// Numeric comparison
// ---------------------------------------------------------------------------------------------

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The CS231n per-element relative error |a-b| / max(1e-8, |a|+|b|). */
export function relErrorScalar(a: number, b: number): number {
  if (a === b) return 0; // also covers equal infinities
  return Math.abs(a - b) / Math.max(1e-8, Math.abs(a) + Math.abs(b));
}

/**
 * max over elements of |a-b| / max(1e-8, |a|+|b|) (the CS231n convention). NaN if any element
 * pair involves NaN. Throws a RangeError on shape mismatch, TypeError on non-numeric input.
 * Empty arrays give 0.
 */
export function relError(a: NestedNumbers, b: NestedNumbers): number {
  const fa = flattenNested(a, "a");
  const fb = flattenNested(b, "b");
  if (!sameShape(fa.shape, fb.shape)) {
    throw new RangeError(`relError: shape mismatch ${formatShape(fa.shape)} vs ${formatShape(fb.shape)}`);
  }
  let worst = 0;
  for (let i = 0; i < fa.data.length; i++) {
    const e = relErrorScalar(fa.data[i], fb.data[i]);
    if (Number.isNaN(e)) return NaN;
    if (e > worst) worst = e;
  }
  return worst;
}

/**
 * numpy.allclose semantics: every |a-b| <= atol + rtol*|b| (defaults rtol 1e-5, atol 1e-8).
 * NaN never matches; equal infinities match. Returns false (does not throw) when the shapes differ
 * or either argument is not a rectangular nested array of numbers.
 */
export function allClose(a: NestedNumbers, b: NestedNumbers, opts: { rtol?: number; atol?: number } = {}): boolean {
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-8;
  const ia = inspectNested(a);
  const ib = inspectNested(b);
  if (!ia.ok || !ib.ok || !sameShape(ia.shape, ib.shape)) return false;
  const fa = flattenNested(a).data;
  const fb = flattenNested(b).data;
  for (let i = 0; i < fa.length; i++) {
    const x = fa[i];
    const y = fb[i];
    if (x === y) continue;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false; // NaN, or unequal infinities
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) return false; // NaN fails here
  }
  return true;
}

export interface Comparison {
  ok: boolean;
  message: string;
  maxRelError?: number;
  /** Index of the offending (or worst) element. */
  where?: number[];
  expected?: number;
  actual?: number;
}

/** Short, readable number: 3 significant digits, more if needed to tell `x` from `other`. */
function fmtNum(x: number, other?: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 3; p <= 17; p++) {
    const s = String(Number(x.toPrecision(p)));
    if (other === undefined || !Number.isFinite(other) || s !== String(Number(other.toPrecision(p)))) return s;
  }
  return String(x);
}

function fmtErr(e: number): string {
  return e === 0 ? "0" : e.toExponential(1);
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/**
 * The single source of learner-facing feedback for numeric results. `actual` is untrusted (may be
 * anything); `expected` is the instructor's result. Passes when every element's relative error
 * |a-e| / max(1e-8, |a|+|e|) is at most `tolerance` (default 1e-5). `name` is the variable name
 * used in messages about individual elements (default "x"); `lang` their language (default "en").
 */
export function compareArrays(actual: unknown, expected: NestedNumbers, opts: { tolerance?: number; name?: string; lang?: Language } = {}): Comparison {
  const tolerance = opts.tolerance ?? 1e-5;
  const name = opts.name ?? "x";
  const lang = opts.lang ?? "en";
  const exp = flattenNested(expected, "expected");
  const expShape = exp.shape;
  const what = expShape.length === 0 ? message(lang, "value.number") : message(lang, "value.arrayOfShape", { shape: formatShape(expShape) });

  if ((expShape.length > 0 && !isArrayLikeNode(actual)) || (expShape.length === 0 && typeof actual !== "number")) {
    return { ok: false, message: message(lang, "compare.expectedKind", { expected: what, actual: previewValue(actual, lang) }) };
  }
  const ins = inspectNested(actual, name, lang);
  if (!ins.ok) {
    return { ok: false, message: message(lang, "compare.invalid", { expected: what, problem: ins.message }), where: ins.where };
  }
  if (!sameShape(ins.shape, expShape)) {
    return { ok: false, message: message(lang, "compare.shapeMismatch", { expected: formatShape(expShape), actual: formatShape(ins.shape) }) };
  }
  const act = flattenInspected(actual, ins.shape);
  const e = exp.data;
  // Non-finite values first: they make relative errors meaningless.
  for (let i = 0; i < act.length; i++) {
    const a = act[i];
    if (Number.isFinite(a) || Object.is(a, e[i]) || a === e[i]) continue;
    const where = unravel(i, expShape);
    const params = { at: `${name}${indexPath(where)}`, actual: Number.isNaN(a) ? "NaN" : String(a) };
    return {
      ok: false,
      message: Number.isFinite(e[i])
        ? message(lang, "compare.nonFiniteExpected", { ...params, expected: fmtNum(e[i]) })
        : message(lang, "compare.nonFinite", params),
      where,
      expected: e[i],
      actual: a,
    };
  }
  let worst = 0;
  let worstIdx = -1;
  for (let i = 0; i < act.length; i++) {
    const r = Object.is(act[i], e[i]) ? 0 : relErrorScalar(act[i], e[i]);
    if (Number.isNaN(r)) {
      // expected is non-finite and actual differs from it
      worst = Infinity;
      worstIdx = i;
      break;
    }
    if (r > worst || worstIdx < 0) {
      worst = r;
      worstIdx = i;
    }
  }
  if (worstIdx < 0) return { ok: true, message: message(lang, "compare.emptyOk"), maxRelError: 0 };
  const where = unravel(worstIdx, expShape);
  if (worst <= tolerance) {
    return { ok: true, message: message(lang, "compare.ok", { error: fmtErr(worst) }), maxRelError: worst, where };
  }
  const ev = e[worstIdx];
  const av = act[worstIdx];
  const values = { error: fmtErr(worst), expected: fmtNum(ev, av), actual: fmtNum(av, ev) };
  return {
    ok: false,
    message: expShape.length === 0 ? message(lang, "compare.worst", values) : message(lang, "compare.worstAt", { ...values, index: indexPath(where) }),
    maxRelError: worst,
    where,
    expected: ev,
    actual: av,
  };
}
