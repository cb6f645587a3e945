import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { PNG } from "pngjs";
import {
  Filter4,
  MimeBundle,
  Tensor4,
  TrainingHistory,
  displayBundle,
  featureMaps,
  filterImages,
  heatmapHtml,
  imageGridHtml,
  imageGridPng,
  inTslabKernel,
  showFeatureMaps,
  showFilters,
  showHeatmap,
  showImageGrid,
  showTable,
  showTrainingCurves,
  tableHtml,
  tableText,
  trainingCurvesPlotArea,
  trainingCurvesSpec,
  trainingCurvesSvg,
  trainingCurvesText,
} from "@course-kit/kernel-helpers";
import { captureStdout } from "../support/capture-stdout";

// ---------------------------------------------------------------------------------------------
// helpers

function decode(bytes: Uint8Array | string): PNG {
  const buf = typeof bytes === "string" ? Buffer.from(bytes, "base64") : Buffer.from(bytes);
  return PNG.sync.read(buf);
}

function px(png: PNG, x: number, y: number): [number, number, number, number] {
  assert.ok(x >= 0 && x < png.width && y >= 0 && y < png.height, `pixel (${x}, ${y}) outside ${png.width}x${png.height}`);
  const i = (y * png.width + x) * 4;
  return [png.data[i], png.data[i + 1], png.data[i + 2], png.data[i + 3]];
}

const gray = (g: number): [number, number, number, number] => [g, g, g, 255];
const TRANSPARENT_ALPHA = 0;

interface SentContent {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}

/** Runs `fn` as if inside a tslab cell: tslab's kernel writer is replaced by a recorder. */
function insideFakeKernel(fn: () => void): { content: SentContent; update: boolean }[] {
  const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  const sent: { content: SentContent; update: boolean }[] = [];
  const previous = jupyter.lastWriteDisplayData;
  jupyter.lastWriteDisplayData = (content: SentContent, update: boolean) => sent.push({ content, update });
  try {
    fn();
  } finally {
    jupyter.lastWriteDisplayData = previous;
  }
  return sent;
}

/**
 * A small XML well-formedness check: balanced, properly nested tags; quoted attributes without
 * raw '<'; only known entities; exactly one root element. Returns the element names in order.
 */
function checkWellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  const entity = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  let pos = 0;
  const tagRe = /<[^>]*>/g;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(xml))) {
    const text = xml.slice(pos, m.index);
    assert.ok(!text.includes("<") && !entity.test(text), `bad text ${JSON.stringify(text)}`);
    if (stack.length === 0) assert.equal(text.trim(), "", `text outside the root: ${JSON.stringify(text)}`);
    pos = m.index + m[0].length;
    const tag = m[0];
    if (tag.startsWith("<?") || tag.startsWith("<!--")) continue;
    const close = /^<\/([A-Za-z_][\w:.-]*)\s*>$/.exec(tag);
    if (close) {
      assert.equal(stack.pop(), close[1], `mismatched </${close[1]}>`);
      continue;
    }
    const open = /^<([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_:][\w:.-]*="[^"<]*")*)\s*(\/?)>$/.exec(tag);
    assert.ok(open, `malformed tag ${tag}`);
    assert.ok(!entity.test(open[2]), `bad entity in ${tag}`);
    const attrNames = [...open[2].matchAll(/([A-Za-z_:][\w:.-]*)=/g)].map((a) => a[1]);
    assert.equal(new Set(attrNames).size, attrNames.length, `duplicate attribute in ${tag}`);
    if (stack.length === 0) roots++;
    names.push(open[1]);
    if (open[3] !== "/") stack.push(open[1]);
  }
  assert.equal(xml.slice(pos).trim(), "", "text after the root");
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "exactly one root element");
  return names;
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

/** The panels of a training-curves SVG: metric, plot rectangle and polylines (as point lists). */
function svgPanels(svg: string): {
  metric: string;
  area: { x: number; y: number; w: number; h: number };
  lines: { series: string; dash: boolean; points: [number, number][] }[];
  body: string;
}[] {
  const panels = [...svg.matchAll(/<g class="panel" data-metric="([^"]*)">(.*?)<\/g>/g)];
  return panels.map(([, metric, body]) => {
    const rect = /<rect class="plot-area"[^>]*>/.exec(body);
    assert.ok(rect, "panel has a plot-area rect");
    const area = { x: Number(attr(rect[0], "x")), y: Number(attr(rect[0], "y")), w: Number(attr(rect[0], "width")), h: Number(attr(rect[0], "height")) };
    const lines = [...body.matchAll(/<polyline [^>]*>/g)].map(([tag]) => ({
      series: attr(tag, "data-series") ?? "",
      dash: attr(tag, "stroke-dasharray") !== undefined,
      points: (attr(tag, "points") ?? "")
        .trim()
        .split(/\s+/)
        .map((p) => p.split(",").map(Number) as [number, number]),
    }));
    return { metric, area, lines, body };
  });
}

