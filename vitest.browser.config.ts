// `npm run test:browser`: headless Chromium (Debian's, driven by playwright-core) and the smoke
// script against a real `npm run dev` on a free port, plus what the dev server promises about
// itself. Not part of `npm test`: it needs /usr/bin/chromium and starts wrangler.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "browser",
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./test/browser/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Ctrl-C lets wrangler shut workerd down cleanly, which takes a few seconds.
    teardownTimeout: 60_000,
  },
});
