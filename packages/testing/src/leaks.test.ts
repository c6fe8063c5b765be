import { DisposableStore, leakTracker } from "@dcd/core";
import { describe, expect, it } from "vitest";
import { leaksOf } from "./leaks.js";

describe("leaksOf", () => {
  it("reports a store that was never disposed", async () => {
    let store: DisposableStore | undefined;
    const leaks = await leaksOf(() => {
      store = new DisposableStore("left-open");
    });
    expect(leaks.map((l) => l.label)).toEqual(["left-open"]);
    store?.dispose();
    expect(leakTracker.leakedSince(new Set())).not.toContainEqual(expect.objectContaining({ label: "left-open" }));
  });

  it("reports nothing when every store is disposed", async () => {
    const leaks = await leaksOf(() => {
      new DisposableStore("closed").dispose();
    });
    expect(leaks).toEqual([]);
  });
});
