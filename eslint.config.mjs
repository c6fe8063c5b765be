import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import rxjsX from "eslint-plugin-rxjs-x";
import tseslint from "typescript-eslint";

const sources = ["packages/*/src/**/*.ts"];

export default defineConfig(
  globalIgnores(["scripts/**", "**/dist/**", "**/coverage/**", "docs/**", "**/*.d.ts", "**/vitest.config.ts", "vitest.*.ts", "eslint.config.mjs"]),
  {
    files: sources,
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked, rxjsX.configs.strict],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
      "@typescript-eslint/no-extraneous-class": ["error", { allowWithDecorator: true }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["packages/*/src/**/*.test.ts", "packages/*/src/**/*.bench.ts", "packages/*/src/**/test-support/**"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-empty-function": "off",
    },
  },
);
