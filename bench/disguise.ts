/**
 * The usual ways a copied solution is disguised, done on the syntax tree so that the copy still
 * compiles and still works: identifiers renamed, independent statements swapped, comments and
 * blank lines changed, a `for` loop rewritten as a `while`. Used to build the similarity
 * check's test class and benchmark.
 */
import ts from "typescript";
import { commentRanges } from "../grader/similarity/tokens";

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function parse(source: string): ts.SourceFile {
  return ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (c) => walk(c, visit));
}

const NEW_NAMES = [
  "acc",
  "total",
  "rowIx",
  "colIx",
  "chan",
  "img",
  "res",
  "grid",
  "lim",
  "tmp",
  "val",
  "cur",
  "pos",
  "cnt",
  "buf",
  "idx",
  "dim",
  "len",
  "sum2",
  "item",
];

/** Rename every locally declared name (variables, parameters, local functions and types), except `keep`. */
export function renameIdentifiers(source: string, keep: string): string {
  const file = parse(source);
  const declared = new Set<string>();
  const used = new Set<string>();
  walk(file, (n) => {
    if (ts.isIdentifier(n)) used.add(n.text);
    const name = (n as { name?: ts.Node }).name;
    if (!name || !ts.isIdentifier(name)) return;
    const isLocal =
      ts.isVariableDeclaration(n) ||
      ts.isBindingElement(n) ||
      (ts.isParameter(n) && !ts.getModifiers(n)?.length) ||
      ts.isFunctionDeclaration(n) ||
      ts.isTypeAliasDeclaration(n) ||
      ts.isClassDeclaration(n);
    if (isLocal && name.text !== keep) declared.add(name.text);
  });
  const mapping = new Map<string, string>();
  let i = 0;
  for (const name of [...declared].sort()) {
    let candidate: string;
    do {
      candidate = `${NEW_NAMES[i % NEW_NAMES.length]}${i >= NEW_NAMES.length ? Math.floor(i / NEW_NAMES.length) : ""}`;
      i++;
    } while (used.has(candidate) || declared.has(candidate));
    mapping.set(name, candidate);
  }
  const edits: Edit[] = [];
  walk(file, (n) => {
    if (!ts.isIdentifier(n) || !mapping.has(n.text)) return;
    const p = n.parent;
    const renamed = mapping.get(n.text)!;
    // Property names keep their spelling; shorthand properties and destructuring gain one.
    if ((ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n)) return;
    if (ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isGetAccessor(p)) return;
    if (ts.isShorthandPropertyAssignment(p)) {
      edits.push({ start: n.getStart(), end: n.end, text: `${n.text}: ${renamed}` });
      return;
    }
    if (ts.isBindingElement(p) && p.name === n && !p.propertyName && ts.isObjectBindingPattern(p.parent)) {
      edits.push({ start: n.getStart(), end: n.end, text: `${n.text}: ${renamed}` });
      return;
    }
    if (ts.isBindingElement(p) && p.propertyName === n) return;
    edits.push({ start: n.getStart(), end: n.end, text: renamed });
  });
  return applyEdits(source, edits);
}

const NEW_COMMENTS = ["// 여기서부터 내 풀이", "// compute the output", "// loop over everything", "// TODO: check again later", "// 결과를 채운다"];

/** Drop every comment, then add other comments and blank lines between statements. */
export function rewriteComments(source: string, seed = 0): string {
  const stripped = applyEdits(
    source,
    commentRanges(source).map(([start, end]) => ({ start, end, text: "" })),
  )
    .split("\n")
    .filter((line, i, lines) => line.trim() !== "" || (i > 0 && lines[i - 1].trim() !== ""))
    .map((line) => line.trimEnd());
  const out: string[] = [];
  stripped.forEach((line, i) => {
    const indent = /^\s*/.exec(line)![0];
    if (i > 0 && i % 4 === seed % 4 && /^\s+(const|let|for|if|return)\b/.test(line)) {
      out.push("", `${indent}${NEW_COMMENTS[(i + seed) % NEW_COMMENTS.length]}`);
    }
    out.push(line);
  });
  return out.join("\n");
}

function declaredNames(node: ts.Node): Set<string> {
  const names = new Set<string>();
  if (ts.isVariableStatement(node)) {
    for (const d of node.declarationList.declarations) walk(d.name, (n) => ts.isIdentifier(n) && names.add(n.text));
  }
  return names;
}

function referencedNames(node: ts.Node): Set<string> {
  const names = new Set<string>();
  walk(node, (n) => ts.isIdentifier(n) && names.add(n.text));
  return names;
}

/** A declaration or an `if (...) throw` that may change places with its neighbour. */
function movable(s: ts.Statement): boolean {
  if (ts.isVariableStatement(s)) return true;
  return (
    ts.isIfStatement(s) &&
    !s.elseStatement &&
    (ts.isThrowStatement(s.thenStatement) || (ts.isBlock(s.thenStatement) && s.thenStatement.statements.every(ts.isThrowStatement)))
  );
}

/** Swap adjacent independent statements (declarations, argument checks) in every block. */
export function reorderStatements(source: string): string {
  const file = parse(source);
  const edits: Edit[] = [];
  walk(file, (n) => {
    if (!ts.isBlock(n)) return;
    const list = n.statements;
    for (let i = 0; i + 1 < list.length; i++) {
      const [s1, s2] = [list[i], list[i + 1]];
      if (!movable(s1) || !movable(s2)) continue;
      const uses2 = referencedNames(s2);
      if ([...declaredNames(s1)].some((name) => uses2.has(name))) continue;
      const uses1 = referencedNames(s1);
      if ([...declaredNames(s2)].some((name) => uses1.has(name))) continue;
      edits.push({ start: s1.getStart(), end: s1.end, text: s2.getText() }, { start: s2.getStart(), end: s2.end, text: s1.getText() });
      i++;
    }
  });
  return applyEdits(source, edits);
}

function hasOwnContinue(body: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node) => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isContinueStatement(n)) found = true;
    else if (!ts.isIterationStatement(n, false)) ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** Rewrite the outermost `for (init; cond; step)` loops without `continue` as `while` loops. */
export function forToWhile(source: string): string {
  const file = parse(source);
  const edits: Edit[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isForStatement(n) && n.initializer && n.condition && n.incrementor && !hasOwnContinue(n.statement)) {
      const indent = /[ \t]*$/.exec(source.slice(0, n.getStart()))![0];
      const body = ts.isBlock(n.statement) ? n.statement.statements.map((s) => s.getText()).join(`\n${indent}    `) : n.statement.getText();
      edits.push({
        start: n.getStart(),
        end: n.end,
        text: [
          `{`,
          `${indent}  ${n.initializer.getText()};`,
          `${indent}  while (${n.condition.getText()}) {`,
          `${indent}    ${body}`,
          `${indent}    ${n.incrementor.getText()};`,
          `${indent}  }`,
          `${indent}}`,
        ].join("\n"),
      });
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  return applyEdits(source, edits);
}

export const DISGUISES = {
  renamed: renameIdentifiers,
  reordered: (source: string) => reorderStatements(source),
  comments: (source: string, _keep: string, seed = 0) => rewriteComments(source, seed),
  while: (source: string) => forToWhile(source),
} satisfies Record<string, (source: string, keep: string, seed?: number) => string>;

export type Disguise = keyof typeof DISGUISES;

export function disguise(source: string, exercise: string, kinds: Disguise[], seed = 0): string {
  return kinds.reduce((text, kind) => DISGUISES[kind](text, exercise, seed), source);
}
