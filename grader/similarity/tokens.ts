/**
 * TypeScript source → the token stream Dolos fingerprints, made with the TypeScript compiler the
 * kit already ships instead of Dolos' tree-sitter parsers (a 435 MB native build).
 *
 * The stream follows Dolos' own tree-sitter tokenizer: a pre-order walk of the syntax tree that
 * writes `(`, the node's kind and, after its children, `)`. Only kinds are written, never names
 * or values, so renamed identifiers and changed literals look the same; comments and blank
 * lines are not nodes, so they do not count. Punctuation and operator tokens are left out as
 * tree-sitter leaves out its unnamed nodes. Each token carries the source span Dolos reports in
 * fragments: the node's own text before its first child (`for (`, `{`, a whole identifier),
 * rows and columns 0-based.
 */
import ts from "typescript";

export interface Span {
  startRow: number;
  startCol: number;
  endRow: number;
  endCol: number;
}

export interface TokenStream {
  tokens: string[];
  spans: Span[];
}

/** Tokenizers are interchangeable: the command uses the compiler's, the benchmark also tree-sitter's. */
export type Tokenize = (source: string) => TokenStream;

/** Kind names without the enum's range markers (VariableStatement, not FirstStatement). */
const KIND_NAMES: string[] = [];
for (const [name, value] of Object.entries(ts.SyntaxKind)) {
  if (typeof value === "number" && !/^(First|Last)/.test(name) && KIND_NAMES[value] === undefined) KIND_NAMES[value] = name;
}

function isPunctuation(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstPunctuation && kind <= ts.SyntaxKind.LastPunctuation;
}

export const tokenizeTypeScript: Tokenize = (source) => {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const tokens: string[] = [];
  const spans: Span[] = [];
  const at = (pos: number) => file.getLineAndCharacterOfPosition(pos);

  const visit = (node: ts.Node): void => {
    if (node.kind === ts.SyntaxKind.EndOfFileToken || isPunctuation(node.kind)) return;
    const children: ts.Node[] = [];
    ts.forEachChild(node, (child) => {
      children.push(child);
    });
    const start = node === file ? 0 : node.getStart(file);
    const firstChild = children.find((c) => c.kind !== ts.SyntaxKind.EndOfFileToken && !isPunctuation(c.kind));
    // A child's full start is the end of the token before it, so comments before it stay out.
    const end = firstChild ? Math.max(start, firstChild.pos) : node.end;
    const from = at(start);
    const to = at(end);
    const span: Span = { startRow: from.line, startCol: from.character, endRow: to.line, endCol: to.character };
    const kind = KIND_NAMES[node.kind] ?? String(node.kind);
    tokens.push("(", kind);
    spans.push(span, span);
    for (const child of children) visit(child);
    tokens.push(")");
    spans.push(span);
  };
  visit(file);
  return { tokens, spans };
};

/** Where the comments of a source are, as [start, end) offsets (for showing fragments without them). */
export function commentRanges(source: string): [number, number][] {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = new Map<number, number>();
  const add = (ranges: ts.CommentRange[] | undefined) => ranges?.forEach((r) => found.set(r.pos, r.end));
  // getChildren() includes punctuation tokens, whose leading trivia hold e.g. a comment before `}`.
  const visit = (n: ts.Node): void => {
    add(ts.getLeadingCommentRanges(source, n.getFullStart()));
    add(ts.getTrailingCommentRanges(source, n.end));
    n.getChildren(file).forEach(visit);
  };
  visit(file);
  return [...found].sort((a, b) => a[0] - b[0]);
}
