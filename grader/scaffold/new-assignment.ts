/**
 * `tsnb new`: the files of a new assignment, marked with marker comments only (no hand-written
 * nbgrader metadata). The worked example is a small but complete exercise: a setup cell, a
 * solution cell with a solution region, a check cell showing the public cases, its public cases
 * in checks.ts and one graded hidden test. `tsnb validate` passes on it as it is. Its
 * assignment.json declares the language learners read (check tables, test messages, feedback),
 * and the notebook's prose starts in that language.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ASSIGNMENT_FILE } from "@course-kit/kernel-helpers/language";
import type { Language } from "@course-kit/kernel-helpers/messages";
import type { AssignmentSettings } from "../assignment/load";
import { serializeNotebook } from "../notebook/io";
import { Cell, Notebook } from "../notebook/schema";
import { NOTEBOOK_KERNELSPEC } from "../kernel/kernelspec";

export const ASSIGNMENT_NAME = /^[a-z0-9][a-z0-9._-]*$/i;

/** The example exercise every new assignment starts with. */
const EXAMPLE = { name: "relu", points: 10 };

/** The starting prose, in the assignment's language (the instructor rewrites it). */
const PROSE: Record<Language, { intro: string[]; exercise: (name: string, points: number) => string[]; summary: string[]; readme: (nb: string) => string[] }> =
  {
    ko: {
      intro: [
        "이 노트북은 `tsnb new`가 만든 출발점입니다. 설명(markdown)과 연습 문제를 이 형식에 맞춰 바꿔 쓰세요.",
        "셀의 역할은 코드 셀 첫 줄의 marker 주석이 정합니다: `// tsnb: setup`, `// tsnb: exercise <함수>`, `// tsnb: check <함수> points=<점수>`.",
      ],
      exercise: (name, points) => [
        `## 연습 문제 1: \`${name}\` (${points}점)`,
        "",
        "ReLU(rectified linear unit)는 음수를 0으로 바꾸고 나머지 값은 그대로 둡니다: `relu(x) = max(0, x)`.",
        "배열 `x`의 각 원소에 ReLU를 적용한 **새 배열**을 돌려주세요. 입력 배열은 바꾸지 않습니다.",
      ],
      summary: ["## 정리", "", "- 여기에 이번 주의 요점을 적으세요."],
      readme: (nb) => [
        "- 각 연습 문제 다음의 check 셀이 공개 테스트(`checks.ts`)를 표로 보여 줍니다.",
        `- \`tsnb check ${nb}\` 로 같은 공개 테스트를 터미널에서 실행할 수 있습니다.`,
        `- \`${ASSIGNMENT_FILE}\`: 학습자가 읽는 언어(확인 셀의 표, 채점 메시지, 피드백)입니다.`,
      ],
    },
    en: {
      intro: [
        "This notebook is the starting point `tsnb new` made. Replace the explanations (Markdown) and the exercise with your own, in this shape.",
        "The marker comment on a code cell's first line sets its role: `// tsnb: setup`, `// tsnb: exercise <function>`, `// tsnb: check <function> points=<points>`.",
      ],
      exercise: (name, points) => [
        `## Exercise 1: \`${name}\` (${points} points)`,
        "",
        "ReLU (rectified linear unit) turns negative values into 0 and keeps the others: `relu(x) = max(0, x)`.",
        "Return a **new array** with ReLU applied to each element of `x`. Do not change the input array.",
      ],
      summary: ["## Summary", "", "- Write this week's key points here."],
      readme: (nb) => [
        "- The check cell after each exercise shows the public checks (`checks.ts`) as a table.",
        `- \`tsnb check ${nb}\` runs the same public checks in a terminal.`,
        `- \`${ASSIGNMENT_FILE}\`: the language learners read (check tables, grading messages, feedback).`,
      ],
    },
  };

function code(id: string, lines: string[]): Cell {
  return { cell_type: "code", id, metadata: {}, source: lines.join("\n"), outputs: [], execution_count: null };
}

function markdown(id: string, lines: string[]): Cell {
  return { cell_type: "markdown", id, metadata: {}, source: lines.join("\n") };
}

