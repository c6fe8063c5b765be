/** /sys/devices/system/{memory,node} and the memory_hotplug module parameters: layout, formats, store semantics. */
import { useLeakCheck } from "@dcd/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type MemoryHotplugOptions, type Uevent } from "../index.js";
import { GiB, H1, type MemoryHost, memoryHost, MiB, REGION_BASE, thrown, VM1 } from "./test-support/memory-host.js";

useLeakCheck();

let open: MemoryHost[] = [];
afterEach(async () => {
  for (const h of open) await h.host.dispose();
  open = [];
});

async function setup(options: MemoryHotplugOptions = VM1): Promise<MemoryHost> {
  const h = await memoryHost(options);
  open.push(h);
  return h;
}

const MEM = "/sys/devices/system/memory";
const NODE = "/sys/devices/system/node";
const VM_BLOCK0 = REGION_BASE / (128 * MiB);

describe("/sys/devices/system/memory", () => {
  it("holds block_size_bytes (hex, no 0x), auto_online_blocks and one memoryN per block", async () => {
    const { host } = await setup();
    const names = host.sysfs.list(MEM);
    expect(names.filter((n) => !n.startsWith("memory"))).toEqual(["auto_online_blocks", "block_size_bytes"]);
    expect(names.filter((n) => n.startsWith("memory"))).toHaveLength(64);
    expect(host.sysfs.read(`${MEM}/block_size_bytes`)).toBe("8000000\n");
    expect(host.sysfs.lstat(`${MEM}/block_size_bytes`)?.mode).toBe(0o444);
    expect(() => {
      host.sysfs.write(`${MEM}/block_size_bytes`, "1000");
    }).toThrow(expect.objectContaining({ code: "EACCES" }));
  });

  it("prints 80000000 for 2 GiB blocks (H1)", async () => {
    const { host } = await setup(H1);
    expect(host.sysfs.read(`${MEM}/block_size_bytes`)).toBe("80000000\n");
    expect(host.sysfs.read(`${MEM}/memory64/phys_index`)).toBe("00000040\n");
  });

  it("gives each block the kernel's files, formats and modes", async () => {
    const { host } = await setup();
    const dir = `${MEM}/memory40`;
    expect(host.sysfs.list(dir)).toEqual(["node0", "online", "phys_device", "phys_index", "removable", "state", "subsystem", "uevent", "valid_zones"]);
    expect(host.sysfs.read(`${dir}/phys_index`)).toBe("00000028\n");
    expect(host.sysfs.read(`${dir}/state`)).toBe("online\n");
    expect(host.sysfs.read(`${dir}/online`)).toBe("1\n");
    expect(host.sysfs.read(`${dir}/valid_zones`)).toBe("Normal\n");
    expect(host.sysfs.read(`${dir}/removable`)).toBe("1\n");
    expect(host.sysfs.read(`${dir}/phys_device`)).toBe("0\n");
    expect(host.sysfs.read(`${MEM}/memory0/valid_zones`)).toBe("none\n");
    expect(host.sysfs.read(`${MEM}/memory1/valid_zones`)).toBe("DMA32\n");
    expect(["state", "online", "phys_index", "valid_zones", "removable", "phys_device"].map((f) => host.sysfs.lstat(`${dir}/${f}`)?.mode)).toEqual([0o644, 0o644, 0o444, 0o444, 0o444, 0o444]);
  });

  it("links blocks and nodes both ways, and lists blocks under /sys/bus/memory", async () => {
    const { host } = await setup();
    expect(host.sysfs.readlink(`${MEM}/memory40/node0`)).toBe("../../node/node0");
    expect(host.sysfs.readlink(`${NODE}/node0/memory40`)).toBe("../../memory/memory40");
    expect(host.sysfs.readlink("/sys/bus/memory/devices/memory40")).toBe("../../../devices/system/memory/memory40");
    expect(host.sysfs.readlink(`${MEM}/memory40/subsystem`)).toBe("../../../../bus/memory");
    expect(host.sysfs.readlink("/sys/bus/node/devices/node0")).toBe("../../../devices/system/node/node0");
    expect(host.sysfs.read(`${MEM}/memory40/uevent`)).toBe("\n");
  });
});

