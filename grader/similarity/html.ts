/**
 * similarity.html: one self-contained page (inline CSS and SVG, no script, a CSP that forbids
 * every fetch) for the instructor. It summarises each exercise, lists the pairs flagged in
 * several exercises, and per exercise shows the histogram of pair scores and the top pairs with
 * their code side by side, the fragments they share highlighted. Learner code and names are
 * untrusted and always escaped.
 */
import { escapeHtml } from "../results/feedback";
import { selfContainedPage } from "../results/page";
import { ExerciseResult, flaggedEntries, pairAt, pairIndex, RankedPair, SimilarityReport } from "./analyze";
import type { SharedFragment } from "./compare";
import { Grades } from "./grades";
import { histogramSvg } from "./histogram";
import { commentRanges, Span } from "./tokens";

const STYLE = `
body { font: 14px/1.45 system-ui, "Noto Sans CJK KR", sans-serif; margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem; color: #1d232a; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #dde3ea; padding-bottom: .2rem; }
.muted { color: #5b6673; } code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
table { border-collapse: collapse; margin: .6rem 0; } th, td { padding: .25rem .6rem; border-bottom: 1px solid #e4e8ee; text-align: left; vertical-align: top; }
th { background: #f3f5f8; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.flag { color: #fff; background: #c62828; border-radius: 3px; padding: 0 .35rem; font-size: .8rem; font-weight: 600; }
tr.flagged td { background: #fdecea; }
.histogram .bar { fill: #8fa3b8; } .histogram .bar.flagged { fill: #c62828; } .histogram .axis { stroke: #333; }
.histogram .grid { stroke: #e6e9ee; } .histogram .median { stroke: #1565c0; stroke-dasharray: 4 3; stroke-width: 2; }
.histogram .threshold { stroke: #c62828; stroke-width: 2; } .histogram .rug { stroke: #c62828; stroke-width: 2; } .histogram .label { font-size: 11px; fill: #444; }
details.pair { border: 1px solid #d5dbe3; border-radius: 6px; margin: .8rem 0; padding: .3rem .8rem; }
details.pair[open] { padding-bottom: .8rem; } details.pair summary { cursor: pointer; font-weight: 600; padding: .3rem 0; }
.side { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: .8rem; }
.side h4 { margin: .4rem 0; font-size: .9rem; }
ol.code { font: 12px/1.5 ui-monospace, "DejaVu Sans Mono", "Noto Sans Mono CJK KR", monospace; background: #f8f9fb; border: 1px solid #e1e5eb;
  margin: 0; padding: .4rem .4rem .4rem 3.2rem; overflow-x: auto; max-height: 34rem; overflow-y: auto; white-space: pre; }
ol.code li { padding-left: .4rem; } ol.code li::marker { color: #9aa5b1; }
mark.shared { background: #fff1b8; } mark.longest { background: #ffb74d; }
.legend mark { padding: 0 .4rem; }
`;

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "–";
}

function pairId(p: RankedPair): string {
  return `pair-${p.exercise}-${p.rank}`;
}

/** The source as numbered lines, the shared fragments marked and the longest one marked strongest. */
function codeBlock(source: string, spans: Span[], comments: [number, number][]): string {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
  const offset = (row: number, col: number) => Math.min(source.length, starts[Math.min(row, starts.length - 1)] + col);
  const marks = new Uint8Array(source.length);
  spans.forEach((span, i) => {
    const from = offset(span.startRow, span.startCol);
    const to = offset(span.endRow, span.endCol);
    for (let c = from; c < to; c++) marks[c] = Math.max(marks[c], i === 0 ? 2 : 1);
  });
  // Comments never count, and a line's indentation and trailing blanks are not part of a match.
  for (const [from, to] of comments) marks.fill(0, from, to);
  const blank = (c: number) => source.charCodeAt(c) <= 32;
  const lines = starts.map((start, i) => {
    const end = i + 1 < starts.length ? starts[i + 1] - 1 : source.length;
    let first = start;
    while (first < end && (blank(first) || !marks[first])) marks[first++] = 0;
    let last = end - 1;
    while (last >= first && (blank(last) || !marks[last])) marks[last--] = 0;
    let html = "";
    for (let c = start; c < end;) {
      let stop = c + 1;
      while (stop < end && marks[stop] === marks[c]) stop++;
      const text = escapeHtml(source.slice(c, stop));
      html += marks[c] === 0 ? text : `<mark class="${marks[c] === 2 ? "longest" : "shared"}">${text}</mark>`;
      c = stop;
    }
    return `<li>${html}</li>`;
  });
  return `<ol class="code">${lines.join("")}</ol>`;
}

