import { DcdDevice } from "@dcd/fabric";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { NULL_UUID } from "../../uuid.js";
import { MBOX_RC } from "../wire/rc.js";
import { OPCODE } from "../wire/opcodes.js";
import { decodeUpdatedExtentList, encodeUpdatedExtentList } from "../wire/updated-extent-list.js";
import { CxlMailbox } from "./mailbox.js";
import { errnoNumber, mboxRcToErrno } from "./rc-errno.js";
import type { CxlMailboxTransport } from "./transport.js";

const MIB = 1024 * 1024;
const BASE = 0x80000000;

function device(over: { payloadSize?: number; partitions?: number } = {}): DcdDevice {
  const n = over.partitions ?? 1;
  return new DcdDevice({
    name: "dcd0",
    ramSize: 2048 * MIB,
    payloadSize: over.payloadSize ?? 2048,
    eventLogCapacity: 256,
    partitions: Array.from({ length: n }, (_, i) => ({ base: BASE + i * 256 * MIB, decodeLength: 256 * MIB, length: 256 * MIB, blockSize: 2 * MIB, dsmadHandle: i })),
  });
}

/** A transport that records every command and answers from a script. */
function scripted(answer: (opcode: number, payload: Uint8Array) => { rc: number; payload: Uint8Array }): CxlMailboxTransport & { sent: { opcode: number; payload: Uint8Array }[] } {
  const sent: { opcode: number; payload: Uint8Array }[] = [];
  return {
    sent,
    payloadSize: 256,
    execute(opcode, payload) {
      sent.push({ opcode, payload });
      return answer(opcode, payload);
    },
  };
}