// ---------------------------------------------------------------------------------------------

describe("display: PNG image grids", () => {
  it("maps a tiny image to the expected gray levels (min black, max white)", () => {
    const png = decode(
      imageGridPng(
        [
          [
            [0, 1],
            [2, 3],
          ],
        ],
        { scale: 1, gap: 0 },
      ),
    );
    assert.equal(png.width, 2);
    assert.equal(png.height, 2);
    assert.deepEqual(px(png, 0, 0), gray(0));
    assert.deepEqual(px(png, 1, 0), gray(85));
    assert.deepEqual(px(png, 0, 1), gray(170));
    assert.deepEqual(px(png, 1, 1), gray(255));
  });

  it("lays cells out row-major with transparent gaps and nearest-neighbour upscaling", () => {
    const a = [
      [0, 1],
      [1, 0],
    ];
    const b = [
      [1, 0],
      [0, 1],
    ];
    const c = [
      [0, 0],
      [0, 1],
    ];
    const png = decode(imageGridPng([a, b, c], { cols: 2, scale: 3, gap: 1 }));
    // 2 columns of 6 px + 1 px gap; 2 rows likewise.
    assert.equal(png.width, 13);
    assert.equal(png.height, 13);
    // image a at (0,0): each source pixel is a uniform 3x3 block
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.deepEqual(px(png, x, y), gray(0));
    for (let y = 0; y < 3; y++) for (let x = 3; x < 6; x++) assert.deepEqual(px(png, x, y), gray(255));
    // the gap column and gap row are transparent
    for (let y = 0; y < 13; y++) assert.equal(px(png, 6, y)[3], TRANSPARENT_ALPHA);
    for (let x = 0; x < 13; x++) assert.equal(px(png, x, 6)[3], TRANSPARENT_ALPHA);
    // image b starts at x = 7
    assert.deepEqual(px(png, 7, 0), gray(255));
    assert.deepEqual(px(png, 10, 0), gray(0));
    assert.deepEqual(px(png, 12, 5), gray(255));
    // image c on the second row (y >= 7), first column
    assert.deepEqual(px(png, 0, 7), gray(0));
    assert.deepEqual(px(png, 5, 12), gray(255));
    // the unused fourth cell is transparent
    assert.equal(px(png, 9, 9)[3], TRANSPARENT_ALPHA);
    assert.equal(px(png, 12, 12)[3], TRANSPARENT_ALPHA);
  });

  it("normalize 'each' uses a range per image, 'all' one range for all images", () => {
    const images = [[[0, 1]], [[0, 2]]];
    const each = decode(imageGridPng(images, { scale: 1, gap: 0, cols: 2 }));
    assert.deepEqual([px(each, 0, 0), px(each, 1, 0), px(each, 2, 0), px(each, 3, 0)], [gray(0), gray(255), gray(0), gray(255)]);
    const all = decode(imageGridPng(images, { scale: 1, gap: 0, cols: 2, normalize: "all" }));
    assert.deepEqual([px(all, 0, 0), px(all, 1, 0), px(all, 2, 0), px(all, 3, 0)], [gray(0), gray(128), gray(0), gray(255)]);
  });

  it("diverging colormap: negative blue, zero white, positive red, symmetric around 0", () => {
    const png = decode(imageGridPng([[[-2, 0, 1, 2, -1]]], { scale: 1, colormap: "diverging" }));
    const [neg, zero, half, pos, negHalf] = [0, 1, 2, 3, 4].map((x) => px(png, x, 0));
    assert.deepEqual(zero, [255, 255, 255, 255]);
    assert.deepEqual(pos, [178, 24, 43, 255]);
    assert.deepEqual(neg, [33, 102, 172, 255]);
    assert.deepEqual(half, [217, 140, 149, 255]); // halfway from white to red
    assert.ok(neg[2] > neg[0] && negHalf[2] > negHalf[0], "negative values are blue");
    assert.ok(pos[0] > pos[2] && half[0] > half[2], "positive values are red");
    // a positive-only image: its max is full red, zero stays white (no min-max shift)
    const p2 = decode(imageGridPng([[[0, 5]]], { scale: 1, colormap: "diverging" }));
    assert.deepEqual(px(p2, 0, 0), [255, 255, 255, 255]);
    assert.deepEqual(px(p2, 1, 0), [178, 24, 43, 255]);
  });

  it("constant images, NaN values and the shared range of 'all' with diverging", () => {
    const png = decode(imageGridPng([[[0, 0]], [[5, 5]], [[NaN, 0, 10]]], { scale: 1, gap: 0, cols: 1 }));
    assert.equal(png.width, 3);
    assert.deepEqual(px(png, 1, 0), gray(0)); // all-zero map is black (row 0 is centred: x 0..1 -> offset 0)
    assert.deepEqual(px(png, 0, 1), gray(255)); // a positive constant is white
    assert.deepEqual(px(png, 0, 2), [255, 0, 255, 255]); // NaN is magenta and ignored in the range
    assert.deepEqual(px(png, 1, 2), gray(0));
    assert.deepEqual(px(png, 2, 2), gray(255));
    const d = decode(imageGridPng([[[1]], [[-4]]], { scale: 1, gap: 0, cols: 2, colormap: "diverging", normalize: "all" }));
    assert.deepEqual(px(d, 1, 0), [33, 102, 172, 255]); // -4 is the extreme
    assert.ok(px(d, 0, 0)[0] > 200 && px(d, 0, 0)[2] < 255, "1 of max |4| is a light red");
  });

  it("centres smaller images in cells sized by the largest image", () => {
    const small = [
      [1, 1],
      [1, 1],
    ];
    const big = [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ];
    const png = decode(imageGridPng([small, big], { scale: 1, gap: 0, cols: 2 }));
    assert.equal(png.width, 8);
    assert.equal(png.height, 4);
    assert.equal(px(png, 0, 0)[3], TRANSPARENT_ALPHA);
    assert.equal(px(png, 3, 3)[3], TRANSPARENT_ALPHA);
    assert.deepEqual(px(png, 1, 1), gray(255));
    assert.deepEqual(px(png, 2, 2), gray(255));
    assert.deepEqual(px(png, 4, 0), gray(0));
    assert.deepEqual(px(png, 7, 3), gray(255));
  });

  it("defaults: about 64 px per image, one row while it is at most 800 px wide, 2 px gaps", () => {
    const k = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    const png = decode(imageGridPng([k, k, k, k, k]));
    // scale floor(64 / 3) = 21 -> 63 px cells; five fit one row (5 * 63 + 4 * 2 = 323 px)
    assert.equal(png.width, 5 * 63 + 4 * 2);
    assert.equal(png.height, 63);
    assert.deepEqual(px(png, 0, 0), gray(0));
    assert.deepEqual(px(png, 62, 62), gray(255));
    assert.equal(px(png, 63, 0)[3], TRANSPARENT_ALPHA);
    // A 3-image comparison stays one row (it used to wrap 2 + 1).
    assert.equal(decode(imageGridPng([k, k, k], { scale: 30 })).height, 90);
    // Twelve 63 px cells (778 px) still fit; thirteen (843 px) do not: ceil(sqrt(13)) = 4 columns, 4 rows.
    assert.equal(decode(imageGridPng(new Array(12).fill(k))).height, 63);
    const thirteen = decode(imageGridPng(new Array(13).fill(k)));
    assert.equal(thirteen.width, 4 * 63 + 3 * 2);
    assert.equal(thirteen.height, 4 * 63 + 3 * 2);
  });

  it("rejects empty lists, empty or ragged images and bad options", () => {
    assert.throws(() => imageGridPng([]), RangeError);
    assert.throws(() => imageGridPng([[]]), RangeError);
    assert.throws(() => imageGridPng([[[1, 2], [3]]]), /ragged/);
    assert.throws(() => imageGridPng([[[1]]], { scale: 0 }), RangeError);
    assert.throws(() => imageGridPng([[[1]]], { scale: 1.5 }), RangeError);
    assert.throws(() => imageGridPng([[[1]]], { gap: -1 }), RangeError);
  });
});

