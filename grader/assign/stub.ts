/**
 * Solution regions → learner stubs. A region is the lines from a comment line containing
 * `BEGIN SOLUTION` to one containing `END SOLUTION`; everything outside it (the signature
 * line, the closing brace, helper comments) is kept, so the learner sees the exercise's
 * contract and fills in its body.
 */
import { BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION } from "../notebook/nbgrader";

export class StubError extends Error {}

function replaceRegions(text: string, begin: string, end: string, replacement: (indent: string) => string[] | null, where: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  let open: { indent: string; line: number } | undefined;
  lines.forEach((line, i) => {
    if (line.includes(begin)) {
      if (open) throw new StubError(`${where}: ${begin} on line ${i + 1} inside another region (opened on line ${open.line})`);
      open = { indent: /^\s*/.exec(line)![0], line: i + 1 };
      return;
    }
    if (line.includes(end)) {
      if (!open) throw new StubError(`${where}: ${end} on line ${i + 1} without ${begin}`);
      const rep = replacement(open.indent);
      if (rep) out.push(...rep);
      open = undefined;
      return;
    }
    if (!open) out.push(line);
  });
  if (open) throw new StubError(`${where}: ${begin} on line ${open.line} is never closed`);
  return out.join("\n");
}

/** The learner's version of a code solution cell. */
export function stubCode(source: string, exercise: string, where: string): string {
  return replaceRegions(
    source,
    BEGIN_SOLUTION,
    END_SOLUTION,
    (indent) => [`${indent}// YOUR CODE HERE`, `${indent}throw new Error(${JSON.stringify(`${exercise}: not implemented yet`)});`],
    where,
  );
}

/** The learner's version of a markdown solution cell. */
export function stubMarkdown(source: string, where: string): string {
  return replaceRegions(source, BEGIN_SOLUTION, END_SOLUTION, (indent) => [`${indent}YOUR ANSWER HERE`], where);
}

/** Remove hidden-test regions from any cell. */
export function removeHiddenTests(source: string, where: string): string {
  return replaceRegions(source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, () => null, where);
}