function lineRange(span: Span | undefined): string {
  if (!span) return "";
  return span.startRow === span.endRow ? `line ${span.startRow + 1}` : `lines ${span.startRow + 1}–${span.endRow + 1}`;
}

function pointsOf(grades: Grades | undefined, learner: string, exercise: string): string {
  const p = grades?.points.get(learner)?.get(exercise);
  return p === undefined ? "–" : `${p} / ${grades!.maxPoints.get(exercise) ?? "?"}`;
}

function otherExercises(report: SimilarityReport, p: RankedPair, lookup: ReturnType<typeof pairIndex>, grades?: Grades): string {
  const rows = report.exercises.map((ex) => {
    const name = ex.exercise.name;
    const here = name === p.exercise;
    const other = here ? p : lookup(ex, p.a, p.b);
    const reason = (learner: string) => (ex.missing.includes(learner) ? "no cell" : ex.withoutOwnCode.includes(learner) ? "stub" : "");
    const cells = other
      ? `<td class="num">${fixed(other.similarity, 3)}</td><td class="num">${other.rank} / ${ex.pairs.count}</td><td class="num">${fixed(other.z, 1)}</td><td>${other.flagged ? '<span class="flag">flagged</span>' : ""}</td>`
      : `<td colspan="4" class="muted">not compared (${escapeHtml([reason(p.a) && `${p.a}: ${reason(p.a)}`, reason(p.b) && `${p.b}: ${reason(p.b)}`].filter(Boolean).join(", "))})</td>`;
    const gradeCells = grades
      ? `<td class="num">${escapeHtml(pointsOf(grades, p.a, name))}</td><td class="num">${escapeHtml(pointsOf(grades, p.b, name))}</td>`
      : "";
    return `<tr class="${other?.flagged ? "flagged" : ""}"><td><code>${escapeHtml(name)}</code>${here ? " (this one)" : ""}</td>${cells}${gradeCells}</tr>`;
  });
  const gradeHead = grades ? `<th class="num">${escapeHtml(p.a)}'s points</th><th class="num">${escapeHtml(p.b)}'s points</th>` : "";
  return `<table><thead><tr><th>exercise</th><th class="num">similarity</th><th class="num">rank</th><th class="num">robust z</th><th></th>${gradeHead}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

type Comments = (source: string) => [number, number][];

function pairCard(
  report: SimilarityReport,
  ex: ExerciseResult,
  p: RankedPair,
  lookup: ReturnType<typeof pairIndex>,
  comments: Comments,
  grades?: Grades,
): string {
  const fragments: SharedFragment[] = p.fragments ?? [];
  const longest = fragments[0];
  const title =
    `#${p.rank} <code>${escapeHtml(p.a)}</code> ↔ <code>${escapeHtml(p.b)}</code> · similarity ${fixed(p.similarity, 3)} · robust z ${fixed(p.z, 1)}` +
    (p.flagged ? ' <span class="flag">flagged</span>' : "");
  const longestText = longest
    ? `Longest shared fragment: ${longest.length} fingerprint${longest.length === 1 ? "" : "s"}, ${lineRange(longest.a)} of ${escapeHtml(p.a)} and ${lineRange(longest.b)} of ${escapeHtml(p.b)}; ${fragments.length} shared fragment${fragments.length === 1 ? "" : "s"} in all.`
    : "No shared fragment.";
  return `<details class="pair" id="${escapeHtml(pairId(p))}"${p.flagged || p.rank === 1 ? " open" : ""}>
<summary>${title}</summary>
<p>${longestText}</p>
<p class="legend muted"><mark class="longest">longest shared fragment</mark> <mark class="shared">other shared fragments</mark> (the released stub is ignored)</p>
<div class="side">
<div><h4>${escapeHtml(p.a)}</h4>${codeBlock(
    ex.sources.get(p.a) ?? "",
    fragments.map((f) => f.a),
    comments(ex.sources.get(p.a) ?? ""),
  )}</div>
<div><h4>${escapeHtml(p.b)}</h4>${codeBlock(
    ex.sources.get(p.b) ?? "",
    fragments.map((f) => f.b),
    comments(ex.sources.get(p.b) ?? ""),
  )}</div>
</div>
<h4>The same two learners in every exercise</h4>
${otherExercises(report, p, lookup, grades)}
</details>`;
}

