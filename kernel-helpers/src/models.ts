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
