/**
 * Layer descriptions for `reference.describeNetwork` (output shapes and parameter counts).
 * Types only: no runtime code, no dependencies.
 */

export type LayerSpec =
  /** Convolution; stride 1, pad 0, bias true by default. `size` is k or [kh, kw]. */
  | { type: "conv"; name?: string; filters: number; size: number | [number, number]; stride?: number; pad?: number; bias?: boolean }
  /** Pooling; stride defaults to size, pad 0. */
  | { type: "maxpool" | "avgpool"; name?: string; size: number; stride?: number; pad?: number }
  /** Fully connected; flattens a [h, w, c] input implicitly. */
  | { type: "fc"; name?: string; units: number; bias?: boolean }
  /** Shape-preserving layers (flatten gives [h*w*c]); batchnorm has 2*C params (gamma, beta). */
  | { type: "relu" | "lrn" | "dropout" | "flatten" | "batchnorm"; name?: string }
  /**
   * GoogLeNet module: 1x1; 1x1->3x3 pad 1; 1x1->5x5 pad 2; 3x3 maxpool s1 p1 -> 1x1 proj;
   * convs with bias; output channels concatenated.
   */
  | {
      type: "inception";
      name?: string;
      conv1x1: number;
      reduce3x3: number;
      conv3x3: number;
      reduce5x5: number;
      conv5x5: number;
      poolProj: number;
    }
  /**
   * ResNet v1 block with BN after every conv, convs without bias; basic: 3x3(stride)->3x3;
   * bottleneck: 1x1->3x3(stride)->1x1 with 4*filters out; projection shortcut (1x1 conv stride s
   * + BN) when stride != 1 or channels change, identity otherwise.
   */
  | { type: "residual"; name?: string; filters: number; stride?: number; bottleneck?: boolean };

export type LayerType = LayerSpec["type"];

export interface LayerSummary {
  name: string;
  outputShape: [number, number, number] | [number];
  params: number;
}
