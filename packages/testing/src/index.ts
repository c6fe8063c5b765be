/**
 * @packageDocumentation
 * `@dcd/testing`: helpers for dcd's own test suites and for driver authors' tests (dev-only):
 * leak checks and fast-check arbitraries.
 */
export * from "./leaks.js";
export * from "./arbitraries.js";
