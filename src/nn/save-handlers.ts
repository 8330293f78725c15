// Where model.save() and model.exportTfjs() write: handlers that the file code (src/io) registers when it
// is imported (the package entry does), so the model code never imports the file code. A handler copies
// the model's weights before its first await: what is saved is the model at the moment of the call.
import type { Sequential } from './sequential.js';

export type SaveKind = 'save' | 'exportTfjs';

/**
 * A URL object (the runtime's global WHATWG URL) as far as model locations need it. Declared here rather
 * than as `URL`, so that the package's declarations compile without the DOM's or Node's types.
 */
export interface UrlObject {
  readonly href: string;
  readonly protocol: string;
}
/** Where a model is saved: a folder path, a path to its model.json, or a file:// URL (string or URL object). */
export type ModelDestination = string | UrlObject;
export interface SaveOptions {
  /** Extra JSON data kept in model.json (the CLI stores class names and image shape). */
  metadata?: Record<string, unknown>;
  /** Save the optimizer's state (slots and step count) once it has trained (default true; model.save only). */
  includeOptimizer?: boolean;
}
type SaveHandler = (model: Sequential, destination: ModelDestination, options?: SaveOptions) => Promise<void>;

const handlers = new Map<SaveKind, SaveHandler>();

export function registerSaveHandler(kind: SaveKind, handler: SaveHandler): void {
  handlers.set(kind, handler);
}

export function saveWith(kind: SaveKind, model: Sequential, destination: ModelDestination, options?: SaveOptions): Promise<void> {
  const handler = handlers.get(kind);
  if (handler === undefined) return Promise.reject(new Error(`model.${kind}: no file support is loaded; import 'simdnet' (its entry loads it)`));
  return handler(model, destination, options);
}