describe("display: feature maps and filters", () => {
  // x[n][h][w][c]: 2 samples, 2x3 spatial, 2 channels; value encodes its own index.
  const x: Tensor4 = [0, 1].map((n) => [0, 1].map((i) => [0, 1, 2].map((j) => [0, 1].map((c) => 1000 * n + 100 * i + 10 * j + c))));
  // w[kh][kw][cin][cout]: 2x2 kernel, 2 in, 3 out
  const w: Filter4 = [0, 1].map((i) => [0, 1].map((j) => [0, 1].map((ci) => [0, 1, 2].map((co) => 1000 * ci + 100 * co + 10 * i + j))));

  it("featureMaps returns one h x w map per channel of the chosen sample", () => {
    const maps = featureMaps(x, 1);
    assert.equal(maps.length, 2);
    assert.deepEqual(maps[1], [
      [1001, 1011, 1021],
      [1101, 1111, 1121],
    ]);
    assert.deepEqual(featureMaps(x)[0], [
      [0, 10, 20],
      [100, 110, 120],
    ]);
    assert.throws(() => featureMaps(x, 2), RangeError);
  });

  it("filterImages returns one kh x kw kernel per output channel of an input channel", () => {
    const ks = filterImages(w, 1);
    assert.equal(ks.length, 3);
    assert.deepEqual(ks[2], [
      [1200, 1201],
      [1210, 1211],
    ]);
    assert.deepEqual(filterImages(w)[0], [
      [0, 1],
      [10, 11],
    ]);
    assert.throws(() => filterImages(w, 2), RangeError);
  });

  it("accepts tfjs tensors: a Tensor4D feature map, a Tensor3D sample and a conv layer's kernel", () => {
    const t = tf.tensor4d(x);
    assert.deepEqual(featureMaps(t, 1), featureMaps(x, 1));
    const t3 = tf.tensor3d(x[0]);
    assert.deepEqual(featureMaps(t3), featureMaps(x, 0));
    assert.throws(() => featureMaps(tf.tensor2d([[1]])), RangeError);
    assert.deepEqual(filterImages(tf.tensor4d(w), 1), filterImages(w, 1));

    const layer = tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [5, 5, 2] });
    const model = tf.sequential({ layers: [layer] });
    const kernel = layer.getWeights()[0];
    assert.deepEqual(kernel.shape, [3, 3, 2, 4]);
    const ks = filterImages(kernel, 1);
    const arr = kernel.arraySync() as number[][][][];
    assert.equal(ks.length, 4);
    assert.equal(ks[3][2][1], arr[2][1][1][3]);
    const png = decode(imageGridPng(ks, { scale: 2, gap: 1, colormap: "diverging", normalize: "all" }));
    // four 6 px kernels side by side (one row by default), 1 px gaps
    assert.equal(png.width, 4 * 6 + 3 * 1);
    assert.equal(png.height, 6);
    const out = model.predict(tf.ones([1, 5, 5, 2])) as tf.Tensor4D;
    assert.equal(featureMaps(out).length, 4);
    assert.equal(featureMaps(out)[0].length, 3);
    tf.dispose([t, t3, out]);
    model.dispose();
  });
});

