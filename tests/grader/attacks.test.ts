/**
 * Attacks and hostile inputs through `tsnb grade`, in one batch on the fixture assignment
 * (5 points: convOutputSize 3, relu4 2): learner code that reaches for the network, the
 * grader's secrets, processes and files, and submissions that are links to hidden tests, huge,
 * made of 10,000 cells, or nested a million levels deep. Each gets an exact score or a clear
 * refusal, and the rest of the batch is unharmed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { gradescopeResultsSchema, GradescopeResults } from "../../grader/results/gradescope";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const TSNB = path.join(ROOT, "bin", "tsnb.js");
const MINI = path.join(ROOT, "tests", "fixtures", "mini-assignment");
const HIDDEN_TEST = path.join(MINI, "hidden-tests", readdirSync(path.join(MINI, "hidden-tests"))[0]);
const RELU = "  return x.map((a) => a.map((b) => b.map((c) => c.map((v) => Math.max(0, v)))));";

type Nb = { cells: { source: string | string[]; metadata: { nbgrader?: { grade_id?: string } } }[] } & Record<string, unknown>;

function miniNotebook(edits: Record<string, string> = {}): Nb {
  const nb = JSON.parse(readFileSync(path.join(MINI, "mini.ipynb"), "utf8")) as Nb;
  for (const cell of nb.cells) {
    const id = cell.metadata.nbgrader?.grade_id;
    if (id && edits[id] !== undefined) cell.source = edits[id];
  }
  return nb;
}

function relu4(prefix: string): string {
  return `function relu4(x: Tensor4): Tensor4 {\n${prefix}\n${RELU}\n}`;
}

/** Every file under `dir`, recursively, as text. */
function allText(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .map((file) => ({ file, text: readFileSync(file, "utf8") }));
}

