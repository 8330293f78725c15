// SVG plots with no dependencies: learning curves, decision boundaries of 2-input models, confusion matrices,
// a linear classifier's hyperplane (the perceptron's) and line charts of any y against x.
export { learningCurve, type LearningCurveData, type LearningCurveOptions } from './learning-curve.js';
export { decisionBoundary, type DecisionBoundaryOptions, type Predictor } from './decision-boundary.js';
export { confusionMatrix, confusionMatrixText, confusionMatrixSvg } from './confusion-matrix.js';
export { hyperplane, type HyperplaneOptions, type LinearModel } from './hyperplane.js';
export { lineChart, type LineChartOptions, type LineSeries } from './line-chart.js';
