/**
 * describeNetwork: output shape and parameter count of every layer of a network description.
 * Parameters are the trainable ones (weights, biases, batch-norm gamma and beta); batch-norm
 * running statistics are buffers and are not counted (torchvision's convention).
 */
import type { LayerSpec, LayerSummary } from "../layers";
import { convOutputSize } from "./flat";

type Shape = [number, number, number] | [number];

function positiveInt(v: unknown, label: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${label} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

function nonNegativeInt(v: unknown, label: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${label} must be a non-negative integer, got ${String(v)}`);
  }
  return v;
}

function spatial(shape: Shape, name: string): [number, number, number] {
  if (shape.length !== 3) {
    throw new TypeError(`${name} needs an [h, w, c] input, but the previous layer outputs [${shape.join(", ")}]`);
  }
  return shape;
}

/** Output size of one spatial dimension, with the layer's name in the error message. */
function outSize(name: string, n: number, k: number, s: number, p: number): number {
  const out = Math.floor((n + 2 * p - k) / s) + 1;
  if (out < 1) {
    throw new RangeError(`${name}: a ${k}x${k} window with stride ${s} and pad ${p} does not fit an input of size ${n}`);
  }
  return convOutputSize(n, k, s, p);
}

/** Weights and biases of a kh x kw conv from cin to cout channels. */
function convParams(kh: number, kw: number, cin: number, cout: number, bias: boolean): number {
  return kh * kw * cin * cout + (bias ? cout : 0);
}

export function describeNetwork(input: [number, number, number], layers: LayerSpec[]): LayerSummary[] {
  if (!Array.isArray(input) || input.length !== 3) throw new RangeError("input must be [height, width, channels]");
  input.forEach((d, i) => positiveInt(d, `input[${i}]`));
  if (!Array.isArray(layers)) throw new TypeError("layers must be an array of layer specs");
  let shape: Shape = [input[0], input[1], input[2]];
  const counts = new Map<string, number>();
  const out: LayerSummary[] = [];

  for (const layer of layers) {
    const k = (counts.get(layer.type) ?? 0) + 1;
    counts.set(layer.type, k);
    const name = layer.name ?? `${layer.type}${k}`;
    let params = 0;

    switch (layer.type) {
      case "conv": {
        const [h, w, c] = spatial(shape, name);
        const filters = positiveInt(layer.filters, `${name}.filters`);
        const [kh, kw] = Array.isArray(layer.size) ? layer.size : [layer.size, layer.size];
        positiveInt(kh, `${name}.size`);
        positiveInt(kw, `${name}.size`);
        const stride = positiveInt(layer.stride ?? 1, `${name}.stride`);
        const pad = nonNegativeInt(layer.pad ?? 0, `${name}.pad`);
        shape = [outSize(name, h, kh, stride, pad), outSize(name, w, kw, stride, pad), filters];
        params = convParams(kh, kw, c, filters, layer.bias ?? true);
        break;
      }
      case "maxpool":
      case "avgpool": {
        const [h, w, c] = spatial(shape, name);
        const size = positiveInt(layer.size, `${name}.size`);
        const stride = positiveInt(layer.stride ?? size, `${name}.stride`);
        const pad = nonNegativeInt(layer.pad ?? 0, `${name}.pad`);
        shape = [outSize(name, h, size, stride, pad), outSize(name, w, size, stride, pad), c];
        break;
      }
      case "fc": {
        const units = positiveInt(layer.units, `${name}.units`);
        const inUnits = shape.reduce((p, d) => p * d, 1);
        params = inUnits * units + ((layer.bias ?? true) ? units : 0);
        shape = [units];
        break;
      }
      case "flatten":
        shape = [shape.reduce((p, d) => p * d, 1)];
        break;
      case "relu":
      case "lrn":
      case "dropout":
        break;
      case "batchnorm":
        params = 2 * shape[shape.length - 1];
        break;
      case "inception": {
        const [h, w, c] = spatial(shape, name);
        const c1 = positiveInt(layer.conv1x1, `${name}.conv1x1`);
        const r3 = positiveInt(layer.reduce3x3, `${name}.reduce3x3`);
        const c3 = positiveInt(layer.conv3x3, `${name}.conv3x3`);
        const r5 = positiveInt(layer.reduce5x5, `${name}.reduce5x5`);
        const c5 = positiveInt(layer.conv5x5, `${name}.conv5x5`);
        const pp = positiveInt(layer.poolProj, `${name}.poolProj`);
        params =
          convParams(1, 1, c, c1, true) +
          convParams(1, 1, c, r3, true) +
          convParams(3, 3, r3, c3, true) +
          convParams(1, 1, c, r5, true) +
          convParams(5, 5, r5, c5, true) +
          convParams(1, 1, c, pp, true);
        // Every branch keeps h x w: 1x1 pad 0, 3x3 pad 1, 5x5 pad 2, 3x3 maxpool stride 1 pad 1.
        shape = [h, w, c1 + c3 + c5 + pp];
        break;
      }
      case "residual": {
        const [h, w, c] = spatial(shape, name);
        const f = positiveInt(layer.filters, `${name}.filters`);
        const stride = positiveInt(layer.stride ?? 1, `${name}.stride`);
        // The strided conv is a 3x3 pad 1 (the shortcut's 1x1 pad 0 stride s gives the same size).
        const oh = outSize(name, h, 3, stride, 1);
        const ow = outSize(name, w, 3, stride, 1);
        const bn = (ch: number) => 2 * ch;
        let cout: number;
        if (layer.bottleneck) {
          cout = 4 * f;
          params = convParams(1, 1, c, f, false) + bn(f) + convParams(3, 3, f, f, false) + bn(f) + convParams(1, 1, f, cout, false) + bn(cout);
        } else {
          cout = f;
          params = convParams(3, 3, c, f, false) + bn(f) + convParams(3, 3, f, f, false) + bn(f);
        }
        if (stride !== 1 || c !== cout) params += convParams(1, 1, c, cout, false) + bn(cout);
        shape = [oh, ow, cout];
        break;
      }
      default: {
        const t: never = layer;
        throw new TypeError(`unknown layer type ${JSON.stringify((t as { type?: unknown }).type)}`);
      }
    }
    out.push({ name, outputShape: shape.slice() as Shape, params });
  }
  return out;
}
