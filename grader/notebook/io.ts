/**
 * Reading and writing notebooks. Reading classifies what is wrong with a bad file (not JSON,
 * not a notebook, the wrong version, a schema violation) so that callers can tell a learner
 * exactly that instead of crashing. Writing follows Jupyter's own layout (one-space indent,
 * sorted keys, sources split into lines) so diffs against Jupyter-saved files stay small.
 */
import { createHash } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { Language, MessageRef, messageRef, render } from "@course-kit/kernel-helpers/messages";
import { Cell, CELL_ID_PATTERN, Notebook, notebookSchema } from "./schema";

export type NotebookProblem = "unreadable" | "not-json" | "not-a-notebook" | "wrong-version" | "invalid";

/** What is wrong with a notebook file; `message` is in English, describe() in a learner's language. */
export class NotebookError extends Error {
  constructor(
    readonly problem: NotebookProblem,
    readonly reason: MessageRef,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${render("en", reason)}` : render("en", reason));
    this.name = "NotebookError";
  }

  describe(lang: Language): string {
    return this.file ? `${this.file}: ${render(lang, this.reason)}` : render(lang, this.reason);
  }
}

/** Parse notebook JSON text, upgrading 4.0-4.4 to 4.5 by giving every cell an id. */
export function parseNotebook(text: string, file?: string): Notebook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NotebookError("not-json", messageRef("notebook.notJson", { error: (err as Error).message }), file);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || !("cells" in raw || "nbformat" in raw)) {
    throw new NotebookError("not-a-notebook", messageRef("notebook.notNotebook"), file);
  }
  const version = (raw as { nbformat?: unknown }).nbformat;
  if (version !== 4) {
    throw new NotebookError("wrong-version", messageRef("notebook.wrongVersion", { version: JSON.stringify(version) ?? "undefined" }), file);
  }
  const parsed = notebookSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reason = issue.path.length
      ? messageRef("notebook.invalidAt", { path: issue.path.join("."), issue: issue.message })
      : messageRef("notebook.invalid", { issue: issue.message });
    throw new NotebookError("invalid", reason, file);
  }
  return ensureCellIds(parsed.data);
}

export function readNotebookSync(file: string): Notebook {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new NotebookError("unreadable", messageRef("notebook.unreadable", { error: (err as Error).message }), file);
  }
  return parseNotebook(text, file);
}

export async function readNotebook(file: string): Promise<Notebook> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (err) {
    throw new NotebookError("unreadable", messageRef("notebook.unreadable", { error: (err as Error).message }), file);
  }
  return parseNotebook(text, file);
}

/** Give ids to cells that lack them (or have duplicates) and mark the notebook 4.5. */
export function ensureCellIds(nb: Notebook): Notebook {
  const seen = new Set<string>();
  const cells = nb.cells.map((cell, index) => {
    let id = cell.id;
    if (!id || !CELL_ID_PATTERN.test(id) || seen.has(id)) {
      // Derived from the content and position, so re-reading the same file gives the same ids.
      const digest = createHash("sha1")
        .update(`${index}\0${sourceText(cell)}`)
        .digest("hex");
      id = digest.slice(0, 8);
      while (seen.has(id)) id = createHash("sha1").update(id).digest("hex").slice(0, 8);
    }
    seen.add(id);
    return { ...cell, id };
  });
  return { ...nb, nbformat_minor: Math.max(nb.nbformat_minor, 5), cells };
}

/** A cell's source as one string, whichever form the file stored it in. */
export function sourceText(cell: Pick<Cell, "source">): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Split text into Jupyter's list-of-lines form, each line keeping its newline. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Serialize as Jupyter does: sources and text outputs as line lists, sorted keys, indent 1. */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((cell) => {
    const out: Record<string, unknown> = { ...cell, source: splitLines(sourceText(cell)) };
    if (cell.cell_type === "code") {
      out.outputs = cell.outputs.map((o) => {
        if (o.output_type === "stream") return { ...o, text: splitLines(Array.isArray(o.text) ? o.text.join("") : o.text) };
        return o;
      });
    }
    return out;
  });
  return JSON.stringify(sortKeys({ ...nb, cells }), null, 1) + "\n";
}

export async function writeNotebook(file: string, nb: Notebook): Promise<void> {
  const checked = notebookSchema.parse(nb);
  await fs.writeFile(file, serializeNotebook(checked));
}
