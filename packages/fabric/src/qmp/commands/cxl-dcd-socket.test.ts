/**
 * The DCD commands end to end over a Unix socket, with the exact bytes a QMP client (the
 * reference's example payloads, pretty-printed as people paste them) sends.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { fc, test } from "@fast-check/vitest";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DcdDevice } from "../../device/device.js";
import { MBOX_RC } from "@dcd/core";
import { QmpMonitor } from "../qmp-monitor.js";
import { QomDeviceRegistry } from "../qom-device-registry.js";
import { QmpSocketServer } from "../server/qmp-socket-server.js";
import { RawQmpClient } from "../test-support/raw-qmp-client.js";
import { cxlDcdCommands } from "./cxl-dcd-commands.js";

const MiB = 1024 * 1024;

describe("DCD QMP over a socket", () => {
  useLeakCheck();
  let dir: string;
  let dev: DcdDevice;
  let monitor: QmpMonitor;
  let server: QmpSocketServer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dcd-qmp-dcd-"));
    dev = DcdDevice.fromQemuProperties({ "volatile-dc-memdev": { id: "dc0", size: 512 * MiB }, "num-dc-regions": 1, id: "cxl-dcd0" });
    const registry = new QomDeviceRegistry();
    registry.add("/machine/peripheral/cxl-dcd0", dev);
    monitor = new QmpMonitor({ clock: new VirtualClock(), commands: cxlDcdCommands(registry) });
    server = new QmpSocketServer(monitor);
  });
  afterEach(async () => {
    await server.close();
    monitor.dispose();
    dev.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds, accepts and releases with the reference's payloads; schema errors arrive as QEMU's text", async () => {
    const address = await server.listen({ path: join(dir, "qmp.sock") });
    const c = await RawQmpClient.negotiated(address);
    c.send(`{ "execute": "cxl-add-dynamic-capacity",
  "arguments": { "path": "/machine/peripheral/cxl-dcd0", "host-id": 0,
                 "selection-policy": "prescriptive", "region": 0,
                 "extents": [ { "offset": 0, "len": 134217728 },
                              { "offset": 134217728, "len": 134217728 } ] } }
`);
    expect(await c.nextLine()).toBe('{"return": {}}');
    expect(dev.logicalDevice(0).addCapacityResponse({ more: false, extents: dev.pendingGroups(0)[0]?.extents ?? [] }).rc).toBe(MBOX_RC.SUCCESS);
    c.send(`{ "execute": "cxl-release-dynamic-capacity",
  "arguments": { "path": "/machine/peripheral/cxl-dcd0", "host-id": 0,
                 "removal-policy": "prescriptive", "forced-removal": false,
                 "sanitize-on-release": false, "region": 0,
                 "extents": [ { "offset": 134217728, "len": 134217728 } ] }, "id": "rel-1" }
`);
    expect(await c.nextLine()).toBe('{"return": {}, "id": "rel-1"}');
    c.send('{"execute": "cxl-release-dynamic-capacity", "arguments": {"path": "/machine/peripheral/cxl-dcd0", "host-id": 0, "removal-policy": "prescriptive", "forced-removal": true, "region": 0, "extents": []}}\n');
    expect(await c.nextLine()).toBe('{"error": {"class": "GenericError", "desc": "Forced removal not supported yet"}}');
    c.send('{"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "/machine/peripheral/cxl-dcd0", "host-id": 0, "selection-policy": "prescriptive", "region": 1, "extents": [{"offset": 0, "len": 0}]}}\n');
    expect(await c.nextLine()).toBe('{"error": {"class": "GenericError", "desc": "region id is too large"}}');
    c.send('{"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "/machine/peripheral/cxl-dcd0", "host-id": 0, "selection-policy": "prescriptive", "region": 0, "extents": [{"offset": 0, "len": 2097152, "tag": "x"}]}}\n');
    expect(await c.nextLine()).toBe(`{"error": {"class": "GenericError", "desc": "Parameter 'extents[0].tag' is unexpected"}}`);
    const listed = await c.execute("query-commands");
    expect((listed.return as { name: string }[]).map((x) => x.name)).toEqual(expect.arrayContaining(["cxl-add-dynamic-capacity", "cxl-release-dynamic-capacity"]));
    await c.close();
  });
});

describe("any QMP request leaves a QEMU-profile device exactly as it was unless it succeeds", () => {
  let dev: DcdDevice;
  let monitor: QmpMonitor;
  let feed: (text: string) => string;

  beforeAll(() => {
    dev = DcdDevice.fromQemuProperties({ "volatile-dc-memdev": { id: "dc0", size: 512 * MiB }, "num-dc-regions": 2, id: "cxl-dcd0" });
    const registry = new QomDeviceRegistry();
    registry.add("/machine/peripheral/cxl-dcd0", dev);
    monitor = new QmpMonitor({ clock: new VirtualClock(), commands: cxlDcdCommands(registry) });
    let last = "";
    const session = monitor.connect((t) => (last = t));
    session.feed(Buffer.from('{"execute": "qmp_capabilities"}'));
    feed = (text) => {
      last = "";
      session.feed(Buffer.from(text));
      return last;
    };
    // Some accepted and some pending capacity, so that rows 8-11 can fire.
    feed('{"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "cxl-dcd0", "host-id": 0, "selection-policy": "prescriptive", "region": 0, "extents": [{"offset": 0, "len": 8388608}]}}');
    dev.logicalDevice(0).addCapacityResponse({ more: false, extents: dev.pendingGroups(0)[0]?.extents ?? [] });
    feed('{"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "cxl-dcd0", "host-id": 0, "selection-policy": "prescriptive", "region": 0, "extents": [{"offset": 16777216, "len": 8388608}]}}');
  });
  afterAll(() => {
    monitor.dispose();
    dev.dispose();
  });

  const block = 2 * MiB;
  const num = fc.oneof(
    fc.integer({ min: 0, max: 140 }).map((n) => n * block),
    fc.integer({ min: -3, max: 300 * MiB }),
    fc.constantFrom(-1, 1.5, 2 ** 64, "0", null),
  );
  const extent = fc.oneof(fc.record({ offset: num, len: num }), fc.record({ offset: num }), fc.constant(7), fc.record({ offset: num, len: num, x: fc.constant(1) }));
  const args = fc.record(
    {
      path: fc.constantFrom("/machine/peripheral/cxl-dcd0", "cxl-dcd0", "/nope", 3),
      "host-id": fc.oneof(fc.constantFrom(0, 1, 65535, 65536, -1), fc.string()),
      "selection-policy": fc.constantFrom("prescriptive", "free", "bogus"),
      "removal-policy": fc.constantFrom("prescriptive", "tag-based", "x"),
      "forced-removal": fc.oneof(fc.boolean(), fc.constant("yes")),
      region: fc.constantFrom(0, 1, 2, 255, 256),
      tag: fc.constantFrom("5be13bce-ae34-4a77-b6c3-16df975fcf1a", 1),
      extents: fc.oneof(fc.array(extent, { maxLength: 4 }), fc.constant({})),
    },
    { requiredKeys: [] },
  );

  test.prop([fc.constantFrom("cxl-add-dynamic-capacity", "cxl-release-dynamic-capacity"), args], { numRuns: 400 })("never half-applies a request", (command, a) => {
    const before = dev.snapshot();
    const rsp = JSON.parse(feed(JSON.stringify({ execute: command, arguments: a }))) as { error?: { class: string; desc: string }; return?: unknown };
    if (rsp.error !== undefined) {
      expect(rsp.error.class).toBe("GenericError");
      expect(dev.snapshot()).toEqual(before);
    } else {
      expect(rsp.return).toEqual({});
    }
  });

  it("has valid fixtures", () => {
    expect(dev.acceptedExtents(0)).toHaveLength(1);
    expect(dev.pendingGroups(0).length).toBeGreaterThanOrEqual(1);
  });
});
