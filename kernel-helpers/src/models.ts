/**
 * LeNet-5 for the CNN week, in the common modern form:
 *
 *   conv1  6 filters 5x5, pad same, activation   [28,28,1] -> [28,28,6]     156 params
 *   pool1  max 2x2 stride 2                                  -> [14,14,6]
 *   conv2  16 filters 5x5, valid, activation                 -> [10,10,16]  2,416
 *   pool2  max 2x2 stride 2                                  -> [5,5,16]
 *   flatten                                                  -> [400]
 *   fc1    dense 120, activation                                            48,120
 *   fc2    dense 84, activation                                             10,164
 *   output dense numClasses, softmax                                        850 (10 classes)
 *                                                                   total 61,706
 *
 * Layers have fixed names so that notebooks can pull out `model.getLayer("conv1")` filters and
 * feature maps (see `featureExtractor`).
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "./random";

export type LeNetActivation = "relu" | "tanh";

export interface LeNet5Options {
  numClasses?: number;
  activation?: LeNetActivation;
  /** Seed of the weight initialisers (each layer gets seed + its position). Default: unseeded. */
  seed?: number;
}

export const LENET5_LAYER_NAMES = ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "output"] as const;
export type LeNet5LayerName = (typeof LENET5_LAYER_NAMES)[number];
/** The layers that learn image features (frozen in the transfer-learning experiment). */
export const LENET5_CONV_LAYERS: readonly LeNet5LayerName[] = ["conv1", "conv2"];
/** The dense layers after `flatten`. */
export const LENET5_HEAD_LAYERS: readonly LeNet5LayerName[] = ["fc1", "fc2", "output"];

function initializers(seed: number | undefined, position: number): { kernelInitializer?: ReturnType<typeof tf.initializers.glorotUniform> } {
  if (seed === undefined) return {};
  return { kernelInitializer: tf.initializers.glorotUniform({ seed: seed + position }) };
}

