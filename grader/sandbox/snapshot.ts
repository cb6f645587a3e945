/**
 * Turn whatever learner code returned into plain data, once, without trusting it. Only numbers,
 * strings, booleans, null, arrays and plain objects made of those pass; typed arrays become
 * arrays. Proxies, getters, functions and exotic prototypes are refused with a message, so no
 * learner object can change its answer between two looks (custom valueOf/toJSON/getters).
 */
import { types } from "node:util";
import type { MessageRef } from "@course-kit/kernel-helpers/messages";

/** Why a result is refused, as a message for the grader to put into the learner's words. */
export class NotPlainData extends Error {
  constructor(readonly reason: MessageRef) {
    super(reason.key);
  }
}

export interface SnapshotLimits {
  maxElements: number;
  maxDepth: number;
}

const DEFAULT_LIMITS: SnapshotLimits = { maxElements: 5_000_000, maxDepth: 16 };

// Captured at load time, before any learner code runs in this process.
const { getPrototypeOf, getOwnPropertyDescriptor, keys: objectKeys } = Object;
const ownKeys = Reflect.ownKeys;
const isArray = Array.isArray;

/** "the result" (in words), or where inside it as code: result[0].dx. */
function describePath(path: (string | number)[]): string | MessageRef {
  return path.length === 0 ? { key: "plain.result" } : "result" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}

export function snapshot(value: unknown, limits: SnapshotLimits = DEFAULT_LIMITS): unknown {
  let budget = limits.maxElements;
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (--budget < 0) throw new NotPlainData({ key: "plain.tooLarge", params: { max: limits.maxElements } });
    switch (typeof v) {
      case "number":
      case "string":
      case "boolean":
        return v;
      case "undefined":
        return null;
      case "bigint":
        return Number(v);
      case "function":
        throw new NotPlainData({ key: "plain.function", params: { path: describePath(path) } });
      case "symbol":
        throw new NotPlainData({ key: "plain.symbol", params: { path: describePath(path) } });
    }
    if (v === null) return null;
    if (path.length > limits.maxDepth) throw new NotPlainData({ key: "plain.tooDeep", params: { path: describePath(path) } });
    if (types.isProxy(v)) throw new NotPlainData({ key: "plain.proxy", params: { path: describePath(path) } });
    if (types.isTypedArray(v)) {
      const arr = v as unknown as ArrayLike<number | bigint>;
      budget -= arr.length;
      if (budget < 0) throw new NotPlainData({ key: "plain.tooLargeArray" });
      return Array.from(arr, (x) => Number(x));
    }
    const obj = v as object;
    if (isArray(obj)) {
      const lengthDesc = getOwnPropertyDescriptor(obj, "length");
      const length = lengthDesc && "value" in lengthDesc ? (lengthDesc.value as number) : 0;
      if (ownKeys(obj).length !== length + 1) {
        throw new NotPlainData({ key: "plain.holes", params: { path: describePath(path) } });
      }
      const out = new Array(length);
      for (let i = 0; i < length; i++) {
        const d = getOwnPropertyDescriptor(obj, i);
        if (!d || !("value" in d)) throw new NotPlainData({ key: "plain.getter", params: { path: describePath([...path, i]) } });
        out[i] = walk(d.value, [...path, i]);
      }
      return out;
    }
    const proto = getPrototypeOf(obj) as object | null;
    const isPlain = proto === null || (getPrototypeOf(proto) === null && getOwnPropertyDescriptor(proto, "hasOwnProperty") !== undefined);
    if (!isPlain) throw new NotPlainData({ key: "plain.notPlain", params: { path: describePath(path) } });
    if (ownKeys(obj).length !== objectKeys(obj).length) {
      throw new NotPlainData({ key: "plain.hidden", params: { path: describePath(path) } });
    }
    const out: Record<string, unknown> = {};
    for (const key of objectKeys(obj)) {
      const d = getOwnPropertyDescriptor(obj, key);
      if (!d || !("value" in d)) throw new NotPlainData({ key: "plain.getter", params: { path: describePath([...path, key]) } });
      out[key] = walk(d.value, [...path, key]);
    }
    return out;
  };
  return walk(value, []);
}
