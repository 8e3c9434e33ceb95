import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'backend-cuda',
    include: ['test/**/*.test.ts'],
  },
});
