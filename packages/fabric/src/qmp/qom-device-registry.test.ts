import { afterEach, describe, expect, it } from "vitest";
import { DcdDevice } from "../device/device.js";
import { QomDeviceRegistry } from "./qom-device-registry.js";

const MiB = 1024 * 1024;

describe("QOM device registry (object_resolve_path_type)", () => {
  const devices: DcdDevice[] = [];
  const qemu = (id: string): DcdDevice => {
    const d = DcdDevice.fromQemuProperties({ "volatile-dc-memdev": { id: `${id}-be`, size: 256 * MiB }, "num-dc-regions": 1, id });
    devices.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of devices.splice(0)) d.dispose();
  });

  it("resolves absolute paths (empty components skipped) and unique partial paths", () => {
    const r = new QomDeviceRegistry();
    const d0 = qemu("cxl-dcd0");
    r.add("/machine/peripheral/cxl-dcd0", d0);
    for (const p of ["/machine/peripheral/cxl-dcd0", "/machine//peripheral/cxl-dcd0/", "cxl-dcd0", "peripheral/cxl-dcd0", "machine/peripheral/cxl-dcd0"]) {
      expect(r.resolve(p)?.device, p).toBe(d0);
    }
    for (const p of ["", "/", "/machine/peripheral", "/peripheral/cxl-dcd0", "dcd0", "other/cxl-dcd0"]) expect(r.resolve(p), p).toBeUndefined();
  });

  it("refuses an ambiguous partial path, as QEMU does", () => {
    const r = new QomDeviceRegistry();
    r.add("/machine/peripheral/cxl-dcd0", qemu("a"));
    r.add("/machine/peripheral-anon/cxl-dcd0", qemu("b"));
    expect(r.resolve("cxl-dcd0")).toBeUndefined();
    expect(r.resolve("peripheral-anon/cxl-dcd0")?.path).toBe("/machine/peripheral-anon/cxl-dcd0");
  });

  it("refuses relative and duplicate paths; disposing the handle unregisters", () => {
    const r = new QomDeviceRegistry();
    const d = qemu("x");
    expect(() => r.add("machine/x", d)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    const handle = r.add("/machine/x", d);
    expect(() => r.add("/machine//x", d)).toThrow(expect.objectContaining({ code: "EEXIST" }));
    handle.dispose();
    expect(r.resolve("/machine/x")).toBeUndefined();
    r.add("/machine/x", d);
  });

  it("takes a device's profile from its construction unless told, and knows the profile of unknown paths", () => {
    const r = new QomDeviceRegistry();
    expect(r.unresolvedProfile).toBe("spec");
    r.add("/machine/q", qemu("q"));
    expect(r.resolve("q")?.profile).toBe("qemu");
    expect(r.unresolvedProfile).toBe("qemu");
    const spec = new DcdDevice({ partitions: [{ base: 0, decodeLength: 256 * MiB, length: 256 * MiB, blockSize: 2 * MiB, dsmadHandle: 0 }] });
    devices.push(spec);
    r.add("/machine/s", spec);
    expect(r.resolve("s")?.profile).toBe("spec");
    expect(r.unresolvedProfile).toBe("spec");
    r.add("/machine/s-as-qemu", spec, { profile: "qemu" });
    expect(r.resolve("s-as-qemu")?.profile).toBe("qemu");
  });
});
