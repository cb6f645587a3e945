import assert from "node:assert/strict";
import vm from "node:vm";
import { moduleToScript, transpileCell } from "../../grader/submission/transpile";

describe("cell transpiler", () => {
  it("turns every import form into var bindings from require, keeping the line count", () => {
    const src = [
      'import { a, b as c } from "m1";',
      'import * as ns from "m2";',
      'import d from "m3";',
      'import e, { f } from "m4";',
      'import "m5";',
      "const after = 1;",
    ].join("\n");
    const out = transpileCell(src, "cell");
    assert.ok(out.ok);
    if (!out.ok) return;
    const required: string[] = [];
    const modules: Record<string, unknown> = {
      m1: { a: 1, b: 2 },
      m2: { z: 3 },
      m3: { __esModule: true, default: 4 },
      m4: { __esModule: true, default: 5, f: 6 },
      m5: {},
    };
    const ctx = vm.createContext({ require: (n: string) => (required.push(n), modules[n]) });
    vm.runInContext(out.code, ctx);
    assert.equal(vm.runInContext("JSON.stringify([a, c, ns.z, d, e, f, after])", ctx), "[1,2,3,4,5,6,1]");
    assert.deepEqual(required, ["m1", "m2", "m3", "m4", "m4", "m5"]);
  });

  it("keeps imports a cell does not use itself, since later cells use them", () => {
    const out = transpileCell('import { zeros4 } from "@course-kit/kernel-helpers";', "setup");
    assert.ok(out.ok && out.code.includes('require("@course-kit/kernel-helpers")'));
  });

  it("drops exports so the cell runs as a script", () => {
    const out = transpileCell("export function f(): number { return 1 }\nexport const g = 2;", "c");
    assert.ok(out.ok);
    if (!out.ok) return;
    assert.doesNotMatch(out.code, /\bexport\b/);
    const ctx = vm.createContext({});
    vm.runInContext(out.code, ctx);
    assert.equal(vm.runInContext("f() + g", ctx), 3);
  });

  it("reports a syntax error with its line and column", () => {
    const out = transpileCell("function f(a: number {\n  return a;\n}", "c");
    assert.equal(out.ok, false);
    if (out.ok) return;
    assert.match(out.error, /^SyntaxError: .* \(line 1, column \d+\)$/);
  });

  it("strips types without checking them", () => {
    const out = transpileCell("function f(a: number): string { return a; }", "c");
    assert.ok(out.ok);
  });

  it("moduleToScript keeps line numbers, so source maps stay valid", () => {
    const esm = 'import { a } from "m";\nfunction f() {}\nexport {\n  f\n};\nconst z = 1;';
    const script = moduleToScript(esm);
    assert.equal(script.split("\n").length, esm.split("\n").length);
    assert.equal(script.split("\n")[5], "const z = 1;");
  });

  it("moduleToScript leaves non-import lines alone", () => {
    assert.equal(moduleToScript("const importance = 1;\nfoo();"), "const importance = 1;\nfoo();");
  });
});
