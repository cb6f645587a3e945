/**
 * report.html: the class report as one self-contained page for teaching assistants (inline CSS
 * and SVG, no script, a CSP that forbids every fetch), in the assignment's language. It renders
 * a ClassReport (model.ts) and computes nothing of its own. Learner names and messages are
 * untrusted and always escaped; feedback links are relative, so the results folder can be moved
 * or zipped whole.
 */
import { CATALOGUES, formatTemplate, Language, message, MessageKey } from "@course-kit/kernel-helpers/messages";
import { escapeHtml, problemTitle } from "../results/feedback";
import { selfContainedPage } from "../results/page";
import { feedbackPath } from "./model";
import type { ClassReport, ReportProblemKind } from "./schema";
import { columnChartSvg, rangeBarChartSvg } from "./svg";

/** Failure groups shown on the page; report.json has them all. */
const FAILURE_GROUPS_SHOWN = 15;
/** Names of ungraded submissions listed in a stopped run's notice; report.json has them all. */
const NOT_GRADED_SHOWN = 20;

const STYLE = `
body { font: 14px/1.45 system-ui, "Noto Sans CJK KR", sans-serif; margin: 1.5rem auto; max-width: 1100px; padding: 0 1rem; color: #1d232a; overflow-wrap: anywhere; }
:lang(ko) { word-break: keep-all; }
h1 { font-size: 1.5rem; margin-bottom: .3rem; } h2 { margin-top: 2rem; border-bottom: 2px solid #dde3ea; padding-bottom: .2rem; }
.muted { color: #5b6673; } code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; }
table { border-collapse: collapse; margin: .6rem 0; width: 100%; } th, td { padding: .25rem .6rem; border-bottom: 1px solid #e4e8ee; text-align: left; vertical-align: top; }
th { background: #f3f5f8; } .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.look { background: #eef4fb; border-radius: 6px; padding: .5rem 1rem; } .look li { margin: .2rem 0; }
.rate { display: inline-block; width: 6rem; height: .7rem; background: #e6e9ee; margin-right: .4rem; vertical-align: middle; }
.rate span { display: block; height: 100%; background: #3b78c3; }
tr.hard td { background: #fdf1ef; } .down { color: #b42318; font-weight: 600; } .up { color: #1a7f37; font-weight: 600; }
.tag { display: inline-block; background: #eef0f3; border-radius: 3px; padding: 0 .35rem; margin: 0 .2rem .1rem 0; font-size: .85em; }
.tag.problem { background: #fff1c2; }
.stopped { background: #fff1c2; border-left: 4px solid #b7791f; border-radius: 6px; padding: .5rem 1rem; margin-bottom: 1rem; }
.chart .mark { fill: #3b78c3; } .chart .grid { stroke: #e6e9ee; } .chart .axis { stroke: #333; } .chart .whisker { stroke: #1d232a; stroke-width: 1.5; }
.chart .label, .chart .value { font-size: 11px; fill: #444; }
ul.details { margin: 0; padding-left: 1.1rem; }
`;

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : (Math.round(n * 100) / 100).toString();
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

/** A message as HTML: escaped, its `code` spans set as code (as on the feedback page). */
function messageHtml(text: string): string {
  return escapeHtml(text).replace(/`([^`\n]+)`/g, "<code>$1</code>");
}

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  const cell = (tag: "th" | "td", html: string, i: number) => `<${tag}${numeric.includes(i) ? ' class="num"' : ""}>${html}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell("th", h, i)).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => cell("td", c, i)).join("")}</tr>`)
    .join("\n")}</tbody></table>`;
}

function problemName(kind: ReportProblemKind, lang: Language): string {
  return kind === "timeout" || kind === "grader-error" ? message(lang, `report.problem.${kind}`) : problemTitle(kind, lang);
}

class Page {
  constructor(
    readonly r: ClassReport,
    readonly lang: Language,
  ) {}

  /** A message by a key chosen at run time (its parameters are checked when filled). */
  t(key: MessageKey, params: Record<string, string | number> = {}): string {
    return escapeHtml(formatTemplate(CATALOGUES[this.lang][key], params, this.lang));
  }

  col(name: string): string {
    return this.t(`report.col.${name}` as MessageKey);
  }

  /** The notice of a run stopped part-way, above everything, so no number is read as the class's. */
  stopped(): string {
    const s = this.r.stopped;
    if (!s) return "";
    const shown = s.notGraded.slice(0, NOT_GRADED_SHOWN).join(", ");
    const names = s.notGraded.length > NOT_GRADED_SHOWN ? `${shown}, … +${s.notGraded.length - NOT_GRADED_SHOWN}` : shown;
    return `<section class="stopped" id="stopped" role="alert"><p>${this.t("report.stopped", {
      signal: s.signal,
      count: s.notGraded.length,
      names,
      done: this.r.submissions,
    })}</p></section>`;
  }

