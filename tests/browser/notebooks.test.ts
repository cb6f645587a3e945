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
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import type { Page } from "puppeteer-core";
import { loadAssignment } from "../../grader/assignment/load";
import { CellJson, codeCells, NotebookJson, REPO, text } from "../run/support";
import { launchChromium, TestBrowser } from "../support/browser";
import {
  CellView,
  openNotebook,
  runAllCells,
  runCell,
  screenshotCell,
  screenshotNotebook,
  sessionKernelName,
  typeIntoCell,
  viewCells,
} from "../support/classic-notebook";
import { NotebookServer, startNotebookServer } from "../support/jupyter-server";
import { repoTempDir } from "../support/repo-temp";
import { nbclientExecution, WEEK7, week7Release } from "../support/week7-runs";
import { pageLayout } from "../support/page-layout";

const ARTIFACTS = path.join(REPO, "test-artifacts", "browser");

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
  for (const c of views) {
    assert.deepEqual({ imgs: c.imgs, svgs: c.svgs }, expectedPictures(cells[c.index]), `${describeCell(c)}: rendered pictures`);
  }
}

/** The kernelspec a notebook names in its metadata (what Jupyter starts for it). */
function kernelNameOf(nb: { notebook: { metadata: unknown } }): string {
  return (nb.notebook.metadata as { kernelspec: { name: string } }).kernelspec.name;
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
    for (const f of readdirSync(WEEK7).filter((f) => f.endsWith(".ipynb") || f === "checks.ts" || f === "assignment.json"))
      cpSync(path.join(WEEK7, f), path.join(root, "solution", f));
    cpSync(release, path.join(root, "release"), { recursive: true });
    // A kernelspec left in the user's folders, under the notebooks' kernel name, must not win.
    server = await startNotebookServer({
      root,
      homeFiles: {
        [`.local/share/jupyter/kernels/${kernelNameOf(assignment.notebooks[0])}/kernel.json`]: JSON.stringify({
          argv: ["false", "{connection_file}"],
          display_name: "DECOY user kernel",
          language: "typescript",
        }),
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
    const names = new Set(assignment.notebooks.map(kernelNameOf));
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
      if (kind === "release" && nb.exercises.length === 0) {
        // Saves a second minute-long training run: without exercises the release runs the same code.
        it(`release: ${nb.file} has no exercises, so its code cells are the solution's (run above)`, async () => {
          const released = JSON.parse(readFileSync(path.join(await week7Release(), nb.file), "utf8")) as NotebookJson;
          const source = JSON.parse(readFileSync(nb.path, "utf8")) as NotebookJson;
          assert.deepEqual(
            codeCells(released).map((c) => text(c.source)),
            codeCells(source).map((c) => text(c.source)),
          );
        });
        continue;
      }
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
          const pictures = codeCells(reference)
            .map(expectedPictures)
            .reduce((sum, p) => sum + p.imgs + p.svgs, 0);
          console.log(`      ${kind} ${nb.file}: Run All took ${opened.seconds.toFixed(1)} s in the browser; ${pictures} img/svg expected`);
        });
        after(() => closeNotebook(opened));

        it("runs every code cell on the notebook's own kernel, with no error and no stderr output", async () => {
          assert.equal(await sessionKernelName(opened!.page), kernelNameOf(nb));
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

        it("says which TensorFlow.js backend it uses in plain words, not as an error", () => {
          for (const c of opened!.views.filter((v) => /\bselectBackend\(/.test(v.source))) {
            assert.match(
              c.text,
              /^TensorFlow\.js 백엔드: (wasm \(WebAssembly, CPU\)|tensorflow \(tfjs-node, 네이티브 TensorFlow\)|cpu \(순수 JavaScript, 느림\))/m,
              describeCell(c),
            );
            assert.doesNotMatch(c.text, /Cannot find module|error|not installed|failed/i, describeCell(c));
          }
        });

        if (kind === "solution" && stem === "01-conv-basics") {
          it("keeps the 3-image pooling comparison in one row", async () => {
            const grid = (await pageLayout(opened!.page)).grids.find((g) => g.name.includes("입력 28×28"));
            assert.ok(grid, "the pooling comparison grid is shown");
            assert.equal(grid.imageTops.length, 3);
            assert.equal(new Set(grid.imageTops).size, 1, `image tops ${grid.imageTops.join(", ")}`);
          });
        }

        if (kind === "release" && stem === "01-conv-basics") learnerMistakes(() => opened!.page);
      });
    }
  }

  /** Three typical mistakes typed into the release's exercise cells, then run as a learner would. */
  function learnerMistakes(page: () => Page): void {
    /** The code cell whose source contains `marker`. */
    async function cellWith(marker: string): Promise<CellView> {
      const found = (await viewCells(page())).find((c) => c.source.includes(marker));
      assert.ok(found, `no code cell contains ${marker}`);
      return found;
    }
    async function viewOf(index: number): Promise<CellView> {
      return (await viewCells(page()))[index];
    }
    const CONV_OUTPUT_SIZE = "function convOutputSize(inputSize: number, filterSize: number, stride: number, pad: number): number {";
    /** Types `lines` over the exercise cell that defines `name`, runs it and returns what it shows. */
    async function typeExercise(name: string, lines: string[]): Promise<CellView> {
      const exercise = await cellWith(`function ${name}(`);
      await typeIntoCell(page(), exercise.index, lines.join("\n"));
      await runCell(page(), exercise.index);
      return viewOf(exercise.index);
    }
    /** Frames that are not the learner's: the helper library, tslab, Node's vm and internals. */
    const NOT_LEARNER = /kernel-helpers|exercise-support|tslab|evalmachine|node:vm|node:internal|node_modules/;

    it("a wrong formula (no floor in convOutputSize): the check table fails and shows the learner's value", async () => {
      await typeExercise("convOutputSize", [CONV_OUTPUT_SIZE, "  return (inputSize + 2 * pad - filterSize) / stride + 1;", "}"]);
      const check = await cellWith('showChecks("convOutputSize"');
      await runCell(page(), check.index);
      const shown = await viewOf(check.index);
      await screenshotCell(page(), check.index, path.join(ARTIFACTS, "mistake-wrong-formula.png"));
      assert.deepEqual([shown.errors, shown.stderr], [[], []]);
      // 227 and 28 come out right by luck; (224 - 11) / 4 + 1 = 54.25; (3 - 5) / 1 + 1 = -1 throws nothing.
      // In Korean, week 7's language: the kernel reads the release's assignment.json.
      assert.match(shown.text, /convOutputSize: 공개 테스트 4개 중 2개 통과/);
      assert.match(shown.text, /✘ 실패\s+floor: 224, 11x11, stride 4, pad 0\s+기댓값 54, 반환값 54\.25/);
      assert.match(shown.text, /RangeError 예외를 던져야 하는데 예외 없이 값을 돌려줬습니다: -1/);
    });

    it("a type error (a string assigned to a number): one error output naming the cell and the line", async () => {
      const shown = await typeExercise("convOutputSize", [
        CONV_OUTPUT_SIZE,
        "  let size: number = inputSize + 2 * pad;",
        '  size = "n + 2p";',
        "  return Math.floor((size - filterSize) / stride) + 1;",
        "}",
      ]);
      await screenshotCell(page(), shown.index, path.join(ARTIFACTS, "mistake-type-error.png"));
      assert.deepEqual(shown.stderr, [], "the error is an error output, not stderr text");
      assert.equal(shown.errors.length, 1, `one error output; the cell shows:\n${shown.text}`);
      const error = shown.errors[0];
      assert.match(error, /Type 'string' is not assignable to type 'number'/);
      assert.match(error, new RegExp(`In \\[${shown.prompt}\\], line 3\\b`), error);
      assert.doesNotMatch(error, NOT_LEARNER);
    });

    it("a runtime error (reading past the array's edge in conv2dForward): the traceback names the learner's cell and line only", async () => {
      const code = [
        "function conv2dForward(x: Tensor4, w: Filter4, b: number[], stride: number, pad: number): Tensor4 {",
        '  const [N, H, W, C] = shape4(x, "x");',
        '  const [KH, KW, , COUT] = shape4(w, "w");',
        "  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1;",
        "  const OW = Math.floor((W + 2 * pad - KW) / stride) + 1;",
        "  const out = zeros4([N, OH, OW, COUT]);",
        "  for (let n = 0; n < N; n++)",
        "    for (let oh = 0; oh < OH; oh++)",
        "      for (let ow = 0; ow < OW; ow++)",
        "        for (let co = 0; co < COUT; co++) {",
        "          let sum = b[co];",
        "          for (let kh = 0; kh < KH; kh++)",
        "            for (let kw = 0; kw < KW; kw++)",
        "              for (let c = 0; c < C; c++)",
        "                sum += x[n][oh * stride - pad + kh][ow * stride - pad + kw][c] * w[kh][kw][c][co]; // padding: outside x",
        "          out[n][oh][ow][co] = sum;",
        "        }",
        "  return out;",
        "}",
      ];
      const badLine = code.findIndex((l) => l.includes("sum += x[n]")) + 1;
      const defined = await typeExercise("conv2dForward", code);
      assert.deepEqual([defined.errors, defined.stderr], [[], []], "the function itself compiles");

      // The check cell catches the error per case: the padded case fails, the unpadded ones pass.
      const check = await cellWith('showChecks("conv2dForward"');
      await runCell(page(), check.index);
      const table = await viewOf(check.index);
      assert.match(table.text, /conv2dForward: 공개 테스트 3개 중 2개 통과/);
      assert.match(table.text, /✘ 실패\s+2x5x5x2 \* 3x3x2x3, stride 2, pad 1\s+TypeError 예외를 던졌습니다/);

      // A demo cell calls it with pad 1, and the error reaches the learner as an error output.
      const demo = await cellWith("showFeatureMaps(maps");
      await runCell(page(), demo.index);
      const shown = await viewOf(demo.index);
      await screenshotCell(page(), demo.index, path.join(ARTIFACTS, "mistake-runtime-error.png"));
      assert.deepEqual(shown.stderr, [], "the error is an error output, not stderr text");
      assert.equal(shown.errors.length, 1, `one error output; the cell shows:\n${shown.text}`);
      const error = shown.errors[0];
      assert.match(error, /TypeError/);
      assert.match(error, new RegExp(`In \\[${defined.prompt}\\], line ${badLine}, in conv2dForward`), error);
      assert.doesNotMatch(error, NOT_LEARNER);
    });
  }
});
