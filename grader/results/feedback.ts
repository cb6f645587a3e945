/**
 * The learner's feedback page: each exercise, its tests, the points and a short message, in the
 * grade's language. It is built only from learner-safe data (test names, sanitized messages, the
 * learner's own output), never from hidden test sources or stack traces.
 */
import { Language, message } from "@course-kit/kernel-helpers/messages";
import type { SubmissionGrade, TestOutcome } from "../grading/batch";
import type { ProblemKind } from "../submission/extract";

export function problemTitle(kind: ProblemKind, lang: Language): string {
  return message(lang, `problem.${kind}`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** A message as HTML: escaped, with its `code` spans (identifiers, formulas) set as code. */
function messageHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`\n]+)`/g, "<code>$1</code>");
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function exerciseSection(name: string, tests: TestOutcome[], lang: Language): string {
  const score = tests.reduce((s, t) => s + t.score, 0);
  const max = tests.reduce((s, t) => s + t.maxScore, 0);
  const rows = tests
    .map(
      (t) =>
        `<tr class="${t.passed ? "pass" : "fail"}"><td title="${message(lang, t.passed ? "feedback.passed" : "feedback.failed")}">${t.passed ? "✔" : "✘"}</td>` +
        `<td>${escapeHtml(t.title)}</td><td class="pts">${fmt(t.score)} / ${fmt(t.maxScore)}</td><td>${messageHtml(t.message)}</td></tr>`,
    )
    .join("\n");
  return `<section>
<h2><code>${escapeHtml(name)}</code> <span class="score">${fmt(score)} / ${fmt(max)}</span></h2>
<table><thead><tr><th></th><th>${message(lang, "feedback.test")}</th><th>${message(lang, "feedback.points")}</th><th>${message(lang, "feedback.message")}</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

export function feedbackHtml(grade: SubmissionGrade, assignmentName: string, exerciseOrder: string[]): string {
  const lang = grade.language;
  const groups = new Map<string, TestOutcome[]>();
  for (const name of exerciseOrder) groups.set(name, []);
  for (const t of grade.tests) {
    if (!groups.has(t.exercise)) groups.set(t.exercise, []);
    groups.get(t.exercise)!.push(t);
  }
  const sections = [...groups].filter(([, tests]) => tests.length).map(([name, tests]) => exerciseSection(name, tests, lang));
  const notes = grade.problems.length
    ? `<section class="notes"><h2>${message(lang, "feedback.notes")}</h2><ul>${grade.problems
        .map((p) => `<li><strong>${escapeHtml(problemTitle(p.kind, lang))}:</strong> ${messageHtml(p.message)}</li>`)
        .join("")}</ul></section>`
    : "";
  const fatal = grade.fatal ? `<p class="fatal">${escapeHtml(message(lang, "feedback.fatal", { reason: grade.fatal }))}</p>` : "";
  const output = grade.learnerOutput.trim()
    ? `<details><summary>${message(lang, "feedback.output")}</summary><pre>${escapeHtml(grade.learnerOutput.slice(0, 20000))}</pre></details>`
    : "";
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<title>${escapeHtml(assignmentName)} — ${escapeHtml(grade.name)}</title>
<style>
body { font-family: system-ui, "Noto Sans CJK KR", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; overflow-wrap: anywhere; }
/* Korean lines break between words (eojeol), not inside them; long code still wraps (overflow-wrap). */
:lang(ko) { word-break: keep-all; }
h1 .score, h2 .score { float: right; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; table-layout: fixed; }
th:nth-child(1) { width: 1.5rem; } th:nth-child(2) { width: 32%; } th:nth-child(3) { width: 4.5rem; }
td code { background: #f6f8fa; padding: 0 .2em; border-radius: 3px; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left; vertical-align: top; }
td.pts { white-space: nowrap; }
tr.pass td:first-child { color: #1a7f37; }
tr.fail td:first-child { color: #cf222e; }
.notes { background: #fff8c5; padding: .5rem 1rem; border-radius: 6px; }
.fatal { background: #ffebe9; padding: .75rem 1rem; border-radius: 6px; }
pre { background: #f6f8fa; padding: .75rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>${escapeHtml(assignmentName)} <span class="score">${fmt(grade.score)} / ${fmt(grade.maxScore)}</span></h1>
<p>${message(lang, "feedback.submission")} <code>${escapeHtml(grade.name)}</code></p>
${fatal}
${notes}
${sections.join("\n")}
${output}
</body>
</html>
`;
}
