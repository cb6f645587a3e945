/**
 * Layout measurements of a notebook page, taken in the browser from rendered boxes (what a
 * person sees), not from the HTML the kernel sent.
 */
import type { Page } from "puppeteer-core";

export interface PageLayout {
  /** Text of Markdown rendered as strikethrough (<del>/<s>). */
  strikethrough: string[];
  /** Captions, table cells and image labels holding Korean whose computed word-break is not keep-all. */
  notKeepAll: string[];
  /** Places where a rendered line ends inside a word (between two letters or digits), "…ab|cd…". */
  brokenWords: string[];
  /** Image grid rows (<tr>) whose images do not share one top edge. */
  wrappedGridRows: string[];
  /** Image grids reaching past the right edge of their output area. */
  overflowingGrids: string[];
  /** Pairs of image labels on one line that overlap or are less than 4 px apart. */
  overlappingLabels: string[];
  /** Per image grid: its caption or first label, and the top offsets of its images (rounded). */
  grids: { name: string; imageTops: number[] }[];
}

/** Text a learner reads in our outputs: table and heatmap captions and cells, grid titles and labels. */
const OUTPUT_TEXT =
  ".output_area table.ck-table caption, .output_area table.ck-table th, .output_area table.ck-table td, " +
  ".output_area table.ck-heatmap caption, .output_area table.ck-heatmap th, " +
  ".output_area figure.ck-image-grid figcaption, .output_area figure.ck-image-grid td > div";

/**
 * Places where a rendered line ends inside a word (between two letters or digits), "…ab|cd…", in
 * the elements `selector` matches that hold Korean.
 */
export function wordsBrokenAcrossLines(page: Page, selector: string): Promise<string[]> {
  return page.evaluate((sel: string) => {
    const doc = (globalThis as any).document;
    const HANGUL = /[\uac00-\ud7a3]/;
    const WORD = /[\p{L}\p{N}]/u;
    const short = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 60);
    const korean = ([...doc.querySelectorAll(sel)] as any[]).filter((el) => HANGUL.test(el.textContent));
    // A line ends inside a word when two word characters next to each other sit on different lines.
    const brokenWords: string[] = [];
    for (const el of korean) {
      const walker = doc.createTreeWalker(el, 4 /* NodeFilter.SHOW_TEXT */);
      let prev: { ch: string; top: number } | undefined;
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const s: string = node.data;
        for (let i = 0; i < s.length; i++) {
          const ch = s[i];
          // A space is where a line may end; it may have no box of its own at a line's end.
          if (!WORD.test(ch)) {
            prev = { ch, top: prev?.top ?? -Infinity };
            continue;
          }
          const range = doc.createRange();
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const rects = range.getClientRects();
          if (rects.length === 0) continue;
          const top = rects[0].top;
          if (prev && top > prev.top + 2 && WORD.test(prev.ch)) {
            brokenWords.push(`${short(el.textContent)}: …${s.slice(Math.max(0, i - 4), i)}|${s.slice(i, i + 4)}…`);
          }
          prev = { ch, top };
        }
      }
    }
    return brokenWords;
  }, selector);
}

/** Measures the page's Markdown cells and output areas (see PageLayout). */
export async function pageLayout(page: Page): Promise<PageLayout> {
  const brokenWords = await wordsBrokenAcrossLines(page, OUTPUT_TEXT);
  const layout = await page.evaluate((textSelector: string) => {
    const doc = (globalThis as any).document;
    const win = globalThis as any;
    const HANGUL = /[\uac00-\ud7a3]/;
    const short = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 60);

    const strikethrough = [...doc.querySelectorAll(".text_cell_render del, .text_cell_render s")].map((el: any) => short(el.textContent));

    const korean = ([...doc.querySelectorAll(textSelector)] as any[]).filter((el) => HANGUL.test(el.textContent));
    const notKeepAll = korean.filter((el) => win.getComputedStyle(el).wordBreak !== "keep-all").map((el) => short(el.textContent));

    const wrappedGridRows: string[] = [];
    const overflowingGrids: string[] = [];
    const overlappingLabels: string[] = [];
    const grids: { name: string; imageTops: number[] }[] = [];
    for (const fig of doc.querySelectorAll(".output_area figure.ck-image-grid")) {
      const name = short(fig.querySelector("figcaption")?.textContent || fig.querySelector("td > div")?.textContent || fig.querySelector("img")?.alt || "grid");
      const imgs = [...fig.querySelectorAll("img")] as any[];
      grids.push({ name, imageTops: imgs.map((img) => Math.round(img.getBoundingClientRect().top)) });
      for (const tr of fig.querySelectorAll("tr")) {
        const tops = [...tr.querySelectorAll("img")].map((img: any) => Math.round(img.getBoundingClientRect().top));
        if (new Set(tops).size > 1) wrappedGridRows.push(`${name}: image tops ${tops.join(", ")}`);
      }
      const area = fig.closest(".output_subarea");
      const limit = area.getBoundingClientRect().right;
      const widest = Math.max(fig.getBoundingClientRect().right, ...imgs.map((img) => img.getBoundingClientRect().right));
      if (widest > limit + 0.5) overflowingGrids.push(`${name}: reaches ${Math.round(widest)} px, output area ends at ${Math.round(limit)} px`);

      // Label extents: the boxes of the label's glyphs, per line.
      const labels = ([...fig.querySelectorAll("td > div")] as any[]).filter((d) => d.textContent.trim() !== "");
      const boxes = labels.map((d) => {
        const range = doc.createRange();
        range.selectNodeContents(d);
        return { text: d.textContent as string, rects: [...range.getClientRects()] as any[] };
      });
      for (let a = 0; a < boxes.length; a++) {
        for (let b = a + 1; b < boxes.length; b++) {
          for (const ra of boxes[a].rects) {
            for (const rb of boxes[b].rects) {
              const sameLine = ra.top < rb.bottom && rb.top < ra.bottom;
              const gap = Math.max(rb.left - ra.right, ra.left - rb.right);
              if (sameLine && gap < 4) overlappingLabels.push(`${name}: "${boxes[a].text}" and "${boxes[b].text}" are ${gap.toFixed(1)} px apart`);
            }
          }
        }
      }
    }
    return { strikethrough, notKeepAll, wrappedGridRows, overflowingGrids, overlappingLabels, grids };
  }, OUTPUT_TEXT);
  return { ...layout, brokenWords };
}
