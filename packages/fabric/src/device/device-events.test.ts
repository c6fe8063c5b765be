import { config } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceEvent } from "./device-events.js";
import { BASE, drain, ext, MIB, range, useDevices, watch } from "./test-support/fixtures.js";

describe("observability", () => {
  const make = useDevices();
  const savedHandler = config.onUnhandledError;
  afterEach(() => {
    config.onUnhandledError = savedHandler;
  });

  it("emits one event per state change with host id and details", () => {
    const d = make();
    const seen: DeviceEvent[] = [];
    const sub = watch(d.events$, (e) => seen.push(e));
    const ld = d.logicalDevice(0);
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 4 * MIB)] });
    drain(ld);
    ld.addCapacityResponse({ more: false, extents: [range(BASE, 2 * MIB)] });
    d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: [range(BASE, 2 * MIB)] });
    ld.releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] });
    ld.releaseCapacity({ more: false, extents: [range(BASE, 2 * MIB)] });
    sub.unsubscribe();
    expect(seen.map((e) => e.type)).toEqual(["extents-offered", "event-records-cleared", "extents-accepted", "extents-declined", "release-requested", "extents-released", "command-rejected"]);
    expect(seen[3]).toMatchObject({ hostId: 0, extents: [ext(BASE + 2 * MIB, 2 * MIB)] });
    expect(seen[6]).toMatchObject({ device: "dcd-test", hostId: 0, command: "release-dc(4803h)", rc: 0x0f, rcName: "INVALID_PA" });
  });

  it("keeps delivering to everyone when a subscriber throws (the stream never errors)", async () => {
    const d = make();
    const unhandled: unknown[] = [];
    config.onUnhandledError = (err) => unhandled.push(err);
    let calm = 0;
    const bad = watch(d.events$, () => {
      throw new Error("subscriber bug");
    });
    const good = d.events$.subscribe({ next: () => calm++, error: () => expect.unreachable() });
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB)] });
    d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE + 2 * MIB, 2 * MIB)] });
    bad.unsubscribe();
    good.unsubscribe();
    expect(calm).toBe(2);
    // RxJS reports a consumer's error on a later macrotask.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(unhandled).toHaveLength(2);
  });

  it("lets a host answer synchronously from its interrupt: state is final before notifications", () => {
    const d = make();
    const ld = d.logicalDevice(0);
    const sub = watch(ld.interrupt$, () => {
      const recs = drain(ld);
      ld.addCapacityResponse({ more: false, extents: recs.filter((r) => r.eventType === 0).map((r) => range(r.extent.dpa, r.extent.len)) });
    });
    expect(d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [ext(BASE, 2 * MIB), ext(BASE + 2 * MIB, 2 * MIB)] }).rc).toBe(0);
    sub.unsubscribe();
    expect(d.acceptedExtents(0)).toEqual([ext(BASE, 2 * MIB), ext(BASE + 2 * MIB, 2 * MIB)]);
    expect(d.pendingGroups(0)).toEqual([]);
  });

  it("completes every stream on dispose", () => {
    const d = make();
    let done = 0;
    d.events$.subscribe({ complete: () => done++, error: () => expect.unreachable() });
    d.logicalDevice(0).interrupt$.subscribe({ complete: () => done++, error: () => expect.unreachable() });
    d.dispose();
    d.dispose();
    expect(done).toBe(2);
  });
});
