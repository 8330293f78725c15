// Data in and out: IDX files, ready-made datasets, label helpers, model save/load and TensorFlow.js interop.
import { digits, idxFolder } from './datasets.js';
import { registerSaveHandler } from '../nn/save-handlers.js';
import { exportTfjs, saveModel } from './model-io.js';
import { array, Dataset, generator } from './dataset.js';
import { csv, idx } from './data-sources.js';

export { parseIdx, readIdx, loadIdxImages, loadIdxLabels, type IdxFile, type IdxReadOptions } from './idx.js';
export { oneHot, fromOneHot, argmaxRows } from './labels.js';
export { digits, idxFolder, findIdxFiles, type ImageDataset, type LabeledImages, type IdxFolderOptions } from './datasets.js';
export { saveModel, loadModel, exportTfjs, loadTfjs, loadSaved, type SaveOptions, type ModelLocation, type TfjsModelArtifacts } from './model-io.js';
export { writeSavedModel, readSavedModel, type SavedModel, type TrainingConfig } from './simdnet-format.js';
export { writeTfjs, readTfjs, toTfjsArtifacts, fromTfjsArtifacts, type TfjsModelJson } from './tfjs.js';
export type { WeightSpec } from './model-spec.js';
export { SIMDNET_VERSION } from './version.js';

// model.save() and model.exportTfjs() write through these (the model code does not import the file code).
registerSaveHandler('save', saveModel);
registerSaveHandler('exportTfjs', exportTfjs);

/** Streaming datasets (tfjs's tf.data): sources and the Dataset pipeline (shuffle, batch, map, prefetch, take). */
export const data = { array, generator, idx, csv, Dataset } as const;
export { Dataset, type Block } from './dataset.js';
export type { IdxDataOptions, IdxElement, CsvOptions, CsvColumnConfig, CsvElement, CsvDtype } from './data-sources.js';

/** Ready-made labelled image sets. */
export const datasets = { digits, idxFolder } as const;
