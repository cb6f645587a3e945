/**
 * The project's layout rules (the known rules of docs/architecture.md), checked on the import
 * statements of the TypeScript sources and of the notebooks' code cells. Each rule is also
 * shown to fail: the same check on the real tree with one offending import planted.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { closure, importEdges, readTree, RULES, SourceTree, violations } from "./support/import-graph";

const REPO = path.resolve(__dirname, "..", "..");
const tree = readTree(REPO, ["grader", "jupyter", "kernel", "kernel-helpers/src", "notebooks", "tests", "bench"]);

function planted(file: string, line: string): SourceTree {
  const copy = new Map(tree);
  assert.ok(copy.has(file), `${file} is not in the tree`);
  copy.set(file, `${copy.get(file)}\n${line}\n`);
  return copy;
}

describe("layout: the import rules", () => {
  it("reads the real import graph (sanity: known edges are found)", () => {
    const edges = importEdges(tree);
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.target.kind === "file" && e.target.path === to);
    assert.ok(has("grader/run/runner.ts", "jupyter/running-kernel.ts"));
    assert.ok(has("kernel/main.ts", "jupyter/kernel-sockets.ts"));
    assert.ok(edges.some((e) => e.from === "notebooks/week07-cnn/01-conv-basics.ipynb" && e.specifier === "@course-kit/kernel-helpers"));
    assert.ok(closure(edges, "grader/sandbox/child.ts").has("grader/sandbox/protocol.ts"));
  });

  it("no file breaks a rule", () => {
    assert.deepEqual(violations(tree), []);
  });

  const breaks: [rule: string, file: string, line: string][] = [
    ["kernel-helpers never imports the grader", "kernel-helpers/src/tensor.ts", 'import { writeResults } from "../../grader/results/write";'],
    ["the sandbox child (and what it imports) never imports tests or results writers", "grader/sandbox/errors.ts", 'import "../results/gradescope";'],
    [
      "the Jupyter protocol home imports nothing of grading, helpers, notebooks or the kernel",
      "jupyter/wire.ts",
      'import { KIT_KERNEL_NAME } from "../grader/kernel/kernelspec";',
    ],
    ["grading code and notebooks never import the kernel", "grader/run/runner.ts", 'import { Engine } from "../../kernel/engine";'],
    ["the kernel never imports the grader", "kernel/engine.ts", 'import { readNotebook } from "../grader/notebook/io";'],
    [
      "notebooks import only the helpers' index",
      "notebooks/week07-cnn/01-conv-basics.ipynb",
      'import { reference } from "@course-kit/kernel-helpers/reference";',
    ],
  ];
  for (const [rule, file, line] of breaks) {
    it(`fails when broken: ${rule} (${file} importing ${line.replace(/^.*from |^import /, "").replace(/;$/, "")})`, () => {
      const found = violations(planted(file, line));
      // The planted import is reported, under this rule only (what the planted file pulls in
      // may be reported too: the sandbox rule follows imports transitively).
      assert.ok(
        found.some((v) => v.rule === rule && v.from === file),
        JSON.stringify(found),
      );
      assert.deepEqual([...new Set(found.map((v) => v.rule))], [rule]);
    });
  }

  it("every rule has a planted break above", () => {
    assert.equal(RULES.length, breaks.length);
  });
});