describe("CxlMailbox", () => {
  useLeakCheck();
  const devices: DcdDevice[] = [];
  afterEach(() => {
    for (const d of devices.splice(0)) d.dispose();
  });
  const make = (over?: Parameters<typeof device>[0]): DcdDevice => {
    const d = device(over);
    devices.push(d);
    return d;
  };

  it("maps return codes to errno as cxl_mbox_cmd_rc2errno (§1.6)", () => {
    expect(mboxRcToErrno(MBOX_RC.SUCCESS)).toBeUndefined();
    expect(mboxRcToErrno(MBOX_RC.BG_STARTED)).toBeUndefined();
    expect(mboxRcToErrno(MBOX_RC.INVALID_PA)).toBe("EFAULT");
    expect(mboxRcToErrno(0x10)).toBe("EBUSY");
    for (const rc of [MBOX_RC.INVALID_INPUT, MBOX_RC.UNSUPPORTED, MBOX_RC.INTERNAL_ERROR, MBOX_RC.RETRY_REQUIRED, MBOX_RC.BUSY, MBOX_RC.INVALID_PAYLOAD_LENGTH, MBOX_RC.RESOURCES_EXHAUSTED, MBOX_RC.INVALID_EXTENT_LIST, 0x7f]) {
      expect(mboxRcToErrno(rc)).toBe("ENXIO");
    }
    expect(errnoNumber("ENXIO")).toBe(6);
    expect(errnoNumber("EINVAL")).toBe(22);
  });

  it("reads every DC region with 4800h paging", () => {
    const d = make({ partitions: 3 });
    const mbox = new CxlMailbox(d.logicalDevice(0), { name: "mem0", payloadSize: 2048 });
    const cfg = mbox.getDcConfig();
    expect(cfg.numRegions).toBe(3);
    expect(cfg.regions.map((r) => r.base)).toEqual([BASE, BASE + 256 * MIB, BASE + 512 * MIB]);
    expect(cfg.regions[0]?.decodeLength).toBe(256 * MIB);
  });

  it("pages 4800h when one page returns fewer regions than available", () => {
    const d = make({ partitions: 3 });
    const ld = d.logicalDevice(0);
    let calls = 0;
    // A device that returns one region per page (the spec allows fewer than asked).
    const mbox = new CxlMailbox({
      execute: (op, p) => {
        calls++;
        return op === OPCODE.GET_DC_CONFIG ? ld.execute(op, Uint8Array.of(1, p[1] ?? 0)) : ld.execute(op, p);
      },
    });
    expect(mbox.getDcConfig().regions).toHaveLength(3);
    expect(calls).toBe(3);
  });

  it("reads the extent list by page and event records, and clears them", () => {
    const d = make();
    const ld = d.logicalDevice(0);
    const mbox = new CxlMailbox(ld, { payloadSize: 2048 });
    d.seedAccepted(0, [
      { dpa: BASE, len: 2 * MIB, tag: NULL_UUID, sharedSeq: 0 },
      { dpa: BASE + 4 * MIB, len: 2 * MIB, tag: NULL_UUID, sharedSeq: 0 },
    ]);
    const page = mbox.getDcExtentList({ extentCount: 1, startIndex: 1 });
    expect(page.total).toBe(2);
    expect(page.extents).toEqual([{ dpa: BASE + 4 * MIB, len: 2 * MIB, tag: NULL_UUID, sharedSeq: 0 }]);

    expect(d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: [{ dpa: BASE + 8 * MIB, len: 2 * MIB }] }).rc).toBe(0);
    const recs = mbox.getEventRecords(4);
    expect(recs.records).toHaveLength(1);
    expect(recs.records[0]?.extent.dpa).toBe(BASE + 8 * MIB);
    mbox.clearEventRecords(4, recs.records.map((r) => r.handle));
    expect(ld.eventLog.length).toBe(0);
    expect(mbox.addDcResponse([{ dpa: BASE + 8 * MIB, len: 2 * MIB }])).toBe(1);
    expect(d.acceptedExtents(0)).toHaveLength(3);
    expect(mbox.releaseDc([{ dpa: BASE, len: 2 * MIB }])).toBe(1);
    expect(d.acceptedExtents(0)).toHaveLength(2);
    expect(mbox.releaseDc([{ dpa: BASE + 8 * MIB, len: 2 * MIB }])).toBe(1);
    expect(d.acceptedExtents(0).map((e) => e.dpa)).toEqual([BASE + 4 * MIB]);
  });

  it("R44: a one-extent Release DC carries the list codec's exact bytes, each command its own values", () => {
    const seen: Uint8Array[] = [];
    const mbox = new CxlMailbox({
      payloadSize: 256,
      execute(_opcode, payload) {
        // The input may be reused registers: a transport that keeps it copies it.
        seen.push(payload.slice());
        return { rc: 0, payload: new Uint8Array(0) };
      },
    });
    const a = { dpa: 2 ** 40 + 2 * MIB, len: 4 * MIB };
    const b = { dpa: BASE, len: 2 * MIB };
    mbox.releaseDc([a]);
    mbox.releaseDc([b]);
    expect(seen).toEqual([encodeUpdatedExtentList({ more: false, extents: [a] }), encodeUpdatedExtentList({ more: false, extents: [b] })]);
  });

  it("R34: splits a long Add DC Response into payloads with More on all but the last", () => {
    const t = scripted(() => ({ rc: 0, payload: new Uint8Array(0) }));
    const mbox = new CxlMailbox(t); // 256 bytes: 10 entries per payload
    expect(mbox.updatedExtentsPerPayload).toBe(10);
    const extents = Array.from({ length: 25 }, (_, i) => ({ dpa: i * 2 * MIB, len: 2 * MIB }));
    expect(mbox.addDcResponse(extents)).toBe(3);
    const decoded = t.sent.map((s) => decodeUpdatedExtentList(s.payload));
    expect(decoded.map((p) => [p.extents.length, p.more])).toEqual([
      [10, true],
      [10, true],
      [5, false],
    ]);
    expect(decoded.flatMap((p) => p.extents)).toEqual(extents);
  });

  it("R34: an empty Add DC Response is one payload with 0 entries and flags 0", () => {
    const t = scripted(() => ({ rc: 0, payload: new Uint8Array(0) }));
    new CxlMailbox(t).addDcResponse([]);
    expect(t.sent).toHaveLength(1);
    expect(Array.from(t.sent[0]!.payload)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("a full last payload does not leave More set on the logical response", () => {
    const t = scripted(() => ({ rc: 0, payload: new Uint8Array(0) }));
    new CxlMailbox(t).addDcResponse(Array.from({ length: 20 }, (_, i) => ({ dpa: i * 2 * MIB, len: 2 * MIB })));
    expect(t.sent.map((s) => decodeUpdatedExtentList(s.payload).more)).toEqual([true, false]);
  });

  it("turns a device refusal into the errno of the rc table, naming the command", () => {
    const d = make();
    const mbox = new CxlMailbox(d.logicalDevice(0), { name: "mem0" });
    // Nothing is pending: a non-empty response names capacity never offered.
    const err = (() => {
      try {
        mbox.addDcResponse([{ dpa: BASE, len: 2 * MIB }]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: expect.stringMatching(/^E(FAULT|NXIO)$/) as unknown, detail: { opcode: OPCODE.ADD_DC_RESPONSE } });
    expect((err as Error).message).toMatch(/^mem0: Add DC Response \(0x4802\) failed: /);
  });

  it("Invalid Physical Address is EFAULT; Busy, Exhausted and Invalid Extent List are ENXIO", () => {
    for (const [rc, code] of [
      [MBOX_RC.INVALID_PA, "EFAULT"],
      [MBOX_RC.BUSY, "ENXIO"],
      [MBOX_RC.RESOURCES_EXHAUSTED, "ENXIO"],
      [MBOX_RC.INVALID_EXTENT_LIST, "ENXIO"],
    ] as const) {
      const mbox = new CxlMailbox(scripted(() => ({ rc, payload: new Uint8Array(0) })));
      expect(() => mbox.releaseDc([{ dpa: 0, len: 2 * MIB }])).toThrow(expect.objectContaining({ code, detail: expect.objectContaining({ rc }) as unknown }));
    }
  });

  it("a short output is EIO and an oversized input is E2BIG before anything is sent", () => {
    const t = scripted(() => ({ rc: 0, payload: new Uint8Array(4) }));
    const mbox = new CxlMailbox(t);
    expect(() => mbox.getEventRecords(4)).toThrow(expect.objectContaining({ code: "EIO" }));
    expect(() => mbox.send(OPCODE.RELEASE_DC, new Uint8Array(257))).toThrow(expect.objectContaining({ code: "E2BIG" }));
    expect(t.sent).toHaveLength(1);
  });

  it("splits Clear Event Records into commands of at most 255 handles", () => {
    const t = scripted(() => ({ rc: 0, payload: new Uint8Array(0) }));
    const mbox = new CxlMailbox(t, { payloadSize: 4096 });
    mbox.clearEventRecords(4, Array.from({ length: 300 }, (_, i) => i + 1));
    expect(t.sent.map((s) => s.payload[2])).toEqual([255, 45]);
  });

  it("refuses a payload size below the spec minimum", () => {
    expect(() => new CxlMailbox({ execute: () => ({ rc: 0, payload: new Uint8Array(0) }), payloadSize: 64 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});