describe("memoryN/state", () => {
  it("echo offline > memory40/state offlines the block; writing the current state is EINVAL", async () => {
    const { host, mm } = await setup();
    const state = `${MEM}/memory40/state`;
    host.sysfs.write(state, "offline\n");
    expect(host.sysfs.read(state)).toBe("offline\n");
    expect(host.sysfs.read(`${MEM}/memory40/online`)).toBe("0\n");
    expect(host.sysfs.read(`${MEM}/memory40/valid_zones`)).toBe("Normal Movable\n");
    expect(mm.block(40)?.state).toBe("offline");
    const again = thrown(() => {
      host.sysfs.write(state, "offline");
    });
    expect(again.code).toBe("EINVAL");
    expect(again.message).toContain(`write ${state} 'offline'`);
    host.sysfs.write(state, "online_movable");
    expect(host.sysfs.read(`${MEM}/memory40/valid_zones`)).toBe("Movable\n");
    for (const again of ["online", "online_kernel", "online_movable"]) {
      expect(() => {
        host.sysfs.write(state, again);
      }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    }
  });

  it("accepts only offline, online, online_kernel and online_movable", async () => {
    const { host } = await setup();
    for (const bad of ["Online", "going-offline", "1", "online movable", ""]) {
      expect(() => {
        host.sysfs.write(`${MEM}/memory40/state`, bad);
      }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    }
    expect(host.sysfs.read(`${MEM}/memory40/state`)).toBe("online\n");
  });

  it("fails with EBUSY while unmovable pages are in the block, leaving it online", async () => {
    const { host, mm } = await setup();
    mm.workload.allocate(40, 1, "unmovable");
    const busy = thrown(() => {
      host.sysfs.write(`${MEM}/memory40/state`, "offline");
    });
    expect(busy.code).toBe("EBUSY");
    expect(busy.message).toContain("failure to isolate range");
    expect(host.sysfs.read(`${MEM}/memory40/state`)).toBe("online\n");
  });

  it("fails with EINVAL for a block spanning zones (memory0)", async () => {
    const { host } = await setup();
    const multizone = thrown(() => {
      host.sysfs.write(`${MEM}/memory0/state`, "offline");
    });
    expect([multizone.code, multizone.message.includes("multizone range")]).toEqual(["EINVAL", true]);
  });

  it("sends online and offline uevents", async () => {
    const { host } = await setup();
    const uevents: Uevent[] = [];
    const sub = host.events$.subscribe({
      next: (e) => {
        if (e.kind === "uevent") uevents.push(e);
      },
      error: () => undefined,
    });
    host.sysfs.write(`${MEM}/memory40/state`, "offline");
    host.sysfs.write(`${MEM}/memory40/state`, "online");
    await host.settle();
    sub.unsubscribe();
    expect(uevents.map((u) => [u.env["ACTION"], u.env["DEVPATH"], u.env["SUBSYSTEM"]])).toEqual([
      ["offline", "/devices/system/memory/memory40", "memory"],
      ["online", "/devices/system/memory/memory40", "memory"],
    ]);
  });
});

describe("memoryN/online", () => {
  it("0 offlines, 1 onlines with the policy's zone; writing the current value is a no-op", async () => {
    const { host, mm } = await setup();
    const online = `${MEM}/memory40/online`;
    host.sysfs.write(online, "0");
    host.sysfs.write(online, "0");
    expect(host.sysfs.read(`${MEM}/memory40/state`)).toBe("offline\n");
    host.sysfs.write(online, "1");
    host.sysfs.write(online, "y");
    expect(mm.block(40)).toMatchObject({ state: "online", zone: "Normal", onlineType: "online" });
    expect(() => {
      host.sysfs.write(online, "maybe");
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });
});

describe("hot-plugged blocks in sysfs", () => {
  it("appear under memory/ and node2/, and go with their node when removed", async () => {
    const { host, mm } = await setup();
    expect(host.sysfs.exists(`${NODE}/node2`)).toBe(false);
    await mm.addMemory({ start: REGION_BASE, size: 256 * MiB, node: 2, resourceName: "System RAM (kmem)", driverManaged: true });
    const dir = `${MEM}/memory${VM_BLOCK0}`;
    expect(host.sysfs.read(`${dir}/state`)).toBe("offline\n");
    expect(host.sysfs.read(`${dir}/phys_index`)).toBe("00000800\n");
    expect(host.sysfs.read(`${dir}/valid_zones`)).toBe("Normal Movable\n");
    expect(host.sysfs.readlink(`${dir}/node2`)).toBe("../../node/node2");
    expect(host.sysfs.list(`${NODE}/node2`).filter((n) => n.startsWith("memory"))).toEqual([`memory${VM_BLOCK0}`, `memory${VM_BLOCK0 + 1}`]);
    expect(host.sysfs.read(`${NODE}/online`)).toBe("0,2\n");
    expect(host.sysfs.read(`${NODE}/has_memory`)).toBe("0\n");
    host.sysfs.write(`${dir}/state`, "online_movable");
    expect(host.sysfs.read(`${NODE}/has_memory`)).toBe("0,2\n");
    expect(host.sysfs.read(`${NODE}/has_normal_memory`)).toBe("0\n");
    host.sysfs.write(`${dir}/state`, "offline");
    expect((await mm.removeMemory({ start: REGION_BASE, size: 256 * MiB })).ok).toBe(true);
    expect(host.sysfs.exists(dir)).toBe(false);
    expect(host.sysfs.exists(`/sys/bus/memory/devices/memory${VM_BLOCK0}`)).toBe(false);
    expect(host.sysfs.exists(`${NODE}/node2`)).toBe(false);
    expect(host.sysfs.read(`${NODE}/online`)).toBe("0\n");
  });
});

describe("auto_online_blocks", () => {
  it("reads and stores the four online types; new blocks come up with it", async () => {
    const { host, mm } = await setup();
    const path = `${MEM}/auto_online_blocks`;
    expect(host.sysfs.read(path)).toBe("offline\n");
    host.sysfs.write(path, "online_movable\n");
    expect(host.sysfs.read(path)).toBe("online_movable\n");
    expect(() => {
      host.sysfs.write(path, "movable");
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    await mm.addMemory({ start: REGION_BASE, size: 128 * MiB, node: 2 });
    expect(host.sysfs.read(`${MEM}/memory${VM_BLOCK0}/valid_zones`)).toBe("Movable\n");
  });
});

describe("probe", () => {
  it("is absent unless asked for; write-only; adds one block at a block-aligned address", async () => {
    const plain = await setup();
    expect(plain.host.sysfs.exists(`${MEM}/probe`)).toBe(false);
    const { host, mm } = await setup({ ...VM1, probeAttribute: true });
    expect(host.sysfs.lstat(`${MEM}/probe`)?.mode).toBe(0o200);
    host.sysfs.write(`${MEM}/probe`, "0x4000000000");
    expect(mm.block(VM_BLOCK0)).toMatchObject({ state: "offline", node: 0, resource: "System RAM", phase: "registering" });
    await host.settle();
    expect(host.sysfs.read(`${MEM}/memory${VM_BLOCK0}/state`)).toBe("offline\n");
    for (const [value, code] of [
      ["0x4004000000", "EINVAL"],
      ["4096", "EINVAL"],
      ["zz", "EINVAL"],
      ["0x4000000000", "EEXIST"],
      ["0", "EEXIST"],
    ] as const) {
      expect(() => {
        host.sysfs.write(`${MEM}/probe`, value);
      }, value).toThrow(expect.objectContaining({ code }));
    }
  });
});

describe("/sys/devices/system/node", () => {
  it("lists possible, online, has_cpu, has_memory and has_normal_memory as node lists", async () => {
    const { host } = await setup(H1);
    expect(host.sysfs.list(NODE)).toEqual(["has_cpu", "has_memory", "has_normal_memory", "has_public_memory", "has_user_memory", "node0", "node1", "online", "possible"]);
    expect(host.sysfs.read(`${NODE}/possible`)).toBe("0-7\n");
    expect(host.sysfs.read(`${NODE}/online`)).toBe("0-1\n");
    expect(host.sysfs.read(`${NODE}/has_cpu`)).toBe("0-1\n");
    expect(host.sysfs.read(`${NODE}/has_memory`)).toBe("0-1\n");
  });

  it("prints meminfo with the kernel's padding", async () => {
    const { host, mm } = await setup();
    mm.workload.allocate(40, 256);
    expect(host.sysfs.read(`${NODE}/node0/meminfo`)).toBe(
      "Node 0 MemTotal:        8388608 kB\n" + "Node 0 MemFree:         8387584 kB\n" + "Node 0 MemUsed:            1024 kB\n",
    );
  });
});

describe("/sys/module/memory_hotplug/parameters", () => {
  it("shows and stores the policy knobs with the kernel's parsing", async () => {
    const { host, mm } = await setup();
    const p = "/sys/module/memory_hotplug/parameters";
    expect(host.sysfs.list(p)).toEqual(["auto_movable_numa_aware", "auto_movable_ratio", "memmap_on_memory", "online_policy"]);
    expect(host.sysfs.read(`${p}/memmap_on_memory`)).toBe("N\n");
    expect(() => {
      host.sysfs.write(`${p}/memmap_on_memory`, "Y");
    }).toThrow(expect.objectContaining({ code: "EACCES" }));
    expect(host.sysfs.read(`${p}/online_policy`)).toBe("contig-zones\n");
    host.sysfs.write(`${p}/online_policy`, "auto-movable");
    expect(mm.onlinePolicy).toBe("auto-movable");
    expect(() => {
      host.sysfs.write(`${p}/online_policy`, "auto");
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(host.sysfs.read(`${p}/auto_movable_ratio`)).toBe("301\n");
    host.sysfs.write(`${p}/auto_movable_ratio`, "400");
    expect(mm.autoMovableRatio).toBe(400);
    expect(() => {
      host.sysfs.write(`${p}/auto_movable_ratio`, "-1");
    }).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(host.sysfs.read(`${p}/auto_movable_numa_aware`)).toBe("Y\n");
    host.sysfs.write(`${p}/auto_movable_numa_aware`, "N");
    expect(mm.autoMovableNumaAware).toBe(false);
  });

  it("goes away with the host, with the buses", async () => {
    const h = await memoryHost(VM1);
    await h.mm.addMemory({ start: REGION_BASE, size: GiB, node: 2 });
    await h.host.dispose();
    expect(h.host.sysfs.exists("/sys/module/memory_hotplug")).toBe(false);
    expect(h.host.sysfs.exists(`${MEM}/block_size_bytes`)).toBe(false);
    expect(h.host.sysfs.exists("/sys/bus/memory")).toBe(false);
    expect(h.host.sysfs.exists(`${MEM}/memory${VM_BLOCK0}`)).toBe(false);
  });
});
