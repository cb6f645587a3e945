/**
 * The week 7 notebooks in real Jupyter: every source notebook runs top to bottom under Debian's
 * nbclient on the kit's kernel (the kernelspec the notebooks name), with no error output and no
 * stderr text, passes Python's nbformat validator, and prints what the notes promise. The
 * released notebooks (stubs) run top to bottom as well.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { createRelease } from "../../grader/assign/release";
import { loadAssignment } from "../../grader/assignment/load";
import { NOTEBOOK_KERNELSPEC } from "../../grader/kernel/kernelspec";
import { nbclientRun, CellJson, codeCells, NotebookJson, readJson, REPO, tempDir, text } from "../run/support";
import { assertValidNotebooks } from "../support/nbformat-validator";
import { repoTempDir } from "../support/repo-temp";
import { nbclientExecution } from "../support/week7-runs";

const WEEK7 = path.join(REPO, "notebooks", "week07-cnn");

function outputText(cell: CellJson): string {
  return (cell.outputs ?? [])
    .map((o) => (o.output_type === "stream" ? text(o.text) : text((o.data?.["text/plain"] as string | string[] | undefined) ?? "")))
    .join("");
}

function allText(nb: NotebookJson): string {
  return codeCells(nb).map(outputText).join("\n");
}

/** No error output and no stderr stream anywhere: the notebook ran cleanly. */
function assertClean(nb: NotebookJson, name: string): void {
  codeCells(nb).forEach((cell, i) => {
    for (const o of cell.outputs ?? []) {
      assert.notEqual(o.output_type, "error", `${name}, code cell ${i + 1}: ${o.ename}: ${o.evalue}`);
      assert.ok(!(o.output_type === "stream" && o.name === "stderr"), `${name}, code cell ${i + 1} wrote to stderr: ${text(o.text).slice(0, 500)}`);
    }
    assert.notEqual(cell.execution_count, null, `${name}, code cell ${i + 1} did not run`);
  });
}

describe("week 7 notebooks in Jupyter (nbclient, the kit's kernel)", function () {
  this.timeout(900_000);
  const assignment = loadAssignment(WEEK7);

  for (const nb of assignment.notebooks) {
    it(`${nb.file} runs top to bottom without an error or stderr, and stays a valid notebook`, async () => {
      const run = await nbclientExecution(nb.path);
      assert.equal(run.raised, null, JSON.stringify(run.raised));
      assertClean(run.notebook, nb.file);
      assertValidNotebooks(nb.path);
      console.log(`      ${nb.file}: ${run.seconds.toFixed(1)} s under nbclient`);
    });
  }

  it("every check cell in the solutions shows all public cases passing", async () => {
    for (const nb of assignment.notebooks.filter((n) => n.exercises.length)) {
      const out = allText((await nbclientExecution(nb.path)).notebook);
      // In Korean: the kernel reads the assignment's language from assignment.json in the notebook's folder.
      for (const ex of nb.exercises) assert.match(out, new RegExp(`${ex.name}: 공개 테스트 (\\d+)개 중 \\1개 통과`), `${nb.file}: ${ex.name}`);
    }
  });

  it("03 reproduces the published parameter counts", async () => {
    const out = allText((await nbclientExecution(path.join(WEEK7, "03-architectures.ipynb"))).notebook);
    for (const count of ["61,706", "138,357,544", "21,797,672", "25,557,032"]) assert.ok(out.includes(count), `missing ${count}`);
  });

  it("04 trains LeNet-5 offline to at least 97% test accuracy", async () => {
    const out = allText((await nbclientExecution(path.join(WEEK7, "04-training-transfer.ipynb"))).notebook);
    const m = /최종 test 정확도: ([\d.]+)%/.exec(out);
    assert.ok(m, "the notebook prints its final test accuracy");
    assert.ok(Number(m[1]) >= 97, `test accuracy ${m[1]}%`);
  });

  describe("the student release", () => {
    const root = repoTempDir(".notebooks-test-");
    after(() => rmSync(root, { recursive: true, force: true }));

    it("runs top to bottom in Jupyter: stubs throw only when called, check cells show failures", async () => {
      const release = await createRelease(assignment, root);
      for (const file of release.notebooks) {
        assert.deepEqual(readJson(file).metadata.kernelspec, NOTEBOOK_KERNELSPEC, `${path.basename(file)} names the kit's kernel`);
      }
      const outDir = tempDir("tsnb-release-run-");
      for (const file of release.notebooks.filter((f) => assignment.notebooks.find((n) => n.file === path.basename(f))!.exercises.length)) {
        const run = await nbclientRun(file, path.join(outDir, path.basename(file)), { processTimeoutMs: 900_000 });
        assert.equal(run.raised, null, `${path.basename(file)}: ${JSON.stringify(run.raised)}`);
        assertClean(run.notebook, path.basename(file));
        const out = allText(run.notebook);
        assert.match(out, /: 공개 테스트 \d+개 중 0개 통과/);
        assert.match(out, /\(건너뜀: \w+: not implemented yet — 연습 문제를 구현하면 이 셀의 결과가 보입니다\)/);
        assertValidNotebooks(file);
      }
    });
  });
});
