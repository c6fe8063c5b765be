/**
 * The kernel log's printk timestamps: each line carries the clock's time when it was printed,
 * in the stored entries and in what `lines$` emits, so readers need not stamp lines themselves.
 */
import { firstValueFrom, toArray } from "rxjs";
import { describe, expect, it } from "vitest";
import { KernelLog, VirtualClock } from "../index.js";

describe("KernelLog", () => {
  it("stamps every line with its clock's time at print, in entries() and lines$ alike", async () => {
    const clock = new VirtualClock(5);
    const log = new KernelLog(clock);
    const seen = firstValueFrom(log.lines$.pipe(toArray()), { defaultValue: [] });
    log.info("mem0", "first");
    clock.advance(1234.5);
    log.warn(undefined, "second");
    log.debug("region0", "third");
    clock.advance(1);
    log.dispose();
    expect(log.entries()).toEqual([
      { level: "info", device: "mem0", message: "first", atMs: 5 },
      { level: "warn", device: "", message: "second", atMs: 1239.5 },
      { level: "debug", device: "region0", message: "third", atMs: 1239.5 },
    ]);
    expect(await seen).toEqual(log.entries());
    // The time is the print's, not the read's.
    expect(log.entries()[0]?.atMs).toBe(5);
    expect(log.text()).toBe("mem0: first\nsecond");
  });

  it("a log built without a clock prints lines without a time", () => {
    const log = new KernelLog();
    log.err("mem0", "no clock");
    expect(log.entries()).toEqual([{ level: "err", device: "mem0", message: "no clock" }]);
    expect(log.entries()[0]).not.toHaveProperty("atMs");
    log.dispose();
  });
});
