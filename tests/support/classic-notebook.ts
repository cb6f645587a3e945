/**
 * Driving Jupyter Notebook 6 (the classic front end) in a real browser page the way a learner
 * does: open a notebook, run all cells, type into a cell and run it, and read back what the page
 * shows (rendered pictures, error and stderr outputs, execution counts) from the DOM.
 *
 * Functions passed to `page.evaluate` run in the page and are written against `globalThis` (the
 * project compiles without the DOM library); keep them free of imports and closures.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "puppeteer-core";

/** What one code cell of the page shows. */
export interface CellView {
  /** Index among the notebook's code cells (0-based). */
  index: number;
  /** The execution count in the prompt: a number once the cell ran, "*" while queued, else null. */
  prompt: number | string | null;
  source: string;
  /** Output types in the front end's model, e.g. ["stream:stdout", "display_data"]. */
  outputs: string[];
  /** Visible text of error outputs, and of stderr streams. */
  errors: string[];
  stderr: string[];
  /** Rendered pictures in the output area: loaded, non-empty <img> and outermost <svg> elements. */
  imgs: number;
  svgs: number;
  /** All visible output text (stdout, tables, errors), for messages and searches. */
  text: string;
}

/** Waits until the notebook is loaded and its kernel answered kernel_info; turns autosave off. */
export async function openNotebook(page: Page, url: string, timeoutMs = 120_000): Promise<void> {
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: timeoutMs });
  await page.waitForFunction(
    () => {
      const J = (globalThis as any).Jupyter;
      return Boolean(J?.notebook?._fully_loaded && J.notebook.kernel?.is_connected() && J.notebook.kernel.info_reply?.protocol_version);
    },
    { timeout: timeoutMs, polling: 200 },
  );
  // The tests run copies; nothing is saved, so no file changes while nbclient may read it.
  await page.evaluate(() => (globalThis as any).Jupyter.notebook.set_autosave_interval(0));
}

/** The kernelspec name the page's session runs. */
export function sessionKernelName(page: Page): Promise<string> {
  return page.evaluate(() => String((globalThis as any).Jupyter.notebook.session.kernel.name));
}

/**
 * Waits until every non-empty code cell has an execution count, no cell is running, the kernel
 * indicator shows idle, and the outputs have not changed for `quietMs` (outputs travel on iopub
 * and may arrive after the execute_reply that sets the count).
 */
