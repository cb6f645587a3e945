/**
 * tsnb similarity on a generated week 7 class (bench/similarity-class.ts): five learners with
 * genuinely different implementations of every exercise, five copiers who disguise another
 * learner's cells the usual ways, two learners who left everything as the stub, and two
 * independent learners who share pasted notes and scratch cells. The report is opened in
 * Chromium; screenshots are kept in test-artifacts/similarity/.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { File, FingerprintIndex, Region, TokenizedFile } from "@dodona/dolos-core";
import { loadAssignment } from "../../grader/assignment/load";
import { collectSolutions } from "../../grader/similarity/collect";
import { compareSolutions, DOLOS_DEFAULTS, pairsOf } from "../../grader/similarity/compare";
import { isFlagged, robustZ, spreadOf } from "../../grader/similarity/spread";
import { commentRanges, tokenizeTypeScript } from "../../grader/similarity/tokens";
import { forToWhile, renameIdentifiers, reorderStatements, rewriteComments } from "../../bench/disguise";
import { SimilarityClass, writeSimilarityClass } from "../../bench/similarity-class";
import { launchChromium } from "../support/browser";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const ARTIFACTS = path.join(ROOT, "test-artifacts", "similarity");

interface Row {
  exercise: string;
  rank: number;
  a: string;
  b: string;
  similarity: number;
  z: number;
  flagged: boolean;
  longest: string;
  linesA: string;
  points: [string, string] | undefined;
}

function readRows(file: string): Row[] {
  const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  const col = new Map(header.split(",").map((h, i) => [h, i]));
  return lines.map((line) => {
    const f = line.split(",");
    const get = (name: string) => f[col.get(name)!];
    return {
      exercise: get("exercise"),
      rank: Number(get("rank")),
      a: get("learner_a"),
      b: get("learner_b"),
      similarity: Number(get("similarity")),
      z: Number(get("robust_z")),
      flagged: get("flagged") === "1",
      longest: get("longest_fragment"),
      linesA: get("fragment_lines_a"),
      points: col.has("points_a") ? [get("points_a"), get("points_b")] : undefined,
    };
  });
}

describe("tsnb similarity", function () {
  this.timeout(300_000);
  const assignment = loadAssignment(WEEK7);
  const exercises = assignment.exercises.map((e) => e.name);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-similarity-"));
  const out = path.join(tmp, "report");
  let cls: SimilarityClass;
  let rows: Row[];
  const copyOf = (a: string, b: string) => cls.copies.some((c) => (c.copy === a && c.original === b) || (c.copy === b && c.original === a));
  const inputs = () => cls.learners.map((l) => cls.dirs.get(l)!);

  before(async () => {
    cls = await writeSimilarityClass(assignment, path.join(tmp, "class"));
    const r = tsnb(["similarity", WEEK7, ...inputs(), "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Flagged pairs/);
    rows = readRows(path.join(out, "similarity.csv"));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("ranks every disguised copy above every independent pair of the same exercise", () => {
    for (const ex of exercises) {
      const here = rows.filter((r) => r.exercise === ex);
      const copies = here.filter((r) => copyOf(r.a, r.b));
      const independent = here.filter((r) => !copyOf(r.a, r.b));
      assert.equal(copies.length, 5, ex);
      assert.equal(independent.length, 40, ex);
      const lowestCopy = Math.min(...copies.map((r) => r.similarity));
      const highestIndependent = Math.max(...independent.map((r) => r.similarity));
      assert.ok(lowestCopy > highestIndependent, `${ex}: a copy at ${lowestCopy} does not rank above an independent pair at ${highestIndependent}`);
      assert.deepEqual(
        copies.map((r) => r.rank).sort((x, y) => x - y),
        [1, 2, 3, 4, 5],
        ex,
      );
    }
  });

  it("the copies are really disguised: renamed, reordered, recommented and rewritten with while", () => {
    const solutions = collectSolutions(
      assignment,
      cls.learners.map((name) => ({ name, input: cls.dirs.get(name)! })),
    );
    const cell = (learner: string, ex: string) => solutions.exercises.find((e) => e.exercise.name === ex)!.solutions.find((s) => s.learner === learner)!.source;
    const tokens = (source: string) => tokenizeTypeScript(source).tokens.join(" ");
    const identifiers = (source: string) => new Set(source.match(/\b[A-Za-z_]\w*\b/g));
    const count = (pred: (ex: string) => boolean) => exercises.filter(pred).length;
    const original = (copy: string) => cls.copies.find((c) => c.copy === copy)!.original;
    const of = (copy: string) => (ex: string) => [cell(original(copy), ex), cell(copy, ex)];
    // Comments only: the same syntax tree, other text.
    assert.equal(
      count((ex) => {
        const [o, c] = of("copy-comments")(ex);
        return o !== c && tokens(o) === tokens(c);
      }),
      9,
    );
    // Renamed: the learner's own names are gone (shorthand properties gain a key, so the tree may grow).
    assert.equal(
      count((ex) => {
        const [o, c] = of("copy-renamed")(ex);
        return [...identifiers(o)].filter((i) => !identifiers(c).has(i)).length >= 3;
      }),
      9,
    );
    // Reordered and while loops change the tree itself.
    assert.ok(
      count((ex) => {
        const [o, c] = of("copy-reordered")(ex);
        return tokens(o) !== tokens(c);
      }) >= 6,
    );
    assert.ok(
      count((ex) => {
        const [o, c] = of("copy-while")(ex);
        return /\bwhile \(/.test(c) && !/\bwhile \(/.test(o);
      }) >= 6,
    );
    assert.ok(
      count((ex) => {
        const [o, c] = of("copy-all")(ex);
        return tokens(o) !== tokens(c);
      }) >= 8,
    );
  });

  it("flags pairs against each exercise's own spread: the copiers in (nearly) every exercise, independent learners at most once", () => {
    const flaggedIn = (a: string, b: string) => rows.filter((r) => r.flagged && ((r.a === a && r.b === b) || (r.a === b && r.b === a))).length;
    for (const c of new Set(cls.copies.map((c) => `${c.copy}|${c.original}`))) {
      const [copy, original] = c.split("|");
      assert.ok(flaggedIn(copy, original) >= 8, `${copy} and ${original} flagged in only ${flaggedIn(copy, original)} exercises`);
    }
    const independentFlags = rows.filter((r) => r.flagged && !copyOf(r.a, r.b));
    assert.ok(independentFlags.length <= 4, `independent pairs flagged: ${JSON.stringify(independentFlags)}`);
    for (const r of independentFlags) assert.ok(flaggedIn(r.a, r.b) <= 1);
    // No fixed threshold: some similarity is flagged in one exercise while a higher one is not in another.
    const adaptive = rows.some((f) => f.flagged && rows.some((u) => !u.flagged && u.exercise !== f.exercise && u.similarity > f.similarity));
    assert.ok(adaptive);
  });

  it("does not count the stub, the setup cells or the notebook's prose", () => {
    // Learners who left every exercise as the stub are in no pair at all.
    for (const stub of cls.stubs) assert.ok(!rows.some((r) => r.a === stub || r.b === stub), stub);
    const html = readFileSync(path.join(out, "similarity.html"), "utf8");
    assert.match(html, /left it as the stub \(stub-1, stub-2\)/);
    // Two independent learners share a pasted block of notes in every solution cell, a markdown
    // cell and a scratch code cell: never flagged, and their scores are those of their code alone.
    const [p, q] = cls.sharedProse;
    assert.ok(!rows.some((r) => r.flagged && [r.a, r.b].sort().join() === [p, q].sort().join()));
    const solutions = collectSolutions(
      assignment,
      [p, q].map((name) => ({ name, input: cls.dirs.get(name)! })),
    );
    for (const ex of solutions.exercises) {
      assert.ok(!ex.solutions.some((s) => s.source.includes("scratch: try the shapes")), "a scratch cell was compared");
      const withNotes = compareSolutions(ex.solutions, ex.template).similarity(0, 1);
      const withoutNotes = compareSolutions(
        ex.solutions.map((s) => ({
          ...s,
          source: s.source
            .split("\n")
            .filter((l) => !/study group notes|합성곱 층은|stride가 크면/.test(l))
            .join("\n"),
        })),
        ex.template,
      ).similarity(0, 1);
      assert.equal(withNotes, withoutNotes, ex.exercise.name);
      const row = rows.find((r) => r.exercise === ex.exercise.name && [r.a, r.b].sort().join() === [p, q].sort().join())!;
      assert.ok(Math.abs(row.similarity - withNotes) < 1e-4, ex.exercise.name);
    }
  });

  it("gives the same report from the released assignment as from the source", () => {
    const rel = path.join(tmp, "release");
    assert.equal(tsnb(["assign", WEEK7, "--out", rel]).status, 0);
    const out2 = path.join(tmp, "from-release");
    const r = tsnb(["similarity", path.join(rel, "week07-cnn"), ...inputs(), "--out", out2]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(path.join(out2, "similarity.csv"), "utf8"), readFileSync(path.join(out, "similarity.csv"), "utf8"));
  });

  it("--archive: this class's learners are paired with earlier terms' submissions, which are never paired with each other", () => {
    // Last year's class held the five originals; one of them was handed in again the year before.
    // This year's class holds the five disguised copies (and the two stubs).
    const originals = [...new Set(cls.copies.map((c) => c.original))];
    assert.equal(originals.length, 5);
    const term2025 = path.join(tmp, "archive", "2025");
    const term2024 = path.join(tmp, "archive", "2024");
    for (const o of originals) cpSync(cls.dirs.get(o)!, path.join(term2025, o), { recursive: true });
    cpSync(cls.dirs.get(originals[0])!, path.join(term2024, originals[0]), { recursive: true });
    const current = cls.learners.filter((l) => !originals.includes(l));
    const out2 = path.join(tmp, "with-archive");
    const r = tsnb(["similarity", WEEK7, ...current.map((l) => cls.dirs.get(l)!), "--archive", term2025, "--archive", term2024, "--out", out2]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Compared 7 submission\(s\) and 6 of earlier terms, 9 exercise\(s\)/m);

    const archived = (name: string) => /^(2025|2024)\//.test(name);
    const learner = (name: string) => name.replace(/^(2025|2024)\//, "");
    const copied = (row: Row) => copyOf(learner(row.a), learner(row.b));
    const all = readRows(path.join(out2, "similarity.csv"));
    assert.ok(all.length > 0);
    assert.deepEqual(
      all.filter((row) => archived(row.a) && archived(row.b)),
      [],
      "two earlier submissions are never paired (2025 and 2024 hold the same notebook)",
    );
    for (const ex of exercises) {
      const here = all.filter((row) => row.exercise === ex);
      // 5 copiers with code of their own, against each other (10) and against the 6 earlier submissions (30).
      assert.equal(here.length, 40, ex);
      const copies = here.filter(copied);
      assert.equal(copies.length, 6, ex);
      assert.ok(
        copies.every((row) => archived(row.a) !== archived(row.b)),
        `${ex}: every copy pair joins this class and an earlier term`,
      );
      assert.deepEqual(
        copies.map((row) => row.rank).sort((x, y) => x - y),
        [1, 2, 3, 4, 5, 6],
        `${ex}: the copies of earlier submissions rank above every other pair`,
      );
    }
    const flaggedCopies = all.filter((row) => row.flagged && copied(row)).length;
    assert.ok(flaggedCopies >= 6 * 8, `only ${flaggedCopies} of ${6 * 9} copy pairs flagged`);
    assert.match(
      readFileSync(path.join(out2, "similarity.html"), "utf8"),
      /7 submissions, and 6 of earlier terms \(<code>2025\/…<\/code>, <code>2024\/…<\/code>\)/,
    );

    const missing = tsnb(["similarity", WEEK7, ...current.map((l) => cls.dirs.get(l)!), "--archive", path.join(tmp, "no-such-term")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--archive .*no-such-term is not a folder/);
  });

  it("reports each shown pair's longest shared fragment and the same learners' other exercises", () => {
    const top = rows.filter((r) => r.rank === 1);
    assert.equal(top.length, exercises.length);
    for (const r of top) {
      assert.ok(Number(r.longest) > 0, `${r.exercise}: no longest fragment`);
      assert.match(r.linesA, /^\d+-\d+$/);
    }
    const html = readFileSync(path.join(out, "similarity.html"), "utf8");
    assert.match(html, /Longest shared fragment: \d+ fingerprints?, lines? \d+/);
    assert.match(html, /The same two learners in every exercise/);
  });

  it("renders a self-contained report in Chromium: histograms, side-by-side fragments, no network", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      const file = `file://${path.join(out, "similarity.html")}`;
      await page.goto(file, { waitUntil: "load" });
      assert.deepEqual(requests, [file], "the report fetched something besides itself");
      // Runs in the page; the project compiles without the DOM library, hence `any`.
      const facts = await page.evaluate(() => {
        const doc = (globalThis as any).document;
        const all = (root: any, selector: string): any[] => [...root.querySelectorAll(selector)];
        return {
          histograms: all(doc, "svg.histogram").length,
          bars: all(doc, "svg.histogram rect.bar").length,
          flaggedBars: all(doc, "svg.histogram rect.bar.flagged").length,
          summaryRows: all(doc, "table.summary tbody tr").length,
          openCards: all(doc, "details.pair[open]").map((d) => ({
            marked: all(d, ".side ol.code").map((ol) => all(ol, "mark.longest").length),
            // Both columns fit side by side: neither panel is wider than half the page.
            widths: all(d, ".side > div").map((div) => div.getBoundingClientRect().width as number),
          })),
          pageWidth: doc.documentElement.clientWidth as number,
        };
      });
      assert.equal(facts.histograms, exercises.length);
      assert.ok(facts.bars > exercises.length && facts.flaggedBars >= exercises.length);
      assert.equal(facts.summaryRows, exercises.length);
      assert.ok(facts.openCards.length >= 40);
      for (const card of facts.openCards) {
        assert.ok(
          card.marked.every((n) => n > 0),
          "a side without its longest fragment highlighted",
        );
        assert.ok(card.widths.every((w) => w < facts.pageWidth / 2));
      }
      await page.screenshot({ path: path.join(ARTIFACTS, "similarity-summary.png") });
      await page.goto(`${file}#ex-conv2dForward`);
      await page.screenshot({ path: path.join(ARTIFACTS, "similarity-conv2dForward.png") });
    } finally {
      await close();
    }
  });

  it("shows the learners' points from grades.csv; the independent implementations and the copies score full marks", () => {
    const graded = cls.learners.filter((l) => !cls.stubs.includes(l));
    const results = path.join(tmp, "results");
    const g = tsnb(["grade", WEEK7, ...graded.map((l) => cls.dirs.get(l)!), "--out", results, "--jobs", "2", "--no-typecheck"]);
    assert.equal(g.status, 0, g.stderr);
    const grades = readFileSync(path.join(results, "grades.csv"), "utf8").trim().split("\n").slice(1);
    assert.equal(grades.length, graded.length);
    for (const line of grades) assert.deepEqual(line.split(",").slice(-2), ["100", "100"], line);

    const out2 = path.join(tmp, "with-grades");
    const r = tsnb([
      "similarity",
      WEEK7,
      ...inputs(),
      "--out",
      out2,
      "--exercise",
      "conv2dForward,maxPoolForward",
      "--grades",
      path.join(results, "grades.csv"),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const withPoints = readRows(path.join(out2, "similarity.csv"));
    assert.deepEqual([...new Set(withPoints.map((w) => w.exercise))], ["conv2dForward", "maxPoolForward"]);
    for (const w of withPoints) assert.deepEqual(w.points, [w.exercise === "conv2dForward" ? "15" : "10", w.exercise === "conv2dForward" ? "15" : "10"]);
    assert.match(readFileSync(path.join(out2, "similarity.html"), "utf8"), /points<\/th>.*15 \/ 15/s);
  });

  it("--help, and clear errors on bad input", () => {
    const help = tsnb(["similarity", "--help"]);
    assert.equal(help.status, 0);
    for (const opt of ["--out", "--min-z", "--top", "--grades", "--exercise"]) assert.ok(help.stdout.includes(opt), opt);
    assert.match(tsnb(["--help"]).stdout, /similarity/);

    const some = inputs().slice(0, 3);
    const missing = tsnb(["similarity", path.join(tmp, "nope"), ...some]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /assignment folder not found/);
    const one = tsnb(["similarity", WEEK7, some[0]]);
    assert.equal(one.status, 2);
    assert.match(one.stderr, /at least two submissions/);
    const unknown = tsnb(["similarity", WEEK7, ...some, "--exercise", "conv3d"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no exercise conv3d .*conv2dForward/);
    const badGrades = path.join(tmp, "not-grades.csv");
    writeFileSync(badGrades, "name,score\nx,1\n");
    const g = tsnb(["similarity", WEEK7, ...some, "--grades", badGrades]);
    assert.equal(g.status, 2);
    assert.match(g.stderr, /not a grades\.csv written by tsnb grade/);
    assert.equal(tsnb(["similarity", WEEK7, ...some, "--min-z", "-1"]).status, 2);

    // Unreadable submissions are reported and skipped; the rest are compared.
    const broken = path.join(tmp, "broken.ipynb");
    writeFileSync(broken, "{ not json");
    const out3 = path.join(tmp, "with-broken");
    const r = tsnb(["similarity", WEEK7, ...some, broken, "--out", out3]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /broken: .*broken\.ipynb/);
    assert.ok(!readRows(path.join(out3, "similarity.csv")).some((row) => row.a === "broken" || row.b === "broken"));
    const allBroken = tsnb(["similarity", WEEK7, broken, broken]);
    assert.equal(allBroken.status, 2);
    assert.match(allBroken.stderr, /need at least two readable submissions/);
  });
});

describe("similarity building blocks", () => {
  const source = [
    "function f(a: number, b: number): number {",
    "  // sum a products",
    "  let s = 0;",
    "  for (let i = 0; i < a; i++) s += b * i;",
    "  return s;",
    "}",
  ].join("\n");

  it("tokens are node kinds: names, comments and blank lines do not change them, a while loop does", () => {
    const base = tokenizeTypeScript(source).tokens;
    assert.ok(base.includes("ForStatement") && !base.some((t) => /^[a-z]$/.test(t)));
    const renamed = source.replace(/\bs\b/g, "total").replace(/\bi\b/g, "k").replace("// sum a products", "\n\n  /* other words */\n");
    assert.deepEqual(tokenizeTypeScript(renamed).tokens, base);
    assert.deepEqual(tokenizeTypeScript(renameIdentifiers(source, "f")).tokens, base);
    assert.deepEqual(tokenizeTypeScript(rewriteComments(source, 1)).tokens, base);
    const looped = forToWhile(source);
    assert.match(looped, /while \(i < a\)/);
    assert.notDeepEqual(tokenizeTypeScript(looped).tokens, base);
  });

  it("token spans point at the node's own text, never at comments", () => {
    const { tokens, spans } = tokenizeTypeScript(source);
    const lines = source.split("\n");
    const text = (i: number) => {
      const s = spans[i];
      return s.startRow === s.endRow ? lines[s.startRow].slice(s.startCol, s.endCol) : "(several lines)";
    };
    assert.equal(text(tokens.indexOf("ForStatement")), "for (");
    assert.equal(text(tokens.indexOf("ReturnStatement")), "return");
    assert.equal(text(tokens.indexOf("Block")), "{");
    const [[from, to]] = commentRanges(source);
    assert.equal(source.slice(from, to), "// sum a products");
  });

  it("reorderStatements swaps independent declarations only", () => {
    const code = "function g(x: number) {\n  const a = x + 1;\n  const b = x * 2;\n  const c = a + b;\n  return c;\n}";
    const swapped = reorderStatements(code);
    assert.ok(swapped.indexOf("const b") < swapped.indexOf("const a"));
    assert.ok(swapped.indexOf("const c") > swapped.indexOf("const a"), "c depends on a and b and must stay after them");
  });

  it("the all-pairs similarity equals Dolos' own Pair.similarity", () => {
    const sources = ["conv2dForward/a-bounds-check", "conv2dForward/b-padded-copy", "maxPoolForward/a-spread-max", "maxPoolForward/c-first-element"].map((f) =>
      path.join(ROOT, "tests", "fixtures", "similarity-class", `${f}.ts`),
    );
    const solutions = sources.map((f, i) => ({ learner: `l${i}`, source: readFileSync(f, "utf8") }));
    // Without a template nothing is ignored, so Dolos' Pair.similarity needs no correction.
    const ours = compareSolutions(solutions, "");
    const index = new FingerprintIndex(DOLOS_DEFAULTS.kgramLength, DOLOS_DEFAULTS.kgramsInWindow);
    const files = solutions.map((s) => {
      const t = tokenizeTypeScript(s.source);
      return new TokenizedFile(
        new File(s.learner, s.source),
        t.tokens,
        t.spans.map((r) => new Region(r.startRow, r.startCol, r.endRow, r.endCol)),
      );
    });
    index.addFiles(files);
    const pairs = pairsOf(ours);
    assert.equal(pairs.length, (files.length * (files.length - 1)) / 2);
    for (const p of pairs) {
      const theirs = index.getPair(files[p.a], files[p.b]).similarity;
      assert.ok(Math.abs(p.similarity - theirs) < 1e-12, `${p.a}-${p.b}: ${p.similarity} against Dolos' ${theirs}`);
    }
  });

  it("the stub's code is ignored: a stub and a stub with renamed parameters have no code of their own", () => {
    const stub = 'function f(a: number): number {\n  // YOUR CODE HERE\n  throw new Error("f: not implemented yet");\n}\n';
    const r = compareSolutions(
      [
        { learner: "x", source: stub },
        { learner: "y", source: stub.replace(/\ba\b/g, "n") },
        { learner: "z", source: source },
      ],
      stub,
    );
    assert.deepEqual(r.withoutOwnCode, ["x", "y"]);
    assert.deepEqual(r.learners, ["z"]);
    assert.equal(pairsOf(r).length, 0);
  });

  it("robust z-scores use the median and MAD of -ln(1 - similarity)", () => {
    // Distances 0.1 ... 1.0 and 3.0: median 0.6, absolute deviations' median 0.3.
    const distances = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 3.0];
    const similarities = distances.map((d) => 1 - Math.exp(-d));
    const spread = spreadOf(similarities);
    const scale = 1.4826 * 0.3;
    assert.ok(Math.abs(spread.medianDistance - 0.6) < 1e-9);
    assert.ok(Math.abs(spread.scale - scale) < 1e-9);
    assert.ok(Math.abs(robustZ(similarities[10], spread) - 2.4 / scale) < 1e-9);
    assert.ok(isFlagged(similarities[10], spread) && !isFlagged(similarities[9], spread));
    assert.ok(Math.abs(spread.threshold! - (1 - Math.exp(-(0.6 + 3.5 * scale)))) < 1e-9);
    // Nine pairs (fewer than five learners) are too few to tell: nothing is flagged.
    assert.equal(spreadOf(similarities.slice(2)).threshold, undefined);
    // All alike but one: MAD is 0, the mean absolute deviation stands in.
    const flat = [...new Array(20).fill(0), 0.5];
    const flatSpread = spreadOf(flat);
    assert.ok(Math.abs(flatSpread.scale - (1.2533 * Math.log(2)) / 21) < 1e-9);
    assert.ok(isFlagged(0.5, flatSpread) && !isFlagged(0.01, flatSpread));
  });
});