function exerciseSection(report: SimilarityReport, ex: ExerciseResult, lookup: ReturnType<typeof pairIndex>, comments: Comments, grades?: Grades): string {
  const name = ex.exercise.name;
  const flagged = flaggedEntries(ex).map((i) => ex.pairs.similarity[i]);
  const svg = histogramSvg({
    similarities: ex.pairs.similarity,
    median: ex.spread.median,
    threshold: ex.spread.threshold,
    flagged,
    title: `${name}: similarity of ${ex.pairs.count} pairs`,
  });
  const rule =
    ex.spread.threshold === undefined
      ? `Too few pairs (${ex.pairs.count}) to estimate the class's spread: nothing is flagged.`
      : `Median ${fixed(ex.spread.median, 3)} (dashed); pairs from ${fixed(ex.spread.threshold, 3)} (red line, robust z ≥ ${report.options.minZ}) are flagged: ${flagged.length}.`;
  const hidden = flagged.length - ex.detailed.filter((p) => p.flagged).length;
  const shown = hidden > 0 ? `<p class="muted">${hidden} more flagged pairs are in similarity.csv.</p>` : "";
  const notCompared = [
    ex.withoutOwnCode.length ? `${ex.withoutOwnCode.length} left it as the stub (${escapeHtml(ex.withoutOwnCode.join(", "))})` : "",
    ex.missing.length ? `${ex.missing.length} have no cell for it (${escapeHtml(ex.missing.join(", "))})` : "",
  ].filter(Boolean);
  return `<section id="ex-${escapeHtml(name)}">
<h2><code>${escapeHtml(name)}</code></h2>
<p>${ex.compared.length} learners compared, ${ex.pairs.count} pairs.${notCompared.length ? ` Not compared: ${notCompared.join("; ")}.` : ""}</p>
${svg}
<p>${rule}</p>
${shown}
${ex.detailed.map((p) => pairCard(report, ex, p, lookup, comments, grades)).join("\n")}
</section>`;
}

