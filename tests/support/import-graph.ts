/**
 * The project's import graph, read from the TypeScript sources (and the code cells of the
 * notebooks) with TypeScript's own import scanner, and the layout rules checked against it.
 * The rules are data, and the checker works on any set of files, so tests can also plant a
 * violation and see it reported.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/** Repository-relative path (POSIX separators) -> file text. For notebooks, the code cells joined. */
export type SourceTree = Map<string, string>;

export type ImportTarget = { kind: "file"; path: string } | { kind: "package"; name: string; subpath: string } | { kind: "builtin"; name: string };

export interface ImportEdge {
  from: string;
  specifier: string;
  target: ImportTarget;
}

const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "fixtures", "release", "samples"]);

/** Every .ts source and notebook under `roots` (repository-relative), read from disk. */
export function readTree(repo: string, roots: string[]): SourceTree {
  const tree: SourceTree = new Map();
  const walk = (rel: string) => {
    const abs = path.join(repo, rel);
    if (!statSync(abs, { throwIfNoEntry: false })) return;
    if (statSync(abs).isDirectory()) {
      for (const entry of readdirSync(abs)) if (!SKIP_DIRS.has(entry) && !entry.startsWith(".")) walk(path.posix.join(rel, entry));
      return;
    }
    if (rel.endsWith(".d.ts")) return;
    if (rel.endsWith(".ts")) tree.set(rel, readFileSync(abs, "utf8"));
    if (rel.endsWith(".ipynb")) tree.set(rel, notebookCode(readFileSync(abs, "utf8")));
  };
  for (const root of roots) walk(root);
  return tree;
}

function notebookCode(json: string): string {
  const nb = JSON.parse(json) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .join("\n;\n");
}

/** Import, export-from, require() and import() specifiers of one file. */
export function specifiersOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

function resolve(tree: SourceTree, from: string, specifier: string): ImportTarget {
  if (specifier.startsWith("node:")) return { kind: "builtin", name: specifier.slice(5) };
  if (specifier.startsWith(".")) {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
    const found = [base, `${base}.ts`, `${base}/index.ts`].find((p) => tree.has(p));
    return { kind: "file", path: found ?? base };
  }
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  const subpath = parts.slice(specifier.startsWith("@") ? 2 : 1).join("/");
  if (!specifier.includes("/") && isBuiltin(name)) return { kind: "builtin", name };
  return { kind: "package", name, subpath };
}

function isBuiltin(name: string): boolean {
  return (require("node:module") as { builtinModules: string[] }).builtinModules.includes(name);
}

export function importEdges(tree: SourceTree): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, text] of tree) {
    for (const specifier of specifiersOf(text)) edges.push({ from, specifier, target: resolve(tree, from, specifier) });
  }
  return edges;
}

/** Files reachable from `start` through relative imports (start included). */
export function closure(edges: ImportEdge[], start: string): Set<string> {
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length) {
    const file = todo.pop()!;
    for (const e of edges) {
      if (e.from === file && e.target.kind === "file" && !seen.has(e.target.path)) {
        seen.add(e.target.path);
        todo.push(e.target.path);
      }
    }
  }
  return seen;
}

export interface Violation {
  rule: string;
  from: string;
  specifier: string;
}

const under = (p: string, ...dirs: string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
const targetIsFileUnder = (t: ImportTarget, ...dirs: string[]) => t.kind === "file" && under(t.path, ...dirs);
const targetIsPackage = (t: ImportTarget, ...names: string[]) => t.kind === "package" && names.includes(t.name);
const isHiddenTest = (p: string) => /^notebooks\/[^/]+\/hidden-tests\//.test(p);
const isNotebook = (p: string) => p.startsWith("notebooks/") && p.endsWith(".ipynb");

/** The project's layout rules (docs/architecture.md). */
export const RULES: { name: string; check: (edges: ImportEdge[]) => ImportEdge[] }[] = [
  {
    name: "kernel-helpers never imports the grader",
    check: (edges) => edges.filter((e) => under(e.from, "kernel-helpers") && (targetIsFileUnder(e.target, "grader") || targetIsPackage(e.target, "tsnb"))),
  },
  {
    name: "the sandbox child (and what it imports) never imports tests or results writers",
    check: (edges) => {
      const reach = closure(edges, "grader/sandbox/child.ts");
      return edges
        .filter((e) => reach.has(e.from))
        .filter(
          (e) =>
            targetIsFileUnder(e.target, "tests", "grader/results", "grader/jest", "grader/testing") ||
            (e.target.kind === "file" && isHiddenTest(e.target.path)) ||
            targetIsPackage(e.target, "tsnb", "jest", "mocha") ||
            (e.target.kind === "package" && e.target.name.startsWith("@jest/")),
        );
    },
  },
  {
    name: "the Jupyter protocol home imports nothing of grading, helpers, notebooks or the kernel",
    check: (edges) =>
      edges
        .filter((e) => under(e.from, "jupyter"))
        .filter(
          (e) =>
            targetIsFileUnder(e.target, "grader", "kernel-helpers", "notebooks", "kernel") ||
            targetIsPackage(e.target, "@course-kit/kernel-helpers", "tsnb", "tslab"),
        ),
  },
  {
    name: "grading code and notebooks never import the kernel",
    check: (edges) => edges.filter((e) => under(e.from, "grader", "notebooks") && targetIsFileUnder(e.target, "kernel")),
  },
  {
    name: "the kernel never imports the grader",
    check: (edges) => edges.filter((e) => under(e.from, "kernel") && (targetIsFileUnder(e.target, "grader", "tests") || targetIsPackage(e.target, "tsnb"))),
  },
  {
    name: "notebooks import only the helpers' index",
    check: (edges) =>
      edges
        .filter((e) => isNotebook(e.from))
        .filter(
          (e) =>
            (e.target.kind === "package" && e.target.name === "@course-kit/kernel-helpers" && e.target.subpath !== "") ||
            targetIsFileUnder(e.target, "kernel-helpers", "grader", "kernel", "jupyter", "tests"),
        ),
  },
];

export function violations(tree: SourceTree): Violation[] {
  const edges = importEdges(tree);
  return RULES.flatMap((r) => r.check(edges).map((e) => ({ rule: r.name, from: e.from, specifier: e.specifier })));
}
