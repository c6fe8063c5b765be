/** Test helpers for the device model: small devices, draining logs, proving refusals change nothing. */
import { NULL_UUID } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import type { Observable, Subscription } from "rxjs";
import { afterEach, expect } from "vitest";
import type { DcdDeviceConfig } from "../config.js";
import { DcdDevice } from "../device.js";
import type { DcEventRecord } from "@dcd/core";
import type { LogicalDevice } from "../../mailbox/logical-device.js";
import { type MboxRc, mboxRcName } from "@dcd/core";
import type { DcExtent, DpaRange } from "../types.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const BASE = 0x80000000;
export const TAG_A = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
export const TAG_B = "deadbeef-cafe-baad-f00d-fedcba987654";

/** Two 256 MiB partitions after 2 GiB of ram: region 0 (block 2 MiB) and region 1 (block 4 KiB, sharable). */
export function specConfig(over: Partial<DcdDeviceConfig> = {}): DcdDeviceConfig {
  return {
    name: "dcd-test",
    ramSize: 2 * GIB,
    partitions: [
      { base: BASE, decodeLength: 256 * MIB, length: 256 * MIB, blockSize: 2 * MIB, dsmadHandle: 1 },
      { base: BASE + 256 * MIB, decodeLength: 256 * MIB, length: 256 * MIB, blockSize: 4096, dsmadHandle: 2, sharable: true },
    ],
    eventLogCapacity: 64,
    ...over,
  };
}

export function specDevice(over: Partial<DcdDeviceConfig> = {}): DcdDevice {
  return new DcdDevice(specConfig(over));
}

export function ext(dpa: number, len: number, tag = NULL_UUID, sharedSeq = 0): DcExtent {
  return { dpa, len, tag, sharedSeq };
}

export function range(dpa: number, len: number): DpaRange {
  return { dpa, len };
}

/** Read and clear every record of a host's DC log (as the host's event handler does). */
export function drain(ld: LogicalDevice): DcEventRecord[] {
  const out: DcEventRecord[] = [];
  for (;;) {
    const r = ld.getEventRecords({ logType: 4 });
    if (r.rc !== 0) throw new Error(`get event records failed: ${mboxRcName(r.rc)}`);
    if (r.value.records.length === 0) return out;
    out.push(...r.value.records);
    const c = ld.clearEventRecords({ logType: 4, clearAll: false, handles: r.value.records.map((x) => x.handle) });
    if (c.rc !== 0) throw new Error(`clear failed: ${mboxRcName(c.rc)}`);
  }
}

/** Offer `extents` to host 0 prescriptively and accept them all. */
export function addAccepted(device: DcdDevice, extents: readonly DcExtent[], hostId = 0): void {
  const r = device.initiateAdd({ hostId, selectionPolicy: "prescriptive", extents });
  expect(mboxRcName(r.rc)).toBe("SUCCESS");
  const ld = device.logicalDevice(hostId);
  drain(ld);
  const a = ld.addCapacityResponse({ more: false, extents: extents.map((e) => range(e.dpa, e.len)) });
  expect(mboxRcName(a.rc)).toBe("SUCCESS");
}

/** Run `op`, expect return code `rc`, and prove the device's whole state did not change. */
export function expectRefused(device: DcdDevice, rc: MboxRc, op: () => { readonly rc: number }): void {
  const before = device.snapshot();
  const r = op();
  expect(mboxRcName(r.rc)).toBe(mboxRcName(rc));
  expect(device.snapshot()).toEqual(before);
}

/**
 * Inside a describe block: leak-check every test and dispose the devices it made. The dispose
 * hook is registered after the leak check so it runs first (after-hooks run in reverse order).
 */
export function useDevices(): (over?: Partial<DcdDeviceConfig>) => DcdDevice {
  let made: DcdDevice[] = [];
  useLeakCheck();
  afterEach(() => {
    for (const d of made) d.dispose();
    made = [];
  });
  return (over = {}) => {
    const d = specDevice(over);
    made.push(d);
    return d;
  };
}

/** Subscribe with an error handler that fails loudly: device streams must never error. */
export function watch<T>(obs$: Observable<T>, next: (value: T) => void): Subscription {
  return obs$.subscribe({
    next,
    error: (err: unknown) => {
      throw new Error(`stream errored: ${String(err)}`);
    },
  });
}