  firstLook(): string {
    const r = this.r;
    const items: string[] = [];
    const hardest = r.tests[0];
    if (hardest && hardest.failed > 0) {
      items.push(this.t("report.look.hardestTest", { test: hardest.name, passed: hardest.passed, total: hardest.passed + hardest.failed }));
    }
    const lowest = [...r.exercises].filter((e) => e.maxScore > 0).sort((a, b) => a.mean / a.maxScore - b.mean / b.maxScore)[0];
    if (lowest && lowest.mean < lowest.maxScore)
      items.push(this.t("report.look.lowestExercise", { exercise: lowest.name, mean: fmt(lowest.mean), max: fmt(lowest.maxScore), zero: lowest.zero }));
    if (r.misconceptions[0]) items.push(this.t("report.look.mistake", { id: r.misconceptions[0].id, count: r.misconceptions[0].learners.length }));
    const needsLook = new Set(r.problems.filter((p) => p.kind !== "type-error").flatMap((p) => p.learners.map((l) => l.name)));
    if (needsLook.size) items.push(this.t("report.look.problems", { count: needsLook.size }));
    if (items.length === 0) items.push(this.t("report.look.nothing"));
    return `<section class="look"><h2>${this.t("report.firstLook")}</h2><ul>${items.map((i) => `<li>${i}</li>`).join("")}</ul></section>`;
  }

  histogram(): string {
    const columns = this.r.histogram.map((b) => ({
      label: `${fmt(b.from)}–${fmt(b.to)}`,
      value: b.count,
      title: message(this.lang, "report.histogram.bar", { from: fmt(b.from), to: fmt(b.to), count: b.count }),
    }));
    const s = this.r.scores;
    const overview = this.t("report.overview", {
      submissions: this.r.submissions,
      graded: this.r.graded,
      mean: fmt(s.mean),
      max: fmt(this.r.maxScore),
      median: fmt(s.median),
      sd: fmt(s.sd),
      low: fmt(s.min),
      high: fmt(s.max),
    });
    return `<section id="scores"><h2>${this.t("report.histogram")}</h2><p>${overview}</p>${columnChartSvg(columns, message(this.lang, "report.histogram"), message(this.lang, "report.histogram.axis"))}</section>`;
  }

  exercises(): string {
    const bars = this.r.exercises.map((e) => {
      const max = e.maxScore || 1;
      return {
        label: e.name,
        value: e.mean / max,
        low: (e.mean - e.sd) / max,
        high: (e.mean + e.sd) / max,
        title: message(this.lang, "report.exercises.bar", { exercise: e.name, mean: fmt(e.mean), max: fmt(e.maxScore), sd: fmt(e.sd) }),
      };
    });
    const rows = this.r.exercises.map((e) => [
      code(e.name),
      fmt(e.maxScore),
      fmt(e.mean),
      fmt(e.median),
      fmt(e.sd),
      `${fmt(e.min)}–${fmt(e.max)}`,
      String(e.fullMarks),
      String(e.zero),
    ]);
    const head = ["exercise", "points", "mean", "median", "sd", "range", "fullMarks", "zero"].map((c) => this.col(c));
    return `<section id="exercises"><h2>${this.t("report.exercises")}</h2>${rangeBarChartSvg(bars, message(this.lang, "report.exercises.chart"), message(this.lang, "report.exercises.axis"))}${table(head, rows, [1, 2, 3, 4, 5, 6, 7])}</section>`;
  }

  tests(): string {
    const rows = this.r.tests.map((t) => {
      const total = t.passed + t.failed;
      const bar = `<span class="rate" title="${percent(t.passRate)}"><span style="width:${(t.passRate * 100).toFixed(1)}%"></span></span>`;
      const mistakes = t.misconceptions.map((m) => `<span class="tag">${escapeHtml(m.id)} × ${m.learners}</span>`).join("");
      return [escapeHtml(t.name), `${bar}${percent(t.passRate)} (${t.passed} / ${total})`, fmt(t.maxScore), mistakes];
    });
    return `<section id="tests"><h2>${this.t("report.tests")}</h2>${table(
      ["test", "passed", "points", "mistakes"].map((c) => this.col(c)),
      rows,
      [1, 2],
    )}</section>`;
  }

  failures(): string {
    const groups = this.r.failures;
    if (groups.length === 0) return `<section id="failures"><h2>${this.t("report.failures")}</h2><p>${this.t("report.failures.none")}</p></section>`;
    const rows = groups
      .slice(0, FAILURE_GROUPS_SHOWN)
      .map((g) => [messageHtml(g.example), String(g.failures), String(g.learners), g.tests.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join("")]);
    const more =
      groups.length > FAILURE_GROUPS_SHOWN ? `<p class="muted">${this.t("report.failures.more", { count: groups.length - FAILURE_GROUPS_SHOWN })}</p>` : "";
    return `<section id="failures"><h2>${this.t("report.failures")}</h2><p class="muted">${this.t("report.failures.note")}</p>${table(
      ["message", "failures", "learners", "tests"].map((c) => this.col(c)),
      rows,
      [1, 2],
    )}${more}</section>`;
  }

