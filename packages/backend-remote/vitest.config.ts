import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'backend-remote',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