export function buildLeNet5(options: LeNet5Options = {}): tf.Sequential {
  const numClasses = options.numClasses ?? 10;
  if (!(Number.isInteger(numClasses) && numClasses >= 2)) throw new RangeError(`buildLeNet5: numClasses must be an integer >= 2, got ${numClasses}`);
  const activation = options.activation ?? "relu";
  if (activation !== "relu" && activation !== "tanh") throw new RangeError(`buildLeNet5: unknown activation '${String(activation)}'`);
  const seed = options.seed;
  const model = tf.sequential({ name: "lenet5" });
  model.add(
    tf.layers.conv2d({
      name: "conv1",
      inputShape: [28, 28, 1],
      filters: 6,
      kernelSize: 5,
      padding: "same",
      activation,
      ...initializers(seed, 0),
    }),
  );
  model.add(tf.layers.maxPooling2d({ name: "pool1", poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ name: "conv2", filters: 16, kernelSize: 5, padding: "valid", activation, ...initializers(seed, 1) }));
  model.add(tf.layers.maxPooling2d({ name: "pool2", poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten({ name: "flatten" }));
  model.add(tf.layers.dense({ name: "fc1", units: 120, activation, ...initializers(seed, 2) }));
  model.add(tf.layers.dense({ name: "fc2", units: 84, activation, ...initializers(seed, 3) }));
  model.add(tf.layers.dense({ name: "output", units: numClasses, activation: "softmax", ...initializers(seed, 4) }));
  return model;
}

/** Adam + categorical cross-entropy + accuracy. Call again after changing `trainable`. */
export function compileForClassification(model: tf.LayersModel, learningRate = 0.001): tf.LayersModel {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return model;
}

export interface TransferOptions {
  /** Classes of the new task. Default: the base model's. */
  numClasses?: number;
  /** Layers whose trained weights are copied and frozen. Default ["conv1", "conv2"]. */
  freeze?: readonly LeNet5LayerName[];
  /** Layers whose trained weights are copied but stay trainable (fine-tuned). Default none. */
  copyTrainable?: readonly LeNet5LayerName[];
  activation?: LeNetActivation;
  /** Seed for the freshly initialised layers. */
  seed?: number;
}

/**
 * A new LeNet-5 for another task that reuses `base`'s trained layers: the `freeze` layers are
 * copied and frozen, the `copyTrainable` ones copied and trainable, the rest freshly initialised.
 * The result is not compiled.
 */
export function transferLeNet5(base: tf.LayersModel, options: TransferOptions = {}): tf.Sequential {
  const outputUnits = (base.getLayer("output").getConfig() as { units?: number }).units;
  const numClasses = options.numClasses ?? outputUnits ?? 10;
  const freeze = options.freeze ?? LENET5_CONV_LAYERS;
  const copyTrainable = options.copyTrainable ?? [];
  const model = buildLeNet5({ numClasses, activation: options.activation, seed: options.seed });
  for (const name of [...freeze, ...copyTrainable]) {
    if (name === "output" && numClasses !== outputUnits) {
      throw new RangeError(`transferLeNet5: cannot copy 'output' (${outputUnits} classes) into a ${numClasses}-class model`);
    }
    model.getLayer(name).setWeights(base.getLayer(name).getWeights());
  }
  for (const name of freeze) model.getLayer(name).trainable = false;
  return model;
}

/** A model mapping the input images to the outputs of the named layers (e.g. feature maps). */
export function featureExtractor(model: tf.LayersModel, layerNames: readonly string[]): tf.LayersModel {
  const outputs = layerNames.map((name) => model.getLayer(name).output as tf.SymbolicTensor);
  return tf.model({ inputs: model.inputs, outputs });
}

export interface FitShuffledOptions {
  epochs: number;
  batchSize?: number;
  /** Seed of the per-epoch shuffles. Default 0. */
  seed?: number;
  /**
   * Learning rate of each epoch (e.g. a step decay), set on the model's optimizer before the
   * epoch. Works with tfjs's Adam, SGD, momentum and RMSProp optimizers.
   */
  learningRate?: (epoch: number) => number;
  /** Called after each epoch with its mean training loss and accuracy. */
  onEpochEnd?: (epoch: number, loss: number, accuracy: number | undefined) => void | Promise<void>;
}

export interface FitShuffledResult {
  /** Mean training loss of each epoch. */
  loss: number[];
  /** Mean training accuracy of each epoch (when the model was compiled with the accuracy metric). */
  accuracy: number[];
  seconds: number;
}

/**
 * model.fit, but reproducible: model.fit's own shuffle uses Math.random, so here every epoch
 * reorders the data with createRng(seed + epoch) and fits one epoch without shuffling.
 */
export async function fitShuffled(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, options: FitShuffledOptions): Promise<FitShuffledResult> {
  const n = xs.shape[0];
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  const loss: number[] = [];
  const accuracy: number[] = [];
  const start = performance.now();
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    if (options.learningRate !== undefined) {
      const optimizer = model.optimizer as unknown as { learningRate?: number } | undefined;
      if (optimizer === undefined || typeof optimizer.learningRate !== "number") {
        throw new Error("fitShuffled: the model's optimizer has no learningRate to schedule (compile the model first)");
      }
      optimizer.learningRate = options.learningRate(epoch);
    }
    const indices = tf.tensor1d(createRng(seed + epoch).shuffle(order), "int32");
    const xe = tf.gather(xs, indices);
    const ye = tf.gather(ys, indices);
    try {
      const history = await model.fit(xe, ye, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      const epochLoss = history.history.loss[0] as number;
      const acc = (history.history.acc ?? history.history.accuracy)?.[0] as number | undefined;
      loss.push(epochLoss);
      if (acc !== undefined) accuracy.push(acc);
      await options.onEpochEnd?.(epoch, epochLoss, acc);
    } finally {
      tf.dispose([indices, xe, ye]);
    }
  }
  return { loss, accuracy, seconds: (performance.now() - start) / 1000 };
}

/** Fraction of rows whose arg-max prediction equals the arg-max of the one-hot `ys`. */
export function evaluateAccuracy(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor, batchSize = 500): number {
  const n = xs.shape[0];
  if (n === 0) return Number.NaN;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    correct += tf.tidy(() => {
      const x = tf.slice(xs, start, size);
      const y = tf.slice(ys, start, size);
      const predicted = tf.argMax(model.predict(x) as tf.Tensor, 1);
      return tf.sum(tf.cast(tf.equal(predicted, tf.argMax(y, 1)), "int32")).dataSync()[0];
    });
  }
  return correct / n;
}