describe("display: HTML figures of image grids", () => {
  const imgs = [
    [
      [0, 1],
      [2, 3],
    ],
    [
      [3, 2],
      [1, 0],
    ],
  ];

  it("embeds the grid PNG as base64 with an escaped title", () => {
    const html = imageGridHtml(imgs, { title: "maps <b> & 'c'", scale: 2 });
    assert.match(html, /^<figure[^>]*>.*<\/figure>$/);
    assert.ok(html.includes("<figcaption") && html.includes("maps &lt;b&gt; &amp; &#39;c&#39;"));
    assert.ok(!html.includes("<b>"));
    const srcs = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]);
    assert.equal(srcs.length, 1);
    assert.deepEqual(Buffer.from(srcs[0], "base64"), Buffer.from(imageGridPng(imgs, { scale: 2 })));
  });

  it("with labels: one image per cell with its escaped label, same scale and colours", () => {
    const html = imageGridHtml(imgs, { labels: ["a<1>", "b&2"], scale: 3, cols: 1 });
    checkWellFormed(html);
    const srcs = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]);
    assert.equal(srcs.length, 2);
    // cols: 1 -> two grid rows, each a row of images and a row of their labels
    const rows = [...html.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((m) => m[1]);
    assert.equal(rows.length, 4);
    assert.deepEqual(
      rows.map((r) => (r.includes("<img") ? "images" : "labels")),
      ["images", "labels", "images", "labels"],
    );
    assert.ok(rows[1].includes("a&lt;1&gt;") && rows[3].includes("b&amp;2"));
    const tile = decode(srcs[1]);
    assert.equal(tile.width, 6);
    assert.deepEqual(px(tile, 0, 0), gray(255));
    assert.deepEqual(px(tile, 5, 5), gray(0));
  });

  it("labels wrap only between words, within the grid's cell width (64 px at least), with a gap between cells", () => {
    const html = imageGridHtml(imgs, { labels: ["정답 8 / 예측 1", "정답 5 / 예측 8"], scale: 20 });
    const labels = [...html.matchAll(/<td style="([^"]*)"><div style="([^"]*)">([^<]*)<\/div><\/td>/g)];
    assert.equal(labels.length, 2);
    for (const [, td, div] of labels) {
      assert.match(div, /word-break:keep-all/);
      assert.match(div, /max-width:64px/); // 2 px images at scale 20 are 40 px wide
      assert.match(td, /padding:[^;]*4px/);
    }
    // "\n" starts a new line in the figure; the one-line text summary shows it as " / "
    assert.match(imageGridHtml(imgs, { labels: ["정답 8\n예측 1"] }), /white-space:pre-line[^"]*">정답 8\n예측 1<\/div>/);
    assert.match(
      captureStdout(() => showImageGrid(imgs, { labels: ["정답 8\n예측 1", "b"] })),
      /labels: 정답 8 \/ 예측 1, b$/m,
    );
    // the widest image sets the width for all labels: a 2-wide and a 4-wide image at scale 30
    const mixed = imageGridHtml([[[0, 1]], [[0, 1, 2, 3]]], { labels: ["a", "b"], scale: 30 });
    assert.equal((mixed.match(/max-width:120px/g) ?? []).length, 2);
  });
});

