import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'example-custom-backend',
    include: ['test/**/*.test.ts'],
  },
});
