import {defineConfig} from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/global-setup.ts'],
    // CI=true makes Ink draw only its final frame; the tests look at every frame, as a user does.
    env: {CI: 'false', CONTINUOUS_INTEGRATION: 'false'},
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Engine tests share real engines; files run one at a time so a stop in one file
    // never races a detection in another.
    fileParallelism: false,
  },
});
