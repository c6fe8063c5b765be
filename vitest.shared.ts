import { defineProject } from "vitest/config";

/** Settings every package's vitest project shares (merged by packages/<p>/vitest.config.ts). */
export const shared = defineProject({
  // Resolve workspace packages to their TypeScript sources: no pre-build needed for tests.
  ssr: { resolve: { conditions: ["@dcd/source"] } },
  resolve: { conditions: ["@dcd/source"] },
  test: {
    include: ["src/**/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    restoreMocks: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
