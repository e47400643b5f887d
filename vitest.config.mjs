import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests import 'nextmini' and get the built bundle (dist/), i.e. what users get.
export default defineConfig({
  resolve: { alias: { nextmini: fileURLToPath(new URL('./dist/node.js', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
  },
});
