/**
 * Every notebook's Markdown as Jupyter renders it: GitHub-flavoured Markdown through `marked`
 * (the renderer Jupyter Notebook uses, with `gfm: true`), after taking the LaTeX out as Jupyter
 * does before rendering. No prose may turn into strikethrough: in GFM `~` pairs strike text
 * through, so ranges such as `0~4 … 5~9` lose their meaning (write `0–4`, or words).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { marked } from "marked";
import { REPO } from "../run/support";

/** Every notebook below `dir`, leaving out checkpoints and `tsnb run` outputs. */
function notebooksUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === ".ipynb_checkpoints" || entry === "node_modules") continue;
    if (statSync(full).isDirectory()) found.push(...notebooksUnder(full));
    else if (entry.endsWith(".ipynb") && !entry.endsWith(".out.ipynb")) found.push(full);
  }
  return found.sort();
}

/**
 * Jupyter hands `$$…$$`, `$…$` and `\begin{…}…\end{…}` to MathJax, not to the Markdown renderer
 * (notebook's mathjaxutils.remove_math); a `~` in LaTeX is a space, not strikethrough.
 */
function withoutMath(markdown: string): string {
  return markdown
    .replace(/\$\$[\s\S]*?\$\$/g, " MATH ")
    .replace(/\\begin\{([a-z*]+)\}[\s\S]*?\\end\{\1\}/g, " MATH ")
    .replace(/(?<!\\)\$[^$\n]+?\$/g, " MATH ");
}

function render(markdown: string): string {
  return marked.parse(withoutMath(markdown), { gfm: true, async: false });
}

/** Struck-through passages in rendered HTML. */
function struckThrough(html: string): string[] {
  return [...html.matchAll(/<(del|s)\b[^>]*>([\s\S]*?)<\/\1>/g)].map((m) => m[2]);
}

interface MarkdownCell {
  cell_type: string;
  source: string | string[];
}

describe("notebook Markdown rendered as Jupyter does (marked, GFM)", () => {
  it("the renderer is GFM's: `~` pairs strike through, LaTeX is left to MathJax", () => {
    // The sentence that broke notebook 04: the test must be able to see it.
    assert.deepEqual(struckThrough(render("숫자 0~4로 학습하고, 숫자 5~9는 몇 장만")), ["4로 학습하고, 숫자 5"]);
    assert.deepEqual(struckThrough(render("숫자 0–4로 학습하고, 숫자 5–9는 몇 장만")), []);
    assert.deepEqual(struckThrough(render("$a~b$ and $$x~y$$ and `0~4 5~9`")), []);
  });

  const notebooks = notebooksUnder(path.join(REPO, "notebooks"));
  it("finds the course notebooks", () => {
    assert.ok(
      notebooks.some((f) => f.endsWith(path.join("week07-cnn", "04-training-transfer.ipynb"))),
      notebooks.join("\n"),
    );
  });

  for (const file of notebooks) {
    it(`${path.relative(REPO, file)}: no Markdown renders as strikethrough`, () => {
      const cells = (JSON.parse(readFileSync(file, "utf8")) as { cells: MarkdownCell[] }).cells;
      const problems: string[] = [];
      cells.forEach((cell, i) => {
        if (cell.cell_type !== "markdown") return;
        const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
        for (const struck of struckThrough(render(source))) problems.push(`cell ${i}: ~${struck}~`);
      });
      assert.deepEqual(problems, []);
    });
  }
});
