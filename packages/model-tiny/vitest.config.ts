import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'model-tiny',
    include: ['test/**/*.test.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
    // the ONNX tests are CPU-bound; running files one after another keeps a 2-core machine responsive
    fileParallelism: false,
  },
});
