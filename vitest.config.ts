import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{controller,trace-manager,sample-services,istio,test}/**/*.test.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
