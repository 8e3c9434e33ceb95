import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'model-adapter',
    include: ['test/**/*.test.ts'],
  },
});
