/**
 * The week 7 notebooks as a learner sees them: Debian's Jupyter Notebook 6 in Debian's Chromium.
 * Every solution notebook and every released notebook runs all its cells through the page; the
 * page must show no error and no stderr output, and every picture the notebook produces (the
 * count comes from nbclient's run of the same notebook, not from the page) as a loaded image or
 * SVG. Layout is measured where a person would see it: grids keep their rows, Korean captions
 * and labels wrap only between words, labels keep apart. Then three typical learner mistakes are
 * typed into the release, and the page must say where they are. One screenshot per notebook is
 * kept in test-artifacts/browser/.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Page } from "puppeteer-core";
import { loadAssignment } from "../../grader/assignment/load";
import { CellJson, codeCells, NotebookJson, REPO, text } from "../run/support";
import { launchChromium, TestBrowser } from "../support/browser";
import { CellView, openNotebook, runAllCells, runCell, screenshotCell, screenshotNotebook, sessionKernelName, typeIntoCell, viewCells } from "../support/classic-notebook";
import { NotebookServer, startNotebookServer } from "../support/jupyter-server";
import { repoTempDir } from "../support/repo-temp";
import { nbclientExecution, WEEK7, week7Release } from "../support/week7-runs";
import { pageLayout } from "./layout";

export const ARTIFACTS = path.join(REPO, "test-artifacts", "browser");

/** Pictures a code cell's outputs carry, as the classic notebook renders them. */
function expectedPictures(cell: CellJson): { imgs: number; svgs: number } {
  let imgs = 0;
  let svgs = 0;
  for (const o of cell.outputs ?? []) {
    const data = o.data ?? {};
    const html = text(data["text/html"] as string | string[] | undefined);
    // The classic notebook prefers text/html, then image/svg+xml, then image/png.
    if (html) imgs += (html.match(/<img\b/g) ?? []).length;
    else if (data["image/svg+xml"] !== undefined) svgs++;
    else if (data["image/png"] !== undefined) imgs++;
  }
  return { imgs, svgs };
}

function describeCell(c: CellView): string {
  return `code cell ${c.index + 1} (In [${c.prompt}]): ${c.source.split("\n")[0].slice(0, 80)}`;
}

/** Everything that must hold for a notebook that ran all its cells in the page. */
function assertRanCleanly(views: CellView[]): void {
  for (const c of views) {
    if (c.source.trim() === "") continue;
    assert.equal(typeof c.prompt, "number", `${describeCell(c)} did not run`);
    assert.deepEqual(c.errors, [], `${describeCell(c)} shows an error:\n${c.errors.join("\n").slice(0, 2000)}`);
    assert.deepEqual(c.stderr, [], `${describeCell(c)} shows stderr:\n${c.stderr.join("\n").slice(0, 2000)}`);
  }
}

function assertPicturesRendered(views: CellView[], reference: NotebookJson): void {
  const cells = codeCells(reference);
  assert.equal(views.length, cells.length, "the page and nbclient see the same code cells");
  let total = 0;
  for (const c of views) {
    const want = expectedPictures(cells[c.index]);
    total += want.imgs + want.svgs;
    assert.deepEqual({ imgs: c.imgs, svgs: c.svgs }, want, `${describeCell(c)}: rendered pictures`);
  }
  return void total;
}

interface OpenedNotebook {
  page: Page;
  views: CellView[];
  seconds: number;
}