export async function waitUntilSettled(page: Page, timeoutMs: number, quietMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastSignature = "";
  let stableSince = Date.now();
  for (;;) {
    const state = await page.evaluate(() => {
      const J = (globalThis as any).Jupyter;
      const cells = J.notebook.get_cells().filter((c: any) => c.cell_type === "code");
      const pending = cells
        .map((c: any, i: number) => ({ i, p: c.input_prompt_number, empty: c.get_text().trim() === "" }))
        .filter((c: any) => !c.empty && typeof c.p !== "number")
        .map((c: any) => c.i);
      const running = (globalThis as any).document.querySelectorAll(".cell.running").length;
      const idle = (globalThis as any).document.querySelector("#kernel_indicator_icon")?.classList.contains("kernel_idle_icon") ?? false;
      const signature = cells.map((c: any) => `${c.input_prompt_number}:${c.output_area.outputs.length}`).join(",");
      return { pending, running, idle, signature };
    });
    const now = Date.now();
    if (state.signature !== lastSignature) {
      lastSignature = state.signature;
      stableSince = now;
    }
    if (state.pending.length === 0 && state.running === 0 && state.idle && now - stableSince >= quietMs) return;
    if (now > deadline) {
      throw new Error(
        `cells did not finish within ${timeoutMs} ms: code cells ${state.pending.join(", ") || "none"} pending, ${state.running} running, kernel ${state.idle ? "idle" : "busy"}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Cell > Run All, as the menu does it, then waits for the last output. */
export async function runAllCells(page: Page, timeoutMs: number): Promise<void> {
  await page.evaluate(() => (globalThis as any).Jupyter.notebook.execute_all_cells());
  await waitUntilSettled(page, timeoutMs);
}

/** What every code cell shows (see CellView). */
export function viewCells(page: Page): Promise<CellView[]> {
  return page.evaluate(() => {
    const J = (globalThis as any).Jupyter;
    const cells = J.notebook.get_cells().filter((c: any) => c.cell_type === "code");
    const visible = (el: any) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    return cells.map((c: any, index: number) => {
      const area = c.output_area.element[0];
      const imgs = [...area.querySelectorAll("img")].filter((img: any) => img.complete && img.naturalWidth > 0 && visible(img)).length;
      const svgs = [...area.querySelectorAll("svg")].filter((svg: any) => !svg.parentElement.closest("svg") && visible(svg)).length;
      const texts = (selector: string) => [...area.querySelectorAll(selector)].map((el: any) => String(el.innerText));
      return {
        index,
        prompt: c.input_prompt_number ?? null,
        source: c.get_text(),
        outputs: c.output_area.outputs.map((o: any) => (o.output_type === "stream" ? `stream:${o.name}` : o.output_type)),
        errors: texts(".output_error"),
        stderr: texts(".output_stderr"),
        imgs,
        svgs,
        text: String(area.innerText),
      };
    });
  });
}

/**
 * Makes the whole notebook one tall page. The classic notebook scrolls inside #site and sets its
 * height on every window resize (a full-page screenshot resizes the window), so a stylesheet
 * with !important wins over those inline heights.
 */
async function unclipNotebook(page: Page): Promise<void> {
  await page.evaluate(() => {
    const doc = (globalThis as any).document;
    if (doc.getElementById("tsnb-test-unclip")) return;
    const style = doc.createElement("style");
    style.id = "tsnb-test-unclip";
    style.textContent = "html, body, #site { height: auto !important; overflow: visible !important; position: static !important; }";
    doc.head.appendChild(style);
  });
}

/** A full-length PNG of the notebook as it is now. */
export async function screenshotNotebook(page: Page, file: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await unclipNotebook(page);
  await page.screenshot({ path: file, fullPage: true });
}

/** A PNG of one code cell (input and outputs). */
export async function screenshotCell(page: Page, codeIndex: number, file: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  await unclipNotebook(page);
  const handle = await page.evaluateHandle((i: number) => {
    const J = (globalThis as any).Jupyter;
    return J.notebook.get_cells().filter((c: any) => c.cell_type === "code")[i].element[0];
  }, codeIndex);
  await (handle as any).screenshot({ path: file });
  await handle.dispose();
}

/** The notebook-wide index of a code cell (the Jupyter API counts all cells). */
function notebookIndex(page: Page, codeIndex: number): Promise<number> {
  return page.evaluate((i: number) => {
    const J = (globalThis as any).Jupyter;
    const cell = J.notebook.get_cells().filter((c: any) => c.cell_type === "code")[i];
    return J.notebook.find_cell_index(cell);
  }, codeIndex);
}

/**
 * Replaces a code cell's text the way a learner does it: click into the editor, select all, and
 * insert the new text through the keyboard's text input (like a paste; CodeMirror's
 * auto-indent and bracket closing, which act on single key presses, do not change it).
 */
export async function typeIntoCell(page: Page, codeIndex: number, text: string): Promise<void> {
  const index = await notebookIndex(page, codeIndex);
  const editor = await page.evaluateHandle((i: number) => (globalThis as any).Jupyter.notebook.get_cell(i).element[0].querySelector(".CodeMirror-code"), index);
  await (editor as any).scrollIntoView?.();
  await (editor as any).click();
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.sendCharacter(text);
  await editor.dispose();
  const now = await page.evaluate((i: number) => (globalThis as any).Jupyter.notebook.get_cell(i).get_text(), index);
  if (now !== text) throw new Error(`the editor holds different text than was typed:\n${now}`);
}

/** Selects a code cell, presses Ctrl+Enter (run in place) and waits until it finished. */
export async function runCell(page: Page, codeIndex: number, timeoutMs = 120_000): Promise<void> {
  const index = await notebookIndex(page, codeIndex);
  await page.evaluate((i: number) => {
    const J = (globalThis as any).Jupyter;
    J.notebook.select(i);
    J.notebook.command_mode();
  }, index);
  await page.keyboard.down("Control");
  await page.keyboard.press("Enter");
  await page.keyboard.up("Control");
  // The key press is handled before it returns: the cell is queued ("*") or, if quick, done.
  await waitUntilSettled(page, timeoutMs);
}