function summaryTable(report: SimilarityReport): string {
  const rows = report.exercises.map((ex) => {
    const flagged = flaggedEntries(ex).length;
    return (
      `<tr><td><a href="#ex-${escapeHtml(ex.exercise.name)}"><code>${escapeHtml(ex.exercise.name)}</code></a></td>` +
      `<td class="num">${ex.compared.length}</td><td class="num">${ex.withoutOwnCode.length + ex.missing.length}</td><td class="num">${ex.pairs.count}</td>` +
      `<td class="num">${fixed(ex.spread.median, 3)}</td><td class="num">${ex.spread.threshold === undefined ? "–" : fixed(ex.spread.threshold, 3)}</td>` +
      `<td class="num">${ex.pairs.count ? fixed(ex.pairs.similarity[0], 3) : "–"}</td><td class="num">${flagged ? `<span class="flag">${flagged}</span>` : "0"}</td></tr>`
    );
  });
  return `<table class="summary"><thead><tr><th>exercise</th><th class="num">compared</th><th class="num">not compared</th><th class="num">pairs</th><th class="num">median</th><th class="num">flagged from</th><th class="num">top pair</th><th class="num">flagged</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** Learner pairs flagged in at least one exercise, those flagged in most exercises first. */
export function repeatOffenders(report: SimilarityReport): { a: string; b: string; pairs: RankedPair[] }[] {
  const byPair = new Map<string, { a: string; b: string; pairs: RankedPair[] }>();
  for (const ex of report.exercises) {
    for (const i of flaggedEntries(ex)) {
      const p = pairAt(report, ex, i);
      const [a, b] = p.a < p.b ? [p.a, p.b] : [p.b, p.a];
      const key = `${a}\u0000${b}`;
      if (!byPair.has(key)) byPair.set(key, { a, b, pairs: [] });
      byPair.get(key)!.pairs.push(p);
    }
  }
  const maxZ = (e: { pairs: RankedPair[] }) => Math.max(...e.pairs.map((p) => p.z));
  return [...byPair.values()].sort((x, y) => y.pairs.length - x.pairs.length || maxZ(y) - maxZ(x) || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : 1));
}

function offendersTable(report: SimilarityReport, limit = 40): string {
  const all = repeatOffenders(report);
  if (all.length === 0) return "<p>No pair is flagged in any exercise.</p>";
  const detailed = new Set(report.exercises.flatMap((ex) => ex.detailed.map(pairId)));
  const rows = all.slice(0, limit).map((o) => {
    const links = o.pairs
      .map(
        (p) =>
          (detailed.has(pairId(p))
            ? `<a href="#${escapeHtml(pairId(p))}"><code>${escapeHtml(p.exercise)}</code></a>`
            : `<code>${escapeHtml(p.exercise)}</code>`) + ` ${fixed(p.similarity, 2)}`,
      )
      .join(", ");
    return `<tr><td><code>${escapeHtml(o.a)}</code> ↔ <code>${escapeHtml(o.b)}</code></td><td class="num">${o.pairs.length} / ${report.exercises.length}</td><td>${links}</td></tr>`;
  });
  const more = all.length > limit ? `<p class="muted">${all.length - limit} more flagged pairs of learners are in similarity.csv.</p>` : "";
  return `<table><thead><tr><th>learners</th><th class="num">exercises flagged</th><th>where (similarity)</th></tr></thead><tbody>${rows.join("")}</tbody></table>${more}`;
}

export function similarityHtml(report: SimilarityReport, grades?: Grades): string {
  const lookup = pairIndex(report);
  const cache = new Map<string, [number, number][]>();
  const comments: Comments = (source) => {
    if (!cache.has(source)) cache.set(source, commentRanges(source));
    return cache.get(source)!;
  };
  const { dolos, minZ } = report.options;
  const unreadable = report.unreadable.length
    ? `<p><strong>Not read:</strong> ${report.unreadable.map((u) => `<code>${escapeHtml(u.learner)}</code> (${escapeHtml(u.message)})`).join("; ")}</p>`
    : "";
  const terms = [...new Set(report.archived.map((name) => name.slice(0, name.indexOf("/"))))];
  const archived = report.archived.length
    ? `, and ${report.archived.length} of earlier terms (${terms.map((t) => `<code>${escapeHtml(t)}/…</code>`).join(", ")}), each paired with this class's learners but not with each other`
    : "";
  const body = `<h1>Similarity of solutions: ${escapeHtml(report.assignment)}</h1>
<p class="muted">${report.learners.length - report.archived.length} submissions${archived}. Each exercise's solution cells (matched by grade_id) are compared pairwise with Dolos
(winnowing over syntax-tree tokens: names, literals, comments and layout do not count; k-grams of ${dolos.kgramLength} tokens, windows of ${dolos.kgramsInWindow}),
ignoring what is in the released stub. A pair is flagged when it stands at least ${minZ} robust standard deviations (median and MAD of −ln(1 − similarity))
above the pairs of the same exercise. A flag is a reason to read the code, not a verdict.</p>
${unreadable}
${summaryTable(report)}
<h2>Pairs of learners flagged</h2>
${offendersTable(report)}
${report.exercises.map((ex) => exerciseSection(report, ex, lookup, comments, grades)).join("\n")}`;
  return selfContainedPage({ lang: "en", title: `Similarity: ${report.assignment}`, style: STYLE, body });
}
