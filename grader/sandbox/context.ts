/**
 * The realm learner code runs in, inside the sandbox process. No function of the host realm is
 * ever placed in it (a host function's `.constructor` would hand out the host's `Function` and
 * with it `process`), and code generation from strings is off, so the usual vm escapes are
 * closed. The process around it is still the real boundary: see host.ts for its limits.
 */
import vm from "node:vm";
import { LEARNER_RANDOM_SEED, RealmTexts } from "./protocol";

/** A module the sandbox may provide to learner code, given as CommonJS source. */
export interface SandboxModule {
  /** Specifiers that resolve to it, e.g. "@course-kit/kernel-helpers" or "./tensor". */
  names: string[];
  filename: string;
  source: string;
}

interface Bridge {
  set(fn: unknown, args: unknown): void;
  invoke(): void;
  take(): { threw: boolean; result: unknown; error: unknown };
  drainOutput(): string[];
  register(names: string[], factory: unknown): void;
}

// Runs inside the learner realm before any learner code. It defines `console`, `require` and the
// call bridge out of the realm's own intrinsics, captured now so later tampering cannot reach them.
// The realm's own words (in the learner's language) are written into its source as JSON literals:
// no object of the host realm is ever handed in.
const bootstrap = (texts: RealmTexts): string => `(() => {
  "use strict";
  const apply = Reflect.apply, freeze = Object.freeze, defineProperty = Object.defineProperty;
  const StringCtor = String, ErrorCtor = Error, ProxyCtor = Proxy, arrayJoin = Array.prototype.join, stringSplit = String.prototype.split;
  const TEXTS = ${JSON.stringify({ moduleUnavailable: texts.moduleUnavailable, moduleUnavailableNew: texts.moduleUnavailableNew, outputTruncated: texts.outputTruncated })};
  const naming = (text, name) => apply(arrayJoin, apply(stringSplit, text, ["{module}"]), [name]);
  const out = [];
  let outChars = 0;
  const LIMIT = 65536;
  const show = (v) => {
    try {
      if (typeof v === "string") return v;
      if (typeof v === "object" && v !== null) return JSON.stringify(v);
      return StringCtor(v);
    } catch (e) { return "[unprintable]"; }
  };
  const write = (...parts) => {
    if (outChars > LIMIT) return;
    const line = apply(arrayJoin, parts.map(show), [" "]) + "\\n";
    outChars += line.length;
    out.push(outChars > LIMIT ? TEXTS.outputTruncated + "\\n" : line);
  };
  const consoleObject = freeze({ log: write, info: write, warn: write, error: write, debug: write, table: write, dir: write });
  const modules = Object.create(null);
  const unavailable = (name) => {
    const stub = new ProxyCtor(function () {}, {
      get: (t, key) => (key === "then" ? undefined : stub),
      apply: () => { throw new ErrorCtor(naming(TEXTS.moduleUnavailable, name)); },
      construct: () => { throw new ErrorCtor(naming(TEXTS.moduleUnavailableNew, name)); },
    });
    return stub;
  };
  const require = (name) => {
    const key = StringCtor(name);
    const entry = modules[key];
    if (!entry) return unavailable(key);
    if (!entry.loaded) {
      entry.loaded = true;
      const module = { exports: {} };
      entry.module = module;
      entry.factory(module.exports, require, module);
    }
    return entry.module.exports;
  };
  let pendingFn, pendingArgs, result, error, threw = false;
  const bridge = freeze({
    set(fn, args) { pendingFn = fn; pendingArgs = args; },
    invoke() {
      threw = false; result = undefined; error = undefined;
      try { result = apply(pendingFn, undefined, pendingArgs); } catch (e) { threw = true; error = e; }
    },
    take() { return { threw, result, error }; },
    drainOutput() { outChars = 0; return out.splice(0, out.length); },
    register(names, factory) {
      const entry = { factory, loaded: false, module: undefined };
      for (const n of names) modules[n] = entry;
    },
  });
  // Math.random is seeded (see LEARNER_RANDOM_SEED): mulberry32, as kernel-helpers' createRng, on
  // intrinsics captured now. Learner code may still replace it, as it could Node's own.
  const imul = Math.imul;
  let state = (${Math.floor(LEARNER_RANDOM_SEED)} ^ 0x9e3779b9) >>> 0;
  const random = function random() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  defineProperty(Math, "random", { value: random, writable: true, configurable: true, enumerable: false });
  defineProperty(globalThis, "__tsnb", { value: bridge, writable: false, configurable: false, enumerable: false });
  defineProperty(globalThis, "console", { value: consoleObject, writable: true, configurable: true, enumerable: false });
  defineProperty(globalThis, "require", { value: require, writable: true, configurable: true, enumerable: false });
  defineProperty(globalThis, "module", { value: { exports: {} }, writable: true, configurable: true, enumerable: false });
  defineProperty(globalThis, "exports", { value: {}, writable: true, configurable: true, enumerable: false });
  return bridge;
})()`;

// Compiled once and run in any realm: calls go through the realm's own, unwritable bridge.
const INVOKE = new vm.Script("__tsnb.invoke()");

export class LearnerRealm {
  readonly context: vm.Context;
  private readonly lookups = new Map<string, vm.Script>();
  private readonly bridge: Bridge;
  private readonly parseJson: (text: string) => unknown;

  constructor(modules: SandboxModule[], texts: RealmTexts) {
    this.context = vm.createContext(Object.create(null) as object, {
      name: "learner",
      codeGeneration: { strings: false, wasm: false },
    });
    this.parseJson = vm.runInContext("JSON.parse", this.context) as (text: string) => unknown;
    this.bridge = vm.runInContext(bootstrap(texts), this.context) as Bridge;
    for (const mod of modules) {
      const factory = vm.compileFunction(mod.source, ["exports", "require", "module"], {
        parsingContext: this.context,
        filename: mod.filename,
      });
      this.bridge.register(mod.names, factory);
    }
  }

  /** Run one cell's JavaScript as a script of its own, sharing the realm's globals. */
  runCell(code: string, filename: string, timeoutMs: number): void {
    const script = new vm.Script(code, { filename });
    script.runInContext(this.context, { timeout: timeoutMs, breakOnSigint: false });
  }

  /** The function a learner defined under `name` (function declaration or const/let), if any. */
  lookup(name: string, timeoutMs: number): unknown {
    let script = this.lookups.get(name);
    if (!script) {
      // `name` was checked against IDENTIFIER by the caller; typeof guards an undeclared name.
      script = new vm.Script(`typeof ${name} === "function" ? ${name} : undefined`);
      this.lookups.set(name, script);
    }
    return script.runInContext(this.context, { timeout: timeoutMs });
  }

  /** Call fn(...args) inside the realm under a time limit; args arrive as JSON text. */
  call(fn: unknown, argsJson: string, timeoutMs: number): { threw: boolean; result: unknown; error: unknown } {
    this.bridge.set(fn, this.parseJson(argsJson));
    INVOKE.runInContext(this.context, { timeout: timeoutMs });
    return this.bridge.take();
  }

  drainOutput(): string {
    return this.bridge.drainOutput().join("");
  }
}
