/**
 * A one-entry Release DC from the binary mailbox takes its own path (no list: Linux sends one per
 * extent). It must be indistinguishable from the general 4803h path: for random accepted
 * extents, budgets, FM log room, sanitize settings and observers, and random single ranges
 * (whole extents, parts, spans, gaps, misaligned, outside every region, zero length), the return
 * code, the whole device state and the events are the same as the typed command's.
 */
import { fc, test } from "@fast-check/vitest";
import { encodeUpdatedExtentList, OPCODE, mboxRcName } from "@dcd/core";
import { describe, expect } from "vitest";
import type { DeviceEvent } from "../device/device-events.js";
import { DcdDevice } from "../device/device.js";
import { addAccepted, BASE, ext, MIB, specConfig, TAG_A } from "../device/test-support/fixtures.js";
import type { DcExtent } from "../device/types.js";

const BLOCK = 2 * MIB;
const BLOCKS = 16;

/** Accepted extents: disjoint runs of blocks, some tagged. */
const accepted = fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.boolean()), { minLength: 1, maxLength: 6 }).map((runs): DcExtent[] => {
  const out: DcExtent[] = [];
  let b = 0;
  for (const [len, gap, tagged] of runs) {
    b += gap;
    if (b + len > BLOCKS) break;
    out.push(ext(BASE + b * BLOCK, len * BLOCK, tagged ? TAG_A : undefined, 0));
    b += len;
  }
  return out;
});

const range = fc.oneof(
  // Block-aligned ranges over and around the accepted ones.
  fc.tuple(fc.integer({ min: -1, max: BLOCKS }), fc.integer({ min: 0, max: 4 })).map(([b, n]) => ({ dpa: BASE + b * BLOCK, len: n * BLOCK })),
  // Misaligned starts or lengths.
  fc.tuple(fc.integer({ min: 0, max: BLOCKS - 1 }), fc.integer({ min: 1, max: 4096 })).map(([b, d]) => ({ dpa: BASE + b * BLOCK + d, len: BLOCK })),
  fc.tuple(fc.integer({ min: 0, max: BLOCKS - 1 }), fc.integer({ min: 1, max: 4096 })).map(([b, d]) => ({ dpa: BASE + b * BLOCK, len: BLOCK + d })),
  // Outside every region.
  fc.constantFrom({ dpa: 0, len: BLOCK }, { dpa: BASE + 1024 * MIB, len: BLOCK }),
);

const setup = fc.record({
  extents: accepted,
  budgetSlack: fc.integer({ min: 0, max: 3 }),
  fmLogRoom: fc.integer({ min: 0, max: 3 }),
  sanitizeOnRelease: fc.boolean(),
  observed: fc.boolean(),
  releaseUnknownIgnored: fc.boolean(),
});

/**
 * Host 0 holds `extents`; the extent budget is `budgetSlack` above that (so a split may or may
 * not fit); the FM's log, which the Add DC Response filled with one record per extent, has
 * `fmLogRoom` free slots.
 */
function device(s: { extents: readonly DcExtent[]; budgetSlack: number; fmLogRoom: number; sanitizeOnRelease: boolean; releaseUnknownIgnored: boolean }): DcdDevice {
  const d = new DcdDevice(
    specConfig({
      extentBudget: s.extents.length + s.budgetSlack,
      fmEventLogCapacity: s.extents.length + s.fmLogRoom,
      quirks: { releaseUnknownIgnored: s.releaseUnknownIgnored },
      partitions: [{ base: BASE, decodeLength: 256 * MIB, length: 256 * MIB, blockSize: BLOCK, dsmadHandle: 0, sanitizeOnRelease: s.sanitizeOnRelease }],
    }),
  );
  addAccepted(d, s.extents);
  expect(d.snapshot().fmEventLog.records.length).toBe(s.extents.length);
  return d;
}

describe("4803h with one entry", () => {
  // Half the ranges are exactly one of the accepted extents (the kernel's usual release).
  test.prop([setup, range, fc.option(fc.nat(), { freq: 2 })], { numRuns: 300 })("matches the general path: return code, state and events", (s, other, exact) => {
    const whole = exact === null ? undefined : s.extents[exact % s.extents.length];
    const r = whole === undefined ? other : { dpa: whole.dpa, len: whole.len };
    const viaBinary = device(s);
    const viaTyped = device(s);
    try {
      const events: DeviceEvent[][] = [[], []];
      const subs = s.observed ? [viaBinary.events$.subscribe({ next: (e) => events[0]!.push(e), error: () => expect.unreachable() }), viaTyped.events$.subscribe({ next: (e) => events[1]!.push(e), error: () => expect.unreachable() })] : [];
      const a = viaBinary.logicalDevice(0).execute(OPCODE.RELEASE_DC, encodeUpdatedExtentList({ more: false, extents: [r] }));
      const b = viaTyped.logicalDevice(0).releaseCapacity({ more: false, extents: [r] });
      for (const sub of subs) sub.unsubscribe();
      expect(mboxRcName(a.rc)).toBe(mboxRcName(b.rc));
      expect(a.payload.length).toBe(0);
      expect(viaBinary.snapshot()).toEqual(viaTyped.snapshot());
      expect(events[0]).toEqual(events[1]);
      // The FM's record of a release and the event carry the same extent object on both paths.
      const shared = (d: DcdDevice, evs: DeviceEvent[]): boolean | undefined => {
        const released = evs.find((e) => e.type === "extents-released");
        const last = d.fmEventLog.getRecords(64).records.at(-1);
        return released === undefined || last === undefined ? undefined : last.extent === released.extents[0];
      };
      expect(shared(viaBinary, events[0]!)).toBe(shared(viaTyped, events[1]!));
    } finally {
      viaBinary.dispose();
      viaTyped.dispose();
    }
  });
});
