/**
 * Pictures and plots for notebooks, shown through tslab's display API (see bundle.ts).
 * Importing this module loads neither tslab, pngjs nor tfjs; they are loaded when first needed.
 */
export { MimeBundle, displayBundle, inTslabKernel } from "./bundle";
export { Colormap } from "./color";
export { ImageGridOptions, imageGridPng } from "./png";
export { TensorLike, ShowImageGridOptions, featureMaps, filterImages, imageGridHtml, showImageGrid, showFeatureMaps, showFilters } from "./grid";
export { TableOptions, HeatmapOptions, tableHtml, tableText, heatmapHtml, showTable, showHeatmap } from "./html";
export {
  TrainingHistory,
  TrainingCurvesOptions,
  CurvePoint,
  trainingCurvesSpec,
  trainingCurvesSvg,
  trainingCurvesText,
  trainingCurvesPlotArea,
  showTrainingCurves,
} from "./curves";
