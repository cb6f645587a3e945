/**
 * The class report as a teaching assistant sees it: report.html of the generated class of 50
 * (Korean) and of the bundled samples (English), opened from file:// in Debian's Chromium. No
 * console error (the page's CSP would report any fetch), every chart has drawn marks, every
 * feedback link opens the learner's page, nothing is wider than the window. One feedback.html
 * in each language too. Screenshots are kept in test-artifacts/report/.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "puppeteer-core";
import { launchChromium, TestBrowser } from "../support/browser";
import { GradedClass, gradedWeek7Class } from "../support/week7-class";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts", "report");

/** Open `file` and collect what the console and the page report as errors. */
async function open(chromium: TestBrowser, file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await chromium.browser.newPage();
  const errors: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
  page.on("pageerror", (e) => void errors.push(String(e)));
  page.on("requestfailed", (r) => void errors.push(`request failed: ${r.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, errors };
}

interface ChartMarks {
  chart: string;
  /** Marks with a visible box. */
  drawn: number;
  marks: number;
}

function chartMarks(page: Page): Promise<ChartMarks[]> {
  return page.evaluate(() => {
    const doc = (globalThis as any).document;
    return [...doc.querySelectorAll("svg.chart")].map((svg: any) => {
      const marks = [...svg.querySelectorAll(".mark")] as any[];
      const drawn = marks.filter((m) => {
        const box = m.getBoundingClientRect();
        return box.width > 0 && box.height > 0 && (globalThis as any).getComputedStyle(m).fill !== "none";
      });
      return { chart: svg.getAttribute("class") as string, drawn: drawn.length, marks: marks.length };
    });
  });
}

/** Follow every feedback link of the page; what did not open as a learner's feedback page. */
async function brokenFeedbackLinks(chromium: TestBrowser, page: Page): Promise<{ links: number; broken: string[] }> {
  const hrefs: string[] = await page.evaluate(() => [
    ...new Set([...(globalThis as any).document.querySelectorAll("a[href]")].map((a: any) => a.href as string)),
  ]);
  const broken: string[] = [];
  const tab = await chromium.browser.newPage();
  try {
    for (const href of hrefs) {
      const errors: string[] = [];
      const onError = (m: { type(): string; text(): string }) => void (m.type() === "error" && errors.push(m.text()));
      tab.on("console", onError);
      try {
        await tab.goto(href, { waitUntil: "load" });
        const heading = await tab.evaluate(() => (globalThis as any).document.querySelector("h1")?.textContent ?? "");
        const learner = decodeURIComponent(href.split("/").slice(-2)[0]);
        const shown = await tab.evaluate(() => (globalThis as any).document.querySelector("p code")?.textContent ?? "");
        if (!href.endsWith("/feedback.html") || !heading.includes("week07-cnn") || shown !== learner || errors.length)
          broken.push(`${href}: ${heading} ${shown} ${errors.join("; ")}`);
      } catch (err) {
        broken.push(`${href}: ${(err as Error).message}`);
      } finally {
        tab.off("console", onError);
      }
    }
  } finally {
    await tab.close();
  }
  return { links: hrefs.length, broken };
}

describe("the class report in a real browser", function () {
  this.timeout(600_000);
  let cls: GradedClass;
  let chromium: TestBrowser;

  before(async () => {
    cls = await gradedWeek7Class();
    mkdirSync(ARTIFACTS, { recursive: true });
    chromium = await launchChromium();
  });
  after(async () => {
    await chromium?.close();
  });

  for (const which of ["class (ko)", "samples (en)"] as const) {
    it(`report.html of the ${which}: no console error, drawn charts, working feedback links, nothing wider than the window`, async () => {
      const dir = which === "class (ko)" ? cls.out : cls.samplesOut;
      const learners = which === "class (ko)" ? 50 : 3;
      const { page, errors } = await open(chromium, path.join(dir, "report.html"));
      try {
        assert.deepEqual(errors, []);
        const facts = await page.evaluate(() => {
          const doc = (globalThis as any).document;
          return {
            lang: doc.documentElement.lang as string,
            overflow: (doc.documentElement.scrollWidth as number) - ((globalThis as any).innerWidth as number),
            rows: doc.querySelectorAll("#learners tbody tr").length as number,
            scripts: doc.querySelectorAll("script").length as number,
          };
        });
        assert.equal(facts.lang, which === "class (ko)" ? "ko" : "en");
        assert.equal(facts.rows, learners);
        assert.equal(facts.scripts, 0);
        assert.ok(facts.overflow <= 0, `the page is ${facts.overflow} px wider than the window`);

        const charts = await chartMarks(page);
        assert.deepEqual(
          charts.map((c) => c.chart),
          ["chart histogram", "chart exercises"],
        );
        const histogram = charts[0];
        // One column per score bin that holds learners; one bar per exercise (9 in week 7).
        const bins = JSON.parse(
          await page.evaluate(() =>
            JSON.stringify([...(globalThis as any).document.querySelectorAll("svg.histogram .mark title")].map((t: any) => t.textContent)),
          ),
        );
        assert.ok(histogram.drawn >= 1 && histogram.drawn === histogram.marks && histogram.marks === bins.length, JSON.stringify(histogram));
        assert.deepEqual(charts[1], { chart: "chart exercises", drawn: 9, marks: 9 });

        const { links, broken } = await brokenFeedbackLinks(chromium, page);
        assert.ok(links >= learners, `${links} links`);
        assert.deepEqual(broken, []);
        await page.screenshot({ path: path.join(ARTIFACTS, `report-${facts.lang}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }

  for (const lang of ["ko", "en"] as const) {
    it(`one feedback.html in ${lang}: no console error, in its language`, async () => {
      const file = lang === "ko" ? path.join(cls.out, "partial-01", "feedback.html") : path.join(cls.samplesOut, "partial", "feedback.html");
      const { page, errors } = await open(chromium, file);
      try {
        assert.deepEqual(errors, []);
        const facts = await page.evaluate(() => {
          const doc = (globalThis as any).document;
          return {
            lang: doc.documentElement.lang as string,
            failed: doc.querySelectorAll("tr.fail").length as number,
            firstHeader: doc.querySelector("th:nth-child(2)")?.textContent as string,
          };
        });
        assert.equal(facts.lang, lang);
        assert.ok(facts.failed > 0);
        assert.equal(facts.firstHeader, lang === "ko" ? "테스트" : "Test");
        await page.screenshot({ path: path.join(ARTIFACTS, `feedback-${lang}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }
});
