import { defineConfig } from 'vitest/config';

// One vitest run over every workspace package (each keeps its own vitest config).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
