/**
 * Leak checks for test suites. `useLeakCheck()` in a describe block (or at file top level)
 * snapshots the core's leak tracker before each test and fails the test if any devres binding,
 * owned subscription, container or host created during it is still live afterwards.
 */
import { leakTracker, type LiveResource } from "@dcd/core";
import { afterEach, beforeEach, expect } from "vitest";

/** Resources created since `before` that are still live, formatted for an assertion message. */
export function describeLeaks(leaks: readonly LiveResource[]): string {
  return leaks.map((l) => `${l.kind}(${l.label})`).join(", ");
}

/** Run `body` and return what it leaked (resources it created and did not release). */
export async function leaksOf(body: () => unknown): Promise<LiveResource[]> {
  const before = leakTracker.snapshot();
  await body();
  return leakTracker.leakedSince(before);
}

/** Register before/after hooks that fail the current test when it leaks. */
export function useLeakCheck(): void {
  let before: ReadonlySet<number> = new Set();
  beforeEach(() => {
    before = leakTracker.snapshot();
  });
  afterEach(() => {
    const leaks = leakTracker.leakedSince(before);
    expect(leaks, `leaked: ${describeLeaks(leaks)}`).toEqual([]);
  });
}