describe("display: HTML tables and heatmaps", () => {
  it("tableHtml: header, caption, rows, number formatting and escaping", () => {
    const html = tableHtml([["<script>alert('x')</script>", 1.23456], ["a & b", 2], ["short"]], {
      header: ["name", 'value "v"'],
      caption: "Results <1>",
      digits: 2,
    });
    assert.ok(!html.includes("<script>"));
    assert.ok(html.includes("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    // The caption sits above the table in a figure, so it is not squeezed to the table's width.
    assert.deepEqual(checkWellFormed(html).slice(0, 3), ["figure", "figcaption", "table"]);
    assert.match(html, /<figcaption[^>]*>Results &lt;1&gt;<\/figcaption>/);
    // Header cells follow their column: text left, numbers right.
    assert.ok(html.includes('<th style="text-align:left">name</th>'));
    assert.ok(html.includes('<th style="text-align:right">value &quot;v&quot;</th>'));
    assert.equal((html.match(/<tr>/g) ?? []).length, 4);
    assert.equal((html.match(/<th /g) ?? []).length, 2);
    assert.equal((html.match(/<td/g) ?? []).length, 6); // the short row is padded
    assert.ok(html.includes('<td style="text-align:right">1.23</td>'));
    assert.ok(html.includes('<td style="text-align:right">2.00</td>'));
    assert.ok(html.includes('<td style="text-align:left">a &amp; b</td>'));
    // Korean words are not broken across lines, in the caption or in the cells.
    assert.match(/<figcaption style="([^"]*)"/.exec(html)?.[1] ?? "", /word-break:keep-all/);
    assert.match(/<table class="ck-table" style="([^"]*)"/.exec(html)?.[1] ?? "", /word-break:keep-all/);
    // Without a caption the table stands alone.
    assert.match(tableHtml([["a"]]), /^<table class="ck-table"[^>]*>.*<\/table>$/);
  });

  it("tableHtml aligns whole columns: numbers (also written as text, with a short unit) right, text left", () => {
    const rows = [
      ["반복문", "1012.2", "1.0배", "28×28×1", 5],
      ["tf.conv2d", "23.8", "42.5배", "5×5×16", "RangeError"],
      ["fc1", "-0.003", "3.3%p", "", 7],
    ];
    const html = tableHtml(rows, { header: ["방법", "ms", "속도", "모양", "출력"] });
    const aligns = (tag: string) => [...html.matchAll(new RegExp(`<${tag} style="text-align:(\\w+)"`, "g"))].map((m) => m[1]);
    assert.deepEqual(aligns("th"), ["left", "right", "right", "left", "left"]);
    assert.deepEqual(aligns("td").slice(0, 5), ["left", "right", "right", "left", "left"]);
    assert.equal(
      tableText([
        ["a", "1.5배"],
        ["bb", "12.0배"],
      ]),
      "a    1.5배\nbb  12.0배",
    );
  });

  it("tableHtml default number format and tableText alignment", () => {
    const html = tableHtml([[1, 0.123456789, NaN, 1e-7]]);
    assert.ok(html.includes(">1<") && html.includes(">0.1235<") && html.includes(">NaN<") && html.includes(">1.000e-7<"));
    const text = tableText(
      [
        ["a", 1],
        ["bbb", 22.5],
      ],
      { header: ["k", "v"] },
    );
    assert.equal(text, "k       v\na       1\nbbb  22.5");
  });

  it("heatmapHtml: gray colours per value, contrasting text, labels and tooltips", () => {
    const html = heatmapHtml(
      [
        [0, 1],
        [2, 3],
      ],
      { caption: "cm", rowLabels: ["r<0>", "r1"], colLabels: ["c0", "c1"] },
    );
    checkWellFormed(html);
    const cells = [...html.matchAll(/<td style="([^"]*)" title="([^"]*)">([^<]*)<\/td>/g)];
    assert.equal(cells.length, 4);
    assert.deepEqual(
      cells.map((c) => /background-color:(rgb\([^)]*\))/.exec(c[1])?.[1]),
      ["rgb(0,0,0)", "rgb(85,85,85)", "rgb(170,170,170)", "rgb(255,255,255)"],
    );
    assert.deepEqual(
      cells.map((c) => /;color:(#[0-9a-f]+)/.exec(c[1])?.[1]),
      ["#fff", "#fff", "#000", "#000"],
    );
    assert.deepEqual(
      cells.map((c) => c[3]),
      ["0", "1", "2", "3"],
    );
    assert.equal(cells[3][2], "[1][1] = 3");
    assert.ok(html.includes("<th>r&lt;0&gt;</th>"));
    assert.equal((html.match(/<tr>/g) ?? []).length, 3);
    assert.deepEqual(checkWellFormed(html).slice(0, 3), ["figure", "figcaption", "table"]);
    assert.match(/<table class="ck-heatmap" style="([^"]*)"/.exec(html)?.[1] ?? "", /word-break:keep-all/);
  });

  it("heatmapHtml: diverging by default when negative, values hidden on request", () => {
    const html = heatmapHtml([[-1, 0, 1]], { showValues: false, digits: 1 });
    const cells = [...html.matchAll(/<td style="([^"]*)" title="([^"]*)">([^<]*)<\/td>/g)];
    assert.deepEqual(
      cells.map((c) => /background-color:(rgb\([^)]*\))/.exec(c[1])?.[1]),
      ["rgb(33,102,172)", "rgb(255,255,255)", "rgb(178,24,43)"],
    );
    assert.deepEqual(
      cells.map((c) => c[3]),
      ["", "", ""],
    );
    const shown = heatmapHtml([[0.25]], { digits: 1, colormap: "diverging" });
    assert.ok(shown.includes(">0.3</td>") || shown.includes(">0.2</td>"));
  });
});

