import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { DcdAggregateError, DisposableStore, toDisposable } from "../index.js";

describe("DisposableStore", () => {
  useLeakCheck();

  it("disposes in reverse order of addition, once", () => {
    const order: number[] = [];
    const store = new DisposableStore();
    for (const n of [1, 2, 3]) store.add(toDisposable(() => order.push(n)));
    store.dispose();
    store.dispose();
    expect(order).toEqual([3, 2, 1]);
  });

  it("keeps going after a failure and reports every failure", () => {
    const order: number[] = [];
    const store = new DisposableStore();
    store.add(toDisposable(() => order.push(1)));
    store.add(toDisposable(() => {
      throw new Error("boom");
    }));
    store.add(toDisposable(() => order.push(3)));
    expect(() => { store.dispose(); }).toThrow(DcdAggregateError);
    expect(order).toEqual([3, 1]);
  });

  it("disposes at once what is added after disposal", () => {
    const store = new DisposableStore();
    store.dispose();
    let done = false;
    store.add(toDisposable(() => (done = true)));
    expect(done).toBe(true);
  });
});
