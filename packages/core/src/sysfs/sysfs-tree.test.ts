import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { SysfsTree, errno, parseU64, u64Attribute } from "../index.js";

function deviceTree() {
  const t = new SysfsTree();
  let size = 0;
  t.mkdir("/sys/devices/platform/mem0");
  t.addAttribute("/sys/devices/platform/mem0/size", u64Attribute("size", () => size, (n) => {
    if (n % 256 !== 0) throw errno("EINVAL", `size ${n} is not a multiple of 256`);
    size = n;
  }));
  t.addAttribute("/sys/devices/platform/mem0/serial", { show: () => "0xdcdc\n" });
  t.addAttribute("/sys/devices/platform/mem0/delete", { store: () => undefined });
  t.addLink("/sys/bus/cxl/devices/mem0", "/sys/devices/platform/mem0");
  return { t, size: () => size };
}

describe("SysfsTree: cat, echo, ls", () => {
  it("reads end with exactly one newline", () => {
    const { t } = deviceTree();
    expect(t.read("/sys/devices/platform/mem0/size")).toBe("0\n");
    expect(t.read("/sys/devices/platform/mem0/serial")).toBe("0xdcdc\n");
  });

  it("strips one trailing newline on write, as echo adds it", () => {
    const { t, size } = deviceTree();
    t.write("/sys/devices/platform/mem0/size", "512\n");
    expect(size()).toBe(512);
    t.write("/sys/devices/platform/mem0/size", "0x400");
    expect(size()).toBe(1024);
  });

  it("follows links in the middle of a path", () => {
    const { t } = deviceTree();
    t.write("/sys/bus/cxl/devices/mem0/size", "256");
    expect(t.read("/sys/devices/platform/mem0/size")).toBe("256\n");
    expect(t.list("/sys/bus/cxl/devices/mem0")).toEqual(["delete", "serial", "size"]);
    expect(t.realpath("/sys/bus/cxl/devices/mem0/size")).toBe("/sys/devices/platform/mem0/size");
  });

  it("readlink climbs to the target's parent, as kernfs does, for a link to an ancestor", () => {
    const t = new SysfsTree();
    t.mkdir("/sys/devices/platform/ACPI0017:00/root0");
    t.addLink("/sys/devices/platform/ACPI0017:00/root0/uport", "/sys/devices/platform/ACPI0017:00");
    t.addLink("/sys/devices/platform/ACPI0017:00/root0/self", "/sys/devices/platform/ACPI0017:00/root0");
    expect(t.readlink("/sys/devices/platform/ACPI0017:00/root0/uport")).toBe("../../ACPI0017:00");
    expect(t.readlink("/sys/devices/platform/ACPI0017:00/root0/self")).toBe("../root0");
    expect(t.realpath("/sys/devices/platform/ACPI0017:00/root0/uport")).toBe("/sys/devices/platform/ACPI0017:00");
  });

  it("readlink gives the kernel's relative form", () => {
    const { t } = deviceTree();
    expect(t.readlink("/sys/bus/cxl/devices/mem0")).toBe("../../../devices/platform/mem0");
    expect(t.lstat("/sys/bus/cxl/devices/mem0")?.type).toBe("link");
    expect(t.lstat("/sys/nothing")).toBeUndefined();
  });

  it("a failed store changes nothing and names the path and the value", () => {
    const { t, size } = deviceTree();
    t.write("/sys/devices/platform/mem0/size", "256");
    expect(() => { t.write("/sys/devices/platform/mem0/size", "abc\n"); }).toThrow(
      expect.objectContaining({ code: "EINVAL", message: "sysfs: write /sys/devices/platform/mem0/size 'abc': size: 'abc' is not a number" }),
    );
    expect(() => { t.write("/sys/devices/platform/mem0/size", "100"); }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(size()).toBe(256);
  });

  it("refuses writes to read-only files and reads of write-only files with EACCES", () => {
    const { t } = deviceTree();
    expect(() => { t.write("/sys/devices/platform/mem0/serial", "1"); }).toThrow(expect.objectContaining({ code: "EACCES" }));
    expect(() => t.read("/sys/devices/platform/mem0/delete")).toThrow(expect.objectContaining({ code: "EACCES" }));
    expect(t.lstat("/sys/devices/platform/mem0/serial")?.mode).toBe(0o444);
    expect(t.lstat("/sys/devices/platform/mem0/delete")?.mode).toBe(0o200);
    expect(t.lstat("/sys/devices/platform/mem0/size")?.mode).toBe(0o644);
  });

  it("reports ENOENT, EISDIR, ENOTDIR and EEXIST like the VFS", () => {
    const { t } = deviceTree();
    expect(() => t.read("/sys/devices/platform/mem1/size")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => t.read("/sys/devices/platform")).toThrow(expect.objectContaining({ code: "EISDIR" }));
    expect(() => t.read("/sys/devices/platform/mem0/size/x")).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
    expect(() => { t.addAttribute("/sys/devices/platform/mem0/size", { show: () => "" }); }).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(() => t.read("relative/path")).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("wraps a store's non-coded failure as EIO", () => {
    const t = new SysfsTree();
    t.addAttribute("/sys/x", { store: () => { throw new Error("bug"); } });
    expect(() => { t.write("/sys/x", "1"); }).toThrow(expect.objectContaining({ code: "EIO" }));
  });

  it("writeAsync waits for a store's queued half and fails with its errno; write leaves it running", async () => {
    const t = new SysfsTree();
    const stored: string[] = [];
    t.addAttribute("/sys/bind", {
      store: async (v) => {
        await Promise.resolve();
        if (v === "bad") throw errno("ENODEV", "probe refused");
        stored.push(v);
      },
    });
    await t.writeAsync("/sys/bind", "dev0\n");
    expect(stored).toEqual(["dev0"]);
    await expect(t.writeAsync("/sys/bind", "bad")).rejects.toThrow(
      expect.objectContaining({ code: "ENODEV", message: "sysfs: write /sys/bind 'bad': probe refused" }),
    );
    t.write("/sys/bind", "bad");
    t.write("/sys/bind", "dev1");
    expect(stored).toEqual(["dev0"]);
    // write() left both queued halves running; let every pending microtask finish.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(stored).toEqual(["dev0", "dev1"]);
    await expect(t.writeAsync("/sys", "x")).rejects.toThrow(expect.objectContaining({ code: "EISDIR" }));
  });

  it("detects link loops with ELOOP", () => {
    const t = new SysfsTree();
    t.addLink("/sys/a", "/sys/b");
    t.addLink("/sys/b", "/sys/a");
    expect(() => t.read("/sys/a")).toThrow(expect.objectContaining({ code: "ELOOP" }));
  });

  it("removes a directory recursively and a link without its target", () => {
    const { t } = deviceTree();
    t.remove("/sys/bus/cxl/devices/mem0");
    expect(t.exists("/sys/devices/platform/mem0/size")).toBe(true);
    t.remove("/sys/devices/platform/mem0");
    expect(t.exists("/sys/devices/platform/mem0")).toBe(false);
    expect(() => { t.remove("/sys/devices/platform/mem0"); }).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  it("walks every entry in sorted order with link targets", () => {
    const { t } = deviceTree();
    const entries = [...t.walk("/sys")].map((e) => `${e.type} ${e.path}${e.target ? ` -> ${e.target}` : ""}`);
    expect(entries).toEqual([
      "dir /sys/bus",
      "dir /sys/bus/cxl",
      "dir /sys/bus/cxl/devices",
      "link /sys/bus/cxl/devices/mem0 -> ../../../devices/platform/mem0",
      "dir /sys/devices",
      "dir /sys/devices/platform",
      "dir /sys/devices/platform/mem0",
      "file /sys/devices/platform/mem0/delete",
      "file /sys/devices/platform/mem0/serial",
      "file /sys/devices/platform/mem0/size",
    ]);
  });

  it("resolves .. physically after a link", () => {
    const { t } = deviceTree();
    expect(t.list("/sys/bus/cxl/devices/mem0/..")).toEqual(["mem0"]);
  });
});

describe("parseU64 (kstrtoull base 0)", () => {
  it("auto-detects hex, octal and decimal", () => {
    expect(parseU64("0x10")).toBe(16);
    expect(parseU64("010")).toBe(8);
    expect(parseU64("10")).toBe(10);
    expect(parseU64("0")).toBe(0);
  });

  it.each(["", "-1", "1 ", " 1", "0x", "08", "1e3", "12abc", "+5"])("refuses %j with EINVAL", (v) => {
    expect(() => parseU64(v, "size")).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("refuses values past 2^53 with ERANGE", () => {
    expect(() => parseU64("0xffffffffffffffff")).toThrow(expect.objectContaining({ code: "ERANGE" }));
  });

  test.prop([fc.maxSafeNat()])("any safe integer round-trips in decimal and hex", (n) => {
    expect(parseU64(String(n))).toBe(n);
    expect(parseU64(`0x${n.toString(16)}`)).toBe(n);
  });
});
