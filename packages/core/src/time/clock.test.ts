import { describe, expect, it } from "vitest";
import { VirtualClock } from "../index.js";

describe("VirtualClock", () => {
  it("fires timers in due order, ties in set order, and never early", () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@20"), 20);
    clock.setTimeout(() => fired.push("a@10"), 10);
    clock.setTimeout(() => fired.push("c@20"), 20);
    clock.advance(15);
    expect(fired).toEqual(["a@10"]);
    expect(clock.now()).toBe(15);
    clock.advance(5);
    expect(fired).toEqual(["a@10", "b@20", "c@20"]);
  });

  it("cancels a disposed timer", () => {
    const clock = new VirtualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 5).dispose();
    clock.advance(10);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it("reads the timer's due time inside its callback and fires chained timers in the same advance", () => {
    const clock = new VirtualClock(100);
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 1);
    }, 2);
    clock.advance(10);
    expect(seen).toEqual([102, 103]);
    expect(clock.now()).toBe(110);
  });

  it("refuses a negative advance", () => {
    expect(() => { new VirtualClock().advance(-1); }).toThrow(RangeError);
  });
});