describe("week 7 notebooks in a real browser (Jupyter Notebook 6 + Chromium)", function () {
  this.timeout(600_000);
  const assignment = loadAssignment(WEEK7);
  let root: string;
  let server: NotebookServer;
  let chromium: TestBrowser;
  const started = Date.now();

  before(async function () {
    this.timeout(120_000);
    rmSync(ARTIFACTS, { recursive: true, force: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page runs copies: the solutions as they are in the repository, the release as
    // `tsnb assign` wrote it. Both inside the repository, where kernels find node_modules.
    root = repoTempDir(".browser-test-");
    const release = await week7Release();
    mkdirSync(path.join(root, "solution"));
    for (const f of readdirSync(WEEK7).filter((f) => f.endsWith(".ipynb") || f === "checks.ts")) cpSync(path.join(WEEK7, f), path.join(root, "solution", f));
    cpSync(release, path.join(root, "release"), { recursive: true });
    // A kernelspec left in the user's folders, under the notebooks' kernel name, must not win.
    const kernelName = (assignment.notebooks[0].notebook.metadata as { kernelspec: { name: string } }).kernelspec.name;
    server = await startNotebookServer({
      root,
      homeFiles: {
        [`.local/share/jupyter/kernels/${kernelName}/kernel.json`]: JSON.stringify({ argv: ["false", "{connection_file}"], display_name: "DECOY user kernel", language: "typescript" }),
      },
    });
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    console.log(`      browser test: ${((Date.now() - started) / 1000).toFixed(0)} s in all; screenshots in ${path.relative(REPO, ARTIFACTS)}/`);
  });

  it("the server resolves the notebooks' kernelspec from its own data folder, written by tsnb kernel install", () => {
    const names = new Set(assignment.notebooks.map((nb) => (nb.notebook.metadata as { kernelspec: { name: string } }).kernelspec.name));
    const specs = server.kernelSpecs();
    for (const name of names) {
      const spec = specs.find((s) => s.name === name);
      assert.ok(spec, `kernelspec ${name} is missing; Jupyter sees ${specs.map((s) => s.name).join(", ")}`);
      assert.ok(spec.resourceDir.startsWith(server.dataDir + path.sep), `${name} resolved from ${spec.resourceDir}`);
      assert.notEqual(spec.display_name, "DECOY user kernel");
    }
  });

  /** Opens a notebook below the served root, runs all cells, and screenshots it (also on failure). */
  async function openAndRun(relative: string, shot: string, timeoutMs: number): Promise<OpenedNotebook> {
    const page = await chromium.browser.newPage();
    const t0 = Date.now();
    try {
      await openNotebook(page, server.notebookUrl(relative));
      await runAllCells(page, timeoutMs);
      const views = await viewCells(page);
      return { page, views, seconds: (Date.now() - t0) / 1000 };
    } finally {
      await screenshotNotebook(page, path.join(ARTIFACTS, shot)).catch(() => undefined);
    }
  }

  async function closeNotebook(opened: OpenedNotebook | undefined): Promise<void> {
    if (!opened) return;
    const { page } = opened;
    // Shut the kernel down with the page, so kernels do not pile up on a 2-core machine.
    const kernelId = await page.evaluate(() => String((globalThis as any).Jupyter.notebook.kernel.id)).catch(() => undefined);
    await page.close();
    if (kernelId) await server.api(`api/kernels/${kernelId}`, { method: "DELETE" }).catch(() => undefined);
  }

  for (const kind of ["solution", "release"] as const) {
    for (const nb of assignment.notebooks) {
      const stem = nb.file.replace(/\.ipynb$/, "");
      describe(`${kind}: ${nb.file}`, () => {
        let opened: OpenedNotebook | undefined;
        let reference: NotebookJson;
        before(async function () {
          this.timeout(600_000);
          const file = kind === "solution" ? nb.path : path.join(await week7Release(), nb.file);
          // nbclient runs the same notebook meanwhile, for the expected pictures.
          const nbclient = nbclientExecution(file);
          opened = await openAndRun(path.join(kind, nb.file), `${kind}-${stem}.png`, 420_000);
          reference = (await nbclient).notebook;
          console.log(`      ${kind} ${nb.file}: Run All took ${opened.seconds.toFixed(1)} s in the browser`);
        });
        after(() => closeNotebook(opened));

        it("runs on the kit's kernelspec; every code cell ran, with no error and no stderr output", async () => {
          assert.equal(await sessionKernelName(opened!.page), (nb.notebook.metadata as { kernelspec: { name: string } }).kernelspec.name);
          assertRanCleanly(opened!.views);
        });

        it("shows every picture and chart of nbclient's run as a loaded img or svg", () => {
          assertPicturesRendered(opened!.views, reference);
        });

        it("lays out what it shows: Markdown, captions, grids and labels", async () => {
          const layout = await pageLayout(opened!.page);
          assert.deepEqual(layout.strikethrough, [], "Markdown rendered as strikethrough");
          assert.deepEqual(layout.notKeepAll, [], "captions and cells that may break inside Korean words");
          assert.deepEqual(layout.brokenWords, [], "text wrapped inside a word");
          assert.deepEqual(layout.wrappedGridRows, [], "image grid rows that wrapped");
          assert.deepEqual(layout.overflowingGrids, [], "image grids wider than the output area");
          assert.deepEqual(layout.overlappingLabels, [], "image labels that touch or overlap");
        });
      });
    }
  }
});
