/** Plugging a fabric device into a host: the spec comes from the device, and the host sees it. */
import { createHost, cxlCore, cxlOf, type Host } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { DcdDevice } from "../device/device.js";
import { attachDcd, DCD_DEFAULT_WINDOW, dcdCdat, dcdMemdevSpec, dcdPlatformSpec } from "../index.js";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const DEV = "/sys/bus/cxl/devices";

function twoPartitions(serial = 0xabc, hosts = 1): DcdDevice {
  return new DcdDevice({
    ramSize: GIB,
    pmemSize: GIB,
    numHosts: hosts,
    partitions: [
      { base: 2 * GIB, decodeLength: GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 3 },
      { base: 3 * GIB, decodeLength: 2 * GIB, length: GIB, blockSize: 2 * MIB, dsmadHandle: 7, sharable: true, readOnly: true },
    ],
    serial,
  });
}

describe("dcd-memdev", () => {
  useLeakCheck();
  const devices: DcdDevice[] = [];
  let host: Host | undefined;
  afterEach(async () => {
    await host?.dispose();
    host = undefined;
    for (const d of devices.splice(0)) d.dispose();
  });
  const track = (d: DcdDevice): DcdDevice => {
    devices.push(d);
    return d;
  };

  it("dcdCdat: one DSMAS per DC partition, with its handle, DPA range and flags", () => {
    const d = track(twoPartitions());
    expect(dcdCdat(d)).toEqual([
      { handle: 3, dpaBase: 2 * GIB, dpaLength: GIB, sharable: false, readOnly: false },
      { handle: 7, dpaBase: 3 * GIB, dpaLength: 2 * GIB, sharable: true, readOnly: true },
    ]);
  });

  it("dcdMemdevSpec: sizes, serial and mailbox come from the device; options pick the host and replace fields", () => {
    const d = track(twoPartitions(0x77, 2));
    const spec = dcdMemdevSpec(d, "0000:34:00.0");
    expect(spec).toMatchObject({ at: "0000:34:00.0", ramSize: GIB, pmemSize: GIB, serial: 0x77, cdat: dcdCdat(d) });
    expect(spec.transport).toBe(d.logicalDevice(0));
    const other = dcdMemdevSpec(d, "0000:34:01.0", { hostId: 1, decoders: 2, serial: 5 });
    expect(other.transport).toBe(d.logicalDevice(1));
    expect(other).toMatchObject({ decoders: 2, serial: 5 });
    expect(other).not.toHaveProperty("hostId");
    expect(() => dcdMemdevSpec(d, "0000:34:00.0", { hostId: 2 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("dcdPlatformSpec: one host bridge, a root port per device (at least rootPorts), device i on port i", () => {
    const a = track(twoPartitions(1));
    const b = track(twoPartitions(2, 2));
    const spec = dcdPlatformSpec([a, { device: b, hostId: 1 }], { rootPorts: 3, decoders: 2 });
    expect(spec.hostBridges).toEqual([{ uid: 0, decoders: 2, ports: [{ name: "0000:34:00.0" }, { name: "0000:34:01.0" }, { name: "0000:34:02.0" }] }]);
    expect(spec.windows).toEqual([DCD_DEFAULT_WINDOW]);
    expect(spec.memdevs?.map((m) => [m.at, m.serial, m.decoders])).toEqual([
      ["0000:34:00.0", 1, 2],
      ["0000:34:01.0", 2, 2],
    ]);
    expect(spec.memdevs?.[1]?.transport).toBe(b.logicalDevice(1));
    expect(dcdPlatformSpec([a], { flavor: "cxl_test" }).hostBridges[0]?.ports).toEqual([{ name: "cxl_root_port.0" }]);
  });

  it("attachDcd: the host lists the memdev with the device's serial and DC partition", async () => {
    const d = track(twoPartitions(0x1234));
    host = await createHost({ name: "h0", drivers: [cxlCore] });
    const topo = await attachDcd(host, [d]);
    expect(topo.slots()).toEqual(["0000:34:00.0"]);
    const memdevs = cxlOf(host).memdevs();
    expect(memdevs.map((m) => m.name)).toEqual(["mem0"]);
    expect(host.sysfs.read(`${DEV}/mem0/serial`).trim()).toBe("0x1234");
    expect(host.sysfs.read(`${DEV}/mem0/ram/size`).trim()).toBe("0x40000000");
    expect(host.sysfs.read(`${DEV}/mem0/dynamic_ram_1/size`).trim()).toBe("0x40000000");
    expect(host.sysfs.read(`${DEV}/decoder0.0/start`).trim()).toBe(`0x${DCD_DEFAULT_WINDOW.base.toString(16)}`);
  });
});
