import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/fastCheckSeed.ts"],
    testTimeout: 30_000,
  },
});