describe("tsnb grade against attacks and hostile submissions", function () {
  this.timeout(300_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-attacks-"));
  const subs = path.join(tmp, "subs");
  const out = path.join(tmp, "results");
  const secret = `TSNB-SECRET-${process.pid}-${Date.now()}`;
  const marker = path.join(tmp, "pwned");
  const results = new Map<string, GradescopeResults>();
  const connections: string[] = [];
  let server: net.Server;
  let run = { status: -1 as number | null, stdout: "", stderr: "" };

  const cases: { name: string; score: number }[] = [
    { name: "solution", score: 5 },
    { name: "attack-network", score: 5 },
    { name: "attack-secret", score: 3 },
    { name: "attack-system", score: 5 },
    { name: "symlink-folder", score: 0 },
    { name: "symlink-file", score: 0 },
    { name: "huge", score: 0 },
    { name: "many-cells", score: 5 },
    { name: "deep-json", score: 5 },
  ];

  before(async () => {
    server = net.createServer((s) => {
      connections.push(String(s.remoteAddress));
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    mkdirSync(subs);
    const write = (name: string, nb: Nb) => writeFileSync(path.join(subs, `${name}.ipynb`), JSON.stringify(nb));
    write("solution", miniNotebook());
    write(
      "attack-network",
      miniNotebook({
        relu4: relu4(
          [
            `  const g = globalThis as any;`,
            `  try { g.fetch("http://127.0.0.1:${port}/"); } catch {}`,
            `  try { require("net").connect(${port}, "127.0.0.1"); } catch {}`,
            `  try { require("http").get("http://127.0.0.1:${port}/"); } catch {}`,
            `  try { (function () {}).constructor("return process")().binding("tcp_wrap"); } catch {}`,
          ].join("\n"),
        ),
      }),
    );
    const hunt = [
      `  const found: string[] = [];`,
      `  const g = globalThis as any;`,
      `  const grab = (f: () => unknown) => { try { const v = f(); if (v !== undefined) found.push(typeof v === "string" ? v : JSON.stringify(v)); } catch (e) { found.push(String(e)); } };`,
      `  grab(() => g.process.env);`,
      `  grab(() => require("process").env);`,
      `  grab(() => (function () {}).constructor("return process")().env);`,
      `  for (const f of ["/proc/self/environ", "/proc/1/environ", "/proc/self/cmdline"]) grab(() => require("fs").readFileSync(f, "latin1"));`,
      `  grab(() => require("fs").readFileSync("/proc/" + g.process.ppid + "/cmdline", "latin1"));`,
      `  console.log("found:", found.join(" | "));`,
    ].join("\n");
    write("attack-secret", miniNotebook({ relu4: `function relu4(x: Tensor4): Tensor4 {\n${hunt}\n  throw new Error("found: " + found.join(" | "));\n}` }));
    write(
      "attack-system",
      miniNotebook({
        relu4: relu4(
          [
            `  const got: string[] = [];`,
            `  const g = globalThis as any;`,
            `  try { got.push(require("fs").readFileSync("/etc/passwd", "utf8")); } catch {}`,
            `  try { require("fs").writeFileSync(${JSON.stringify(marker)}, "x"); got.push("wrote"); } catch {}`,
            `  try { require("child_process").execSync("touch ${marker}"); got.push("spawned"); } catch {}`,
            `  try { g.process.binding("spawn_sync"); got.push("binding"); } catch {}`,
            `  try { got.push((function () {}).constructor("return process")().mainModule.require("fs").readFileSync("/etc/passwd", "utf8")); } catch {}`,
            `  if (got.length) throw new Error(got.join("\\n"));`,
          ].join("\n"),
        ),
      }),
    );
    // A folder whose notebook is a link to a hidden test, and a submission that is itself one.
    mkdirSync(path.join(subs, "symlink-folder"));
    symlinkSync(HIDDEN_TEST, path.join(subs, "symlink-folder", "mini.ipynb"));
    symlinkSync(HIDDEN_TEST, path.join(subs, "symlink-file.ipynb"));
    // 100 MB: a correct notebook with a huge markdown cell.
    const huge = miniNotebook();
    huge.cells.push({ cell_type: "markdown", metadata: {}, source: "x".repeat(100 * 1024 * 1024) } as unknown as Nb["cells"][number]);
    write("huge", huge);
    const many = miniNotebook();
    for (let i = 0; i < 10_000; i++)
      many.cells.push({
        cell_type: "code",
        metadata: {},
        source: `const cell${i} = ${i};`,
        outputs: [],
        execution_count: null,
      } as unknown as Nb["cells"][number]);
    write("many-cells", many);
    // A million levels of nesting in a cell's metadata (JSON.stringify could not even write it).
    const deep = miniNotebook();
    (deep.cells[0].metadata as Record<string, unknown>).deep = "__DEEP__";
    const depth = 1_000_000;
    writeFileSync(path.join(subs, "deep-json.ipynb"), JSON.stringify(deep).replace('"__DEEP__"', "[".repeat(depth) + "]".repeat(depth)));

    run = await new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          TSNB,
          "grade",
          MINI,
          ...cases.map((c) => path.join(subs, c.name.startsWith("symlink-folder") ? c.name : `${c.name}.ipynb`)),
          "--out",
          out,
          "--jobs",
          "2",
        ],
        {
          env: { ...process.env, FORCE_COLOR: "0", TSNB_TEST_SECRET: secret },
        },
      );
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("exit", (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(run.status, 0, run.stderr);
    for (const c of cases) results.set(c.name, gradescopeResultsSchema.parse(JSON.parse(readFileSync(path.join(out, c.name, "results.json"), "utf8"))));
  });

  after(() => {
    server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`${c.name}: scores exactly ${c.score} / 5`, () => {
      const r = results.get(c.name)!;
      assert.equal(r.score, c.score, `${r.output}\n${r.tests.map((t) => `${t.name}: ${t.output}`).join("\n")}`);
    });
  }

  it("records the isolation used in every results.json (bubblewrap here)", () => {
    for (const c of cases) assert.equal(results.get(c.name)!.extra_data.isolation, "bubblewrap", c.name);
    assert.match(run.stdout, /^Isolation: bubblewrap: no network/m);
  });

  it("the server on 127.0.0.1 receives nothing", () => {
    assert.deepEqual(connections, []);
  });

  it("the grader's secret appears in no output", () => {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), "in the grader's output");
    for (const { file, text } of allText(out)) assert.ok(!text.includes(secret), `in ${file}`);
    // The hunt itself ran and found nothing but failures.
    const relu = results.get("attack-secret")!.tests.find((t) => t.name.startsWith("relu4"))!;
    assert.match(relu.output, /relu4 threw Error: found: /);
  });

  it("starting processes, writing files and reading /etc/passwd all fail", () => {
    assert.ok(!existsSync(marker));
    for (const { file, text } of allText(out)) assert.doesNotMatch(text, /root:x?:0:0:/, file);
  });

  it("refuses links and a 100 MB notebook with a clear message; shows no hidden test", () => {
    assert.match(results.get("symlink-folder")!.output, /mini\.ipynb is a symbolic link; only regular files are graded/);
    assert.match(results.get("symlink-file")!.output, /symlink-file\.ipynb is a symbolic link; only regular files are graded/);
    assert.match(results.get("huge")!.output, /huge\.ipynb is 100\.0 MiB, more than the 64\.0 MiB a notebook may be/);
    assert.ok(statSync(path.join(subs, "huge.ipynb")).size > 100 * 1024 * 1024);
    const hiddenLines = readFileSync(HIDDEN_TEST, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 20);
    for (const { file, text } of allText(out)) for (const line of hiddenLines) assert.ok(!text.includes(line), `${file} shows hidden test line ${line}`);
  });

  it("lists every submission in grades.csv and the summary", () => {
    const csv = readFileSync(path.join(out, "grades.csv"), "utf8").trim().split("\n");
    assert.equal(csv.length, cases.length + 1);
    for (const c of cases) {
      assert.ok(
        csv.some((l) => l.startsWith(`${c.name},`) && l.endsWith(`,${c.score},5`)),
        c.name,
      );
      assert.match(run.stdout, new RegExp(`^${c.name}\\s.*\\b${c.score}/5\\b`, "m"));
    }
  });
});
