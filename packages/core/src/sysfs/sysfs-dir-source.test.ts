import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { type AttributeSpec, SysfsTree } from "./sysfs-tree.js";

describe("sysfs directory sources", () => {
  useLeakCheck();

  function tree(): { t: SysfsTree; items: Map<string, string> } {
    const t = new SysfsTree();
    t.mkdir("/sys/devices/r0");
    t.addAttribute("/sys/devices/r0/static", { show: () => "s" });
    t.addLink("/sys/bus/x/r0", "/sys/devices/r0");
    const items = new Map([
      ["b", "2"],
      ["a", "1"],
    ]);
    t.addDirSource("/sys/devices/r0", {
      names: () => items.keys(),
      lookup: (name) => {
        const v = items.get(name);
        return v === undefined ? undefined : new Map<string, AttributeSpec>([["value", { show: () => v }]]);
      },
    });
    return { t, items };
  }

  it("lists, reads and walks sourced children next to static ones, following links", () => {
    const { t, items } = tree();
    expect(t.list("/sys/bus/x/r0")).toEqual(["a", "b", "static"]);
    expect(t.read("/sys/bus/x/r0/a/value")).toBe("1\n");
    expect(t.lstat("/sys/devices/r0/b")).toEqual({ type: "dir", mode: 0o755 });
    expect([...t.walk("/sys/devices/r0")].map((e) => e.path)).toEqual(["/sys/devices/r0/a", "/sys/devices/r0/a/value", "/sys/devices/r0/b", "/sys/devices/r0/b/value", "/sys/devices/r0/static"]);
    items.delete("a");
    items.set("c", "3");
    expect(t.list("/sys/devices/r0")).toEqual(["b", "c", "static"]);
    expect(t.exists("/sys/devices/r0/a")).toBe(false);
    expect(() => t.read("/sys/devices/r0/a/value")).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => { t.write("/sys/devices/r0/c/value", "9"); }).toThrow(expect.objectContaining({ code: "EACCES" }));
  });

  it("refuses a second source and removing a sourced entry; goes away with its directory", () => {
    const { t } = tree();
    expect(() => { t.addDirSource("/sys/devices/r0", { names: () => [], lookup: () => undefined }); }).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(() => { t.remove("/sys/devices/r0/a"); }).toThrow(expect.objectContaining({ code: "EPERM" }));
    t.removeDirSource("/sys/devices/r0");
    expect(t.list("/sys/devices/r0")).toEqual(["static"]);
    t.removeDirSource("/sys/devices/gone");
    t.remove("/sys/devices/r0");
    expect(t.exists("/sys/bus/x/r0")).toBe(false);
  });
});