export function firstNotebook(assignment: string, lang: Language = "ko"): Notebook {
  const { name, points } = EXAMPLE;
  const prose = PROSE[lang];
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { ...NOTEBOOK_KERNELSPEC }, language_info: { name: "typescript" } },
    cells: [
      markdown("intro", [`# ${assignment}`, "", ...prose.intro]),
      code("setup", ["// tsnb: setup", 'import { showChecks } from "@course-kit/kernel-helpers";', 'import { publicCases } from "./checks";']),
      markdown(`${name}-md`, prose.exercise(name, points)),
      code(name, [
        `// tsnb: exercise ${name}`,
        `function ${name}(x: number[]): number[] {`,
        "  // BEGIN SOLUTION",
        "  return x.map((v) => Math.max(0, v));",
        "  // END SOLUTION",
        "}",
      ]),
      code(`check-${name}`, [`// tsnb: check ${name} points=${points}`, `showChecks("${name}", ${name}, publicCases);`]),
      markdown("summary", prose.summary),
    ],
  };
}

export function checksFile(): string {
  const { name } = EXAMPLE;
  return `/**
 * Public checks: the cases the check cells show after each exercise (and \`tsnb check\` runs).
 * Keep expected values computed by a reference implementation where they are not obvious; the
 * hidden tests in hidden-tests/ use other, more thorough cases.
 */
import type { PublicCase } from "@course-kit/kernel-helpers/checks";

export const publicCases: PublicCase[] = [
  { exercise: "${name}", name: "mixed signs", args: [[-1, 0, 2.5]], expect: { kind: "close", value: [0, 0, 2.5] } },
  { exercise: "${name}", name: "all negative", args: [[-3, -0.1]], expect: { kind: "close", value: [0, 0] } },
];
`;
}

export function hiddenTestFile(): string {
  const { name, points } = EXAMPLE;
  return `/**
 * Hidden tests: never released. Each graded(...) test's points add up to the exercise's check
 * cell points (tsnb validate checks this).
 */
import { exercise, expectClose, graded, learner } from "tsnb/testing";

exercise("${name}", () => {
  graded("negative values become 0, the others are kept", ${points}, async () => {
    expectClose(await learner.${name}([-2, -0.5, 0, 0.25, 3, -1e-9]), [0, 0, 0, 0.25, 3, 0]);
  });
});
`;
}

export function readmeFile(assignment: string, lang: Language = "ko"): string {
  return `# ${assignment}

| notebook | contents | exercises (points) |
| --- | --- | --- |
| \`01-${assignment}.ipynb\` | the worked example: ReLU | \`${EXAMPLE.name}\` (${EXAMPLE.points}) |

${PROSE[lang].readme(`01-${assignment}.ipynb`).join("\n")}
`;
}

/** assignment.json: the assignment's settings (its language). */
export function settingsFile(lang: Language): string {
  const settings: AssignmentSettings = { language: lang };
  return `${JSON.stringify(settings, null, 2)}\n`;
}

export interface CreatedAssignment {
  dir: string;
  files: string[];
}

/**
 * Write a new assignment folder. It refuses an existing, non-empty folder, and writes into a
 * temporary sibling first so that a failure leaves nothing half-made behind. `lang` is the
 * language its learners read.
 */
export function createAssignment(dir: string, lang: Language = "ko"): CreatedAssignment {
  const target = path.resolve(dir);
  const name = path.basename(target);
  if (!ASSIGNMENT_NAME.test(name)) throw new Error(`assignment name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (for example week08-rnn)`);
  if (existsSync(target) && readdirSync(target).length > 0)
    throw new Error(`${dir} already exists and is not empty; choose another name (tsnb new never overwrites)`);
  const files: [string, string][] = [
    [`01-${name}.ipynb`, serializeNotebook(firstNotebook(name, lang))],
    [ASSIGNMENT_FILE, settingsFile(lang)],
    ["checks.ts", checksFile()],
    [path.join("hidden-tests", `01-${name}.test.ts`), hiddenTestFile()],
    ["README.md", readmeFile(name, lang)],
  ];
  const staging = `${target}.tsnb-new-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [rel, text] of files) {
      mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      writeFileSync(path.join(staging, rel), text);
    }
    if (existsSync(target)) rmSync(target, { recursive: true }); // empty, checked above
    mkdirSync(path.dirname(target), { recursive: true });
    renameSync(staging, target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { dir: target, files: files.map(([rel]) => path.join(target, rel)) };
}
