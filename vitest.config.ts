import { defineConfig } from 'vitest/config';

// `npx vitest` at the root runs every package's suite as one project each (after `pnpm build`).
// `pnpm test` runs them package by package through turbo instead.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'examples/*/vitest.config.ts'],
  },
});
