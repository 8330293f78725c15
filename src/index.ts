// simdnet's public API.
export { Tensor, tensor, zeros, memory } from './tensor.js';
export type { Shape, TensorLike, NestedArray } from './tensor.js';