describe("display: training curves", () => {
  const h: TrainingHistory = {
    loss: [1.0, 0.6, 0.4, 0.3],
    val_loss: [1.1, 0.8, NaN, 0.7],
    acc: [0.5, 0.7, 0.8, 0.9],
    val_acc: [0.45, 0.6, 0.7, 0.75],
  };
  const runs = { transfer: h, scratch: { loss: [2, 1.5, 1.2], val_loss: [2.1, 1.8, 1.6] } };

  it("Vega-Lite spec: long-format data without NaN, line marks faceted by metric", () => {
    const spec = trainingCurvesSpec(h, { title: "CNN", xLabel: "Epoch" }) as Record<string, any>;
    assert.equal(spec.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
    assert.equal(spec.title, "CNN");
    const values = spec.data.values as Record<string, unknown>[];
    assert.equal(values.length, 15); // 16 values, one NaN dropped
    assert.deepEqual(values[0], { run: "", metric: "loss", key: "loss", split: "train", series: "loss", epoch: 1, value: 1.0 });
    assert.deepEqual(
      values.filter((v) => v.key === "val_loss").map((v) => v.epoch),
      [1, 2, 4],
    );
    assert.ok(values.every((v) => typeof v.value === "number" && Number.isFinite(v.value)));
    assert.deepEqual(spec.facet.field, "metric");
    assert.deepEqual(spec.facet.sort, ["loss", "acc"]);
    const [line, points] = spec.spec.layer;
    assert.equal(line.mark.type, "line");
    assert.equal(points.mark.type, "point");
    assert.equal(spec.spec.encoding.x.field, "epoch");
    assert.equal(spec.spec.encoding.x.type, "quantitative");
    assert.equal(spec.spec.encoding.x.title, "Epoch");
    assert.deepEqual(spec.spec.encoding.x.scale.domain, [1, 4]);
    assert.deepEqual(spec.spec.encoding.x.axis.values, [1, 2, 3, 4]);
    assert.equal(spec.spec.encoding.y.field, "value");
    assert.equal(spec.spec.encoding.y.type, "quantitative");
    assert.equal(spec.spec.encoding.color.field, "split");
    assert.deepEqual(spec.spec.encoding.color.scale.domain, ["train", "val"]);
    assert.equal(line.encoding.strokeDash.field, "split");
    assert.equal(line.encoding.detail.field, "series");
    assert.deepEqual(spec.resolve, { scale: { y: "independent" } });
    // JSON round trip keeps it intact (no NaN turned into null)
    assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
  });

  it("Vega-Lite spec: several runs are coloured by run; metrics filter", () => {
    const spec = trainingCurvesSpec(runs, { metrics: ["loss"] }) as Record<string, any>;
    assert.equal(spec.spec.encoding.color.field, "run");
    assert.deepEqual(spec.spec.encoding.color.scale.domain, ["transfer", "scratch"]);
    const values = spec.data.values as Record<string, unknown>[];
    assert.deepEqual([...new Set(values.map((v) => v.metric))], ["loss"]);
    assert.equal(values.length, 4 + 3 + 3 + 3);
    assert.ok(values.some((v) => v.run === "scratch" && v.key === "val_loss" && v.epoch === 3 && v.value === 1.6));
    const onlyVal = trainingCurvesSpec(h, { metrics: ["val_acc"] }) as Record<string, any>;
    assert.deepEqual([...new Set((onlyVal.data.values as Record<string, unknown>[]).map((v) => v.key))], ["val_acc"]);
    // legends only list the splits that occur
    const trainOnly = trainingCurvesSpec({ loss: [1, 2] }) as Record<string, any>;
    assert.deepEqual(trainOnly.spec.encoding.color.scale.domain, ["train"]);
    assert.deepEqual(trainOnly.spec.layer[0].encoding.strokeDash.scale.domain, ["train"]);
  });

  it("SVG: well-formed, one polyline per series, points inside the plot area and scaled by value", () => {
    const svg = trainingCurvesSvg(h, { title: "a <b> & c" });
    const names = checkWellFormed(svg);
    assert.equal(names[0], "svg");
    assert.ok(svg.includes("a &lt;b&gt; &amp; c"));
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
    const panels = svgPanels(svg);
    assert.deepEqual(
      panels.map((p) => p.metric),
      ["loss", "acc"],
    );
    for (const p of panels) {
      assert.equal(p.lines.length, 2);
      for (const line of p.lines) {
        for (const [x, y] of line.points) {
          assert.ok(x >= p.area.x - 1e-9 && x <= p.area.x + p.area.w + 1e-9, `x ${x} inside ${JSON.stringify(p.area)}`);
          assert.ok(y >= p.area.y - 1e-9 && y <= p.area.y + p.area.h + 1e-9, `y ${y} inside ${JSON.stringify(p.area)}`);
        }
      }
    }
    const [loss, valLoss] = panels[0].lines;
    assert.equal(loss.series, "loss");
    assert.equal(loss.dash, false);
    assert.equal(valLoss.series, "val_loss");
    assert.equal(valLoss.dash, true);
    assert.equal(loss.points.length, 4);
    assert.equal(valLoss.points.length, 3); // NaN left out
    // epoch 1 at the left edge, the last epoch at the right edge, evenly spaced
    const area = panels[0].area;
    assert.deepEqual(
      loss.points.map((p) => p[0]),
      [0, 1, 2, 3].map((i) => Math.round((area.x + (i * area.w) / 3) * 100) / 100),
    );
    assert.equal(valLoss.points[2][0], loss.points[3][0]);
    // decreasing loss -> increasing SVG y; equal values -> equal y; y is linear in the value
    const ys = loss.points.map((p) => p[1]);
    assert.ok(ys[0] < ys[1] && ys[1] < ys[2] && ys[2] < ys[3]);
    const slope = (ys[1] - ys[0]) / (0.6 - 1.0);
    assert.ok(Math.abs((ys[3] - ys[2]) / (0.3 - 0.4) - slope) < 0.5, "linear value scale");
    assert.ok(Math.abs(valLoss.points[0][1] - (ys[0] + slope * (1.1 - 1.0))) < 0.05);
    // axes have tick labels; the plot area matches the exported layout helper
    assert.ok((panels[0].body.match(/class="y-tick"/g) ?? []).length >= 3);
    assert.equal((panels[0].body.match(/class="x-tick"/g) ?? []).length, 4);
    const expected = trainingCurvesPlotArea(0, 2, true);
    assert.deepEqual(area, { x: expected.x, y: expected.y, w: expected.width, h: expected.height });
    // legend: train and val line styles
    assert.equal((svg.match(/class="legend-entry"/g) ?? []).length, 2);
  });

  it("SVG: several runs, a single-epoch series, all-NaN and empty input", () => {
    const svg = trainingCurvesSvg({ ...runs, one: { loss: [0.9] } }, { metrics: ["loss"] });
    checkWellFormed(svg);
    const panels = svgPanels(svg);
    assert.equal(panels.length, 1);
    assert.deepEqual(
      panels[0].lines.map((l) => l.series),
      ["transfer: loss", "transfer: val_loss", "scratch: loss", "scratch: val_loss", "one: loss"],
    );
    assert.equal(panels[0].lines[4].points.length, 1);
    assert.ok(svg.includes("<circle"), "a single point gets a dot");
    const strokes = panels[0].body.match(/<polyline [^>]*>/g)!.map((t) => attr(t, "stroke"));
    assert.equal(strokes[0], strokes[1]);
    assert.notEqual(strokes[0], strokes[2]);
    assert.equal((svg.match(/class="legend-entry"/g) ?? []).length, 5);

    const nan = trainingCurvesSvg({ loss: [NaN, NaN] });
    checkWellFormed(nan);
    assert.equal((nan.match(/<polyline /g) ?? []).length, 0);
    assert.ok(nan.includes("no data"));

    for (const empty of [trainingCurvesSvg({}), trainingCurvesSvg({ loss: [] }), trainingCurvesSvg(h, { metrics: ["nope"] })]) {
      checkWellFormed(empty);
      assert.equal((empty.match(/<polyline /g) ?? []).length, 0);
    }
    assert.ok(trainingCurvesSvg({}).includes("no training data"));
  });

  it("text summary: epochs and last values, NaN noted, missing metrics listed", () => {
    assert.equal(
      trainingCurvesText(runs, { title: "cmp" }),
      "Training curves: cmp\ntransfer: 4 epochs; last loss 0.3, val_loss 0.7, acc 0.9, val_acc 0.75\nscratch: 3 epochs; last loss 1.2, val_loss 1.6",
    );
    assert.equal(
      trainingCurvesText({ loss: [0.5, NaN] }, { metrics: ["loss", "acc"] }),
      "Training curves\n2 epochs; last loss NaN (last finite 0.5 at epoch 1)\nnot found: acc",
    );
    assert.equal(trainingCurvesText({}), "Training curves\nno training data");
  });
});

describe("display: sending to Jupyter", () => {
  const imgs = [
    [
      [0, 1],
      [2, 3],
    ],
  ];
  const hist = { loss: [1, 0.5], val_loss: [1.2, NaN] };

  it("outside a kernel nothing throws and the text/plain summary is printed", () => {
    let out = "";
    out += captureStdout(() => showImageGrid(imgs, { title: "maps" }));
    out += captureStdout(() => showImageGrid([], { title: "none" }));
    out += captureStdout(() => showTable([["a", 1]], { header: ["k", "v"] }));
    out += captureStdout(() => showHeatmap([[1, 2]]));
    out += captureStdout(() => showTrainingCurves(hist));
    out += captureStdout(() => showFeatureMaps([[[[1, 2]]]]));
    out += captureStdout(() => showFilters([[[[1, -1]]]]));
    out += captureStdout(() => displayBundle({ "image/png": new Uint8Array([1]) }));
    assert.equal(inTslabKernel(), false);
    const lines = out.trimEnd().split("\n");
    assert.equal(lines[0], "maps: image grid of 1 images 2x2 (gray, normalize=each)");
    assert.equal(lines[1], "none: (no images)");
    assert.deepEqual(lines.slice(2, 4), ["k  v", "a  1"]);
    assert.equal(lines[4], "1  2");
    assert.deepEqual(lines.slice(5, 7), ["Training curves", "2 epochs; last loss 0.5, val_loss NaN (last finite 1.2 at epoch 1)"]);
    assert.equal(lines[7], "image grid of 2 images 1x1 (gray, normalize=each); labels: channel 0, channel 1");
    assert.equal(lines[8], "image grid of 2 images 1x1 (diverging, normalize=all); labels: filter 0, filter 1");
    assert.equal(lines[9], "[display: image/png]");
  });

  it("inside a tslab cell each show* sends one display_data with the whole bundle", () => {
    const sent = insideFakeKernel(() => {
      assert.equal(inTslabKernel(), true);
      showImageGrid(imgs, { title: "maps", scale: 4, gap: 0 });
      showTable([["x", 1]]);
      showHeatmap([[1, 2]]);
      showTrainingCurves({ a: hist, b: hist });
      displayBundle({ "text/plain": "hi", "application/json": { a: 1 } } satisfies MimeBundle);
    });
    assert.equal(sent.length, 5);
    assert.ok(sent.every((s) => s.update === false));
    const [grid, table, heat, curves, custom] = sent.map((s) => s.content);
    assert.deepEqual(Object.keys(grid.data).sort(), ["image/png", "text/html", "text/plain"]);
    const png = decode(grid.data["image/png"] as string);
    assert.equal(png.width, 8);
    assert.deepEqual(px(png, 7, 7), gray(255));
    assert.ok((grid.data["text/html"] as string).includes("data:image/png;base64," + (grid.data["image/png"] as string)));
    assert.deepEqual(Object.keys(table.data).sort(), ["text/html", "text/plain"]);
    assert.deepEqual(Object.keys(heat.data).sort(), ["text/html", "text/plain"]);
    assert.ok((heat.data["text/html"] as string).startsWith('<table class="ck-heatmap"'));
    assert.deepEqual(Object.keys(curves.data).sort(), ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]);
    const spec = curves.data["application/vnd.vegalite.v5+json"] as Record<string, any>;
    assert.equal(typeof spec, "object");
    assert.deepEqual(spec.spec.encoding.color.scale.domain, ["a", "b"]);
    assert.ok((curves.data["image/svg+xml"] as string).startsWith("<svg "));
    assert.deepEqual(custom.data, { "text/plain": "hi", "application/json": { a: 1 } });
    assert.deepEqual(custom.metadata, {});
    // nothing left behind: outside the cell we are not in a kernel any more
    assert.equal(inTslabKernel(), false);
  });

  it("showFeatureMaps/showFilters: default labels, explicit labels win, [] gives the plain grid", () => {
    const x: Tensor4 = [[[[1, 2, 3]]]];
    const sent = insideFakeKernel(() => {
      showFeatureMaps(x);
      showFeatureMaps(x, { labels: ["a", "b", "c"] });
      showFeatureMaps(x, { labels: [] });
      showFilters([[[[1, -1]]]], { labels: undefined });
    });
    const html = sent.map((s) => s.content.data["text/html"] as string);
    assert.ok(html[0].includes("channel 2"));
    assert.ok(html[1].includes(">c</div>") && !html[1].includes("channel"));
    assert.equal((html[2].match(/<img /g) ?? []).length, 1);
    assert.ok(!html[2].includes("<table"));
    assert.ok(html[3].includes("filter 1"));
    assert.ok((sent[3].content.data["text/plain"] as string).includes("diverging, normalize=all"));
  });

  it("binary bundle values are sent as base64", () => {
    const sent = insideFakeKernel(() => displayBundle({ "image/png": new Uint8Array([137, 80, 78, 71]) }));
    assert.equal(sent[0].content.data["image/png"], Buffer.from([137, 80, 78, 71]).toString("base64"));
  });
});
