/** How a user with an NVIDIA GPU gets onnxruntime-node's CUDA execution provider. */
export const CUDA_INSTALL_HINT =
  'onnxruntime-node ships the CUDA provider libraries separately: on Linux x64 with CUDA 12 and cuDNN 9 installed, run ' +
  '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` (or let your package manager run ' +
  "onnxruntime-node's install script with that variable set; pnpm needs it listed in onlyBuiltDependencies), " +
  "then check that `nvidia-smi` works. Use device 'cpu' or 'auto' to run without a GPU.";