  mistakes(): string {
    const list = this.r.misconceptions;
    const body = list.length
      ? `<p class="muted">${this.t("report.mistakes.note")}</p>` +
        table(
          ["mistake", "learners", "example"].map((c) => this.col(c)),
          list.map((m) => [code(m.id), String(m.learners.length), messageHtml(m.example)]),
          [1],
        )
      : `<p>${this.t("report.mistakes.none")}</p>`;
    return `<section id="mistakes"><h2>${this.t("report.mistakes")}</h2>${body}</section>`;
  }

  problems(): string {
    if (this.r.problems.length === 0) return `<section id="problems"><h2>${this.t("report.problems")}</h2><p>${this.t("report.problems.none")}</p></section>`;
    const rows = this.r.problems.flatMap((p) =>
      p.learners.map((l) => [
        escapeHtml(problemName(p.kind, this.lang)),
        `<a href="${escapeHtml(feedbackPath(l.name))}">${escapeHtml(l.name)}</a>`,
        `<ul class="details">${l.details.map((d) => `<li>${messageHtml(d)}</li>`).join("")}</ul>`,
      ]),
    );
    return `<section id="problems"><h2>${this.t("report.problems")}</h2>${table(
      ["problem", "submission", "details"].map((c) => this.col(c)),
      rows,
    )}</section>`;
  }

  regrade(): string {
    const d = this.r.regrade;
    if (!d) return "";
    const status = (s: "passed" | "failed" | "absent") => this.t(`report.status.${s}`);
    const rows = d.changed.map((c) => {
      const delta = c.newScore - c.oldScore;
      return [
        `<a href="${escapeHtml(feedbackPath(c.name))}">${escapeHtml(c.name)}</a>`,
        fmt(c.oldScore),
        fmt(c.newScore),
        `<span class="${delta < 0 ? "down" : "up"}">${delta > 0 ? "+" : ""}${fmt(delta)}</span>`,
        `<ul class="details">${c.tests.map((t) => `<li>${escapeHtml(t.name)}: ${status(t.old)} → ${status(t.new)}</li>`).join("")}</ul>`,
      ];
    });
    const notes = [
      d.sameScoreOtherTests.length ? this.t("report.regrade.sameScore", { names: d.sameScoreOtherTests.join(", ") }) : "",
      d.onlyInPrevious.length ? this.t("report.regrade.onlyPrevious", { names: d.onlyInPrevious.join(", ") }) : "",
      d.onlyInNew.length ? this.t("report.regrade.onlyNew", { names: d.onlyInNew.join(", ") }) : "",
    ].filter(Boolean);
    return `<section id="regrade"><h2>${this.t("report.regrade", { previous: d.previous })}</h2><p>${this.t("report.regrade.summary", { changed: d.changed.length, compared: d.compared })}</p>${
      rows.length
        ? table(
            ["submission", "old", "new", "change", "changedTests"].map((c) => this.col(c)),
            rows,
            [1, 2, 3],
          )
        : ""
    }${notes.map((n) => `<p class="muted">${n}</p>`).join("")}</section>`;
  }

  learners(): string {
    const rows = this.r.learners.map((l) => [
      escapeHtml(l.name),
      `${fmt(l.score)} / ${fmt(l.maxScore)}`,
      [
        ...l.problems.map((k) => `<span class="tag problem">${escapeHtml(problemName(k, this.lang))}</span>`),
        ...l.misconceptions.map((m) => `<span class="tag">${escapeHtml(m)}</span>`),
      ].join(""),
      `<a class="feedback" href="${escapeHtml(l.feedback)}">${this.t("report.feedbackLink")}</a>`,
    ]);
    return `<section id="learners"><h2>${this.t("report.learners")}</h2>${table(
      ["submission", "score", "notes", "feedback"].map((c) => this.col(c)),
      rows,
      [1],
    )}</section>`;
  }

  grading(): string {
    const r = this.r;
    const lines = [this.t("report.isolation", { summary: r.isolation.summary }), this.t("report.grader", { version: r.grader, language: r.language })];
    const tm = r.timings;
    let timing = "";
    if (tm) {
      // Marked, as the one part of the page that changes between runs (gone with --no-timings).
      timing = `<p class="timing">${
        tm.graded
          ? this.t("report.timing", {
              graded: tm.graded,
              seconds: fmt(tm.wallSeconds),
              jobs: tm.jobs,
              mean: fmt(tm.meanSeconds),
              slowest: tm.slowest.map((s) => `${s.name} (${fmt(s.seconds)} s)`).join(", "),
            })
          : this.t("report.timing.kept")
      }</p>`;
    }
    return `<section id="grading"><h2>${this.t("report.grading")}</h2>${lines.map((l) => `<p>${l}</p>`).join("")}${timing}</section>`;
  }
}

export function reportHtml(report: ClassReport): string {
  const lang = report.language;
  const page = new Page(report, lang);
  const body = `<h1>${page.t("report.title", { assignment: report.assignment })}</h1>
${page.stopped()}
${page.firstLook()}
${page.regrade()}
${page.histogram()}
${page.exercises()}
${page.tests()}
${page.mistakes()}
${page.failures()}
${page.problems()}
${page.learners()}
${page.grading()}`;
  return selfContainedPage({ lang, title: message(lang, "report.title", { assignment: report.assignment }), style: STYLE, body });
}
