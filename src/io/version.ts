// simdnet's version, written into saved models (a test checks it matches package.json).
export const SIMDNET_VERSION = '0.1.0';
