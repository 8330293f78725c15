// Activation codes shared by the GEMM epilogue and the elementwise kernels.
// Mirrored in src/ops/activation-kinds.ts: keep the two in step.
export const ACT_IDENTITY: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY_RELU: i32 = 2;
export const ACT_SIGMOID: i32 = 3;
export const ACT_TANH: i32 = 4;
export const ACT_STEP: i32 = 5;
