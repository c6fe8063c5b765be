import { afterEach, describe, expect, it } from "vitest";
import { useLeakCheck } from "@dcd/testing";
import { type System } from "../commands/context.js";
import { buildSystem, GIB, parseSize, parseTopology, presetSpec } from "./index.js";

describe("System", () => {
  useLeakCheck();
  let system: System | undefined;
  afterEach(async () => {
    await system?.dispose();
    system = undefined;
  });

  it("qemu preset: QEMU's 4 GiB fixture as 2 DC regions of 2 GiB at /machine/peripheral/cxl-dcd0", async () => {
    system = await buildSystem(presetSpec("qemu"));
    const dev = system.device();
    expect(dev.qomPath).toBe("/machine/peripheral/cxl-dcd0");
    expect(dev.device.partitions.map((p) => [p.decodeLength, p.blockSize])).toEqual([
      [2 * GIB, 2 * 1024 * 1024],
      [2 * GIB, 2 * 1024 * 1024],
    ]);
    expect(system.qom.resolve("/machine/peripheral/cxl-dcd0")?.profile).toBe("qemu");
    expect(system.host().host.sysfs.exists("/sys/bus/cxl/devices/mem0")).toBe(true);
  });

  it("rack preset: four hosts on the logical devices of one multi-headed device", async () => {
    system = await buildSystem(presetSpec("rack"));
    expect(system.hosts.map((h) => [h.name, h.hostIds.get("dcd0")])).toEqual([
      ["host0", 0],
      ["host1", 1],
      ["host2", 2],
      ["host3", 3],
    ]);
    expect(system.device("dcd0").device.numHosts).toBe(4);
    expect(system.device("dcd0").device.partitions.some((p) => p.sharable)).toBe(true);
    for (const h of system.hosts) expect(h.host.sysfs.read("/sys/bus/cxl/devices/mem0/serial")).toBe("0x5ac0\n");
    expect(() => system?.host("nope")).toThrow(/no host named 'nope'/);
    expect(() => system?.device("nope")).toThrow(/no device named 'nope'/);
  });

  it("cxl_test preset: the kernel mock platform with 8 mock memdevs", async () => {
    system = await buildSystem(presetSpec("cxl_test"));
    expect(system.devices.map((d) => d.name)).toEqual(Array.from({ length: 8 }, (_, i) => `cxl_mem.${i}`));
    expect(system.host().host.sysfs.exists("/sys/bus/platform/devices/cxl_acpi.0")).toBe(true);
  });

  it("unknown preset", () => {
    expect(() => presetSpec("vax")).toThrow(/unknown preset 'vax'/);
  });

  it("builds a valid topology file", async () => {
    const spec = parseTopology(
      ["devices:", "  - name: d0", "    numHosts: 2", "    partitions:", "      - { size: 1GiB, sharable: true }", "hosts:", "  - name: a", "    attach: [{ device: d0, hostId: 0 }]", "  - name: b", "    attach: [{ device: d0, hostId: 1 }]"].join("\n"),
      "t.yaml",
    );
    system = await buildSystem(spec);
    expect(system.hosts.map((h) => h.name)).toEqual(["a", "b"]);
    expect(system.device("d0").qomPath).toBe("/machine/peripheral/d0");
    expect(system.host("b").host.sysfs.exists("/sys/bus/cxl/devices/mem0")).toBe(true);
  });

  it.each([
    ["hosts:\n  - name: a\n    attach:\n      - { device: nope }\n", "t.yaml:4: hosts[0].attach[0].device: no device named 'nope'"],
    ["devices:\n  - name: d\n    partitions:\n      - { size: lots }\nhosts: [{ name: a }]\n", "t.yaml:4: devices[0].partitions[0].size: expected a size"],
    ["hosts:\n  - name: a\n    colour: red\n", "t.yaml:3: hosts[0].colour: unknown field"],
    ["devices: []\n", "t.yaml:1: .hosts: required field is missing"],
    ["hosts:\n  - name: a\n  - name: a\n", "t.yaml:3: hosts[1].name: duplicate host name 'a'"],
    ["hosts: [ name: a\n", "t.yaml:"],
    ["devices: [{ name: d, partitions: [{ size: 1GiB }] }]\nhosts:\n  - name: a\n    attach: [{ device: d, hostId: 1 }]\n", "t.yaml:4: hosts[0].attach[0].hostId: device 'd' has 1 logical device (host ids 0..0), got 1"],
    ["devices:\n  - { name: d, partitions: [{ size: 1GiB }] }\n  - { name: e, qom: /machine/peripheral/d, partitions: [{ size: 1GiB }] }\nhosts: [{ name: a }]\n", "t.yaml:3: devices[1].qom: QOM path '/machine/peripheral/d' is already in use"],
    ["hosts:\n  - name: a\n    kernel: v8\n", "t.yaml:3: hosts[0].kernel: expected v9, v10 or v11"],
  ])("rejects a bad topology naming file, line and field (%#)", (text, message) => {
    expect(() => parseTopology(text, "t.yaml")).toThrow(message);
  });

  it("parses sizes", () => {
    expect(parseSize("2MiB")).toBe(2 * 1024 * 1024);
    expect(parseSize("0x1000")).toBe(4096);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize("1G")).toBe(GIB);
    expect(parseSize("-1")).toBeUndefined();
    expect(parseSize("3 parsecs")).toBeUndefined();
  });
});
