// SVG plots with no dependencies: learning curves, decision boundaries of 2-input models, confusion matrices,
// and a linear classifier's hyperplane (the perceptron's).
export { learningCurve, type LearningCurveData, type LearningCurveOptions } from './learning-curve.js';
export { decisionBoundary, type DecisionBoundaryOptions, type Predictor } from './decision-boundary.js';
export { confusionMatrix, confusionMatrixText, confusionMatrixSvg } from './confusion-matrix.js';
export { hyperplane, type HyperplaneOptions, type LinearModel } from './hyperplane.js';
