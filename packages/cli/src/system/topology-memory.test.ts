import { afterEach, describe, expect, it } from "vitest";
import { leakTracker } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { type System } from "../commands/context.js";
import { type DcdRun, runDcd } from "../test-support/run-dcd.js";
import { buildSystem, GIB, parseTopology } from "./index.js";

const MEM = "/sys/devices/system/memory";
const NODE = "/sys/devices/system/node";
const PARAMS = "/sys/module/memory_hotplug/parameters";

/** A one-host ACPI topology whose host mapping ends with `extra` (lines indented as host keys). */
function topology(...extra: string[]): string {
  return ["devices:", "  - name: d0", "    partitions:", "      - { size: 4GiB, blockSize: 2MiB }", "hosts:", "  - name: h0", "    attach: [{ device: d0 }]", ...extra.map((l) => `    ${l}`), ""].join("\n");
}

describe("topology files: per-host memory and window settings", () => {
  useLeakCheck();
  let system: System | undefined;
  afterEach(async () => {
    await system?.dispose();
    system = undefined;
  });

  const run = (...argv: string[]): Promise<DcdRun> => runDcd(argv, system);

  const read = (path: string): string => (system as System).host().host.sysfs.read(path).replace(/\n$/, "");

  it("without memory: 16 GiB on node 0, 128 MiB blocks, mm's defaults, the window at 64 GiB on node 1", async () => {
    system = await buildSystem(parseTopology(topology(), "t.yaml"));
    expect(read(`${MEM}/block_size_bytes`)).toBe("8000000");
    expect(read(`${MEM}/auto_online_blocks`)).toBe("offline");
    expect(read(`${PARAMS}/memmap_on_memory`)).toBe("N");
    expect(read(`${PARAMS}/online_policy`)).toBe("contig-zones");
    expect(read(`${PARAMS}/auto_movable_ratio`)).toBe("301");
    expect(read(`${NODE}/possible`)).toBe("0-7");
    expect(read(`${NODE}/has_memory`)).toBe("0");
    expect(read(`${NODE}/node0/meminfo`)).toMatch(/MemTotal:\s+16777216 kB/);
    expect(read("/sys/bus/cxl/devices/decoder0.0/start")).toBe("0x1000000000");
    expect((await run("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram")).code).toBe(0);
    expect(read("/sys/bus/cxl/devices/sysram_region0/target_node")).toBe("1");
  });

  it("memory: every setting reads back through sysfs; window.node is the regions' target_node", async () => {
    const spec = parseTopology(
      topology(
        "memory:",
        "  boot:",
        "    - { node: 0, size: 8GiB }",
        "    - { node: 2, size: 0x80000000 }",
        "  blockSize: 256MiB",
        "  possibleNodes: 4",
        "  autoOnlineBlocks: online_movable",
        "  onlinePolicy: auto-movable",
        "  autoMovableRatio: 200",
        "  autoMovableNumaAware: false",
        "  memmapOnMemory: true",
        "  probeAttribute: true",
        "window: { node: 3 }",
      ),
      "t.yaml",
    );
    expect(spec.hosts[0]?.memory).toEqual({
      boot: [
        { node: 0, size: 8 * GIB },
        { node: 2, size: 2 * GIB },
      ],
      blockSize: 256 * 1024 * 1024,
      possibleNodes: 4,
      autoOnlineBlocks: "online_movable",
      onlinePolicy: "auto-movable",
      autoMovableRatio: 200,
      autoMovableNumaAware: false,
      memmapOnMemory: true,
      probeAttribute: true,
    });
    system = await buildSystem(spec);
    expect(read(`${MEM}/block_size_bytes`)).toBe("10000000");
    expect(read(`${MEM}/auto_online_blocks`)).toBe("online_movable");
    expect(read(`${PARAMS}/memmap_on_memory`)).toBe("Y");
    expect(read(`${PARAMS}/online_policy`)).toBe("auto-movable");
    expect(read(`${PARAMS}/auto_movable_ratio`)).toBe("200");
    expect(read(`${PARAMS}/auto_movable_numa_aware`)).toBe("N");
    expect(read(`${NODE}/possible`)).toBe("0-3");
    expect(read(`${NODE}/has_memory`)).toBe("0,2");
    expect(read(`${NODE}/node2/meminfo`)).toMatch(/MemTotal:\s+2097152 kB/);
    expect(system.host().host.sysfs.exists(`${MEM}/probe`)).toBe(true);
    expect((await run("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1", "--driver", "sysram")).code).toBe(0);
    expect(read("/sys/bus/cxl/devices/sysram_region0/target_node")).toBe("3");
  });

  it("64 GiB of boot RAM: x86_64's 2 GiB blocks (or the hypervisor's divisor); more moves the window up to the next 64 GiB", async () => {
    system = await buildSystem(parseTopology(topology("memory: { boot: [{ node: 0, size: 64GiB }] }"), "t.yaml"));
    expect(read(`${MEM}/block_size_bytes`)).toBe("80000000");
    expect(read("/sys/bus/cxl/devices/decoder0.0/start")).toBe("0x1000000000");
    await system.dispose();
    system = await buildSystem(parseTopology(topology("memory: { boot: [{ node: 0, size: 65GiB }], hypervisor: true }"), "t.yaml"));
    expect(read(`${MEM}/block_size_bytes`)).toBe("40000000");
    expect(read("/sys/bus/cxl/devices/decoder0.0/start")).toBe("0x2000000000");
  });

  it("window.node -1 (NUMA_NO_NODE) is representable: the dax region's target_node reads -1", async () => {
    system = await buildSystem(parseTopology(topology("window:", "  node: -1"), "t.yaml"));
    expect((await run("cxl", "create-region", "-m", "mem0", "-d", "decoder0.0", "-t", "dynamic_ram_1")).code).toBe(0);
    expect(read("/sys/bus/dax/devices/dax0.0/target_node")).toBe("-1");
  });

  it("cxl_test hosts take memory settings too", async () => {
    system = await buildSystem(parseTopology("hosts:\n  - name: t\n    flavor: cxl_test\n    memdevs: 1\n    memory: { blockSize: 1GiB }\n", "t.yaml"));
    expect(read(`${MEM}/block_size_bytes`)).toBe("40000000");
  });

  it.each([
    [["memory: 16GiB"], "t.yaml:8: hosts[0].memory: expected a mapping"],
    [["memory:", "  bootMemory: 16GiB"], "t.yaml:9: hosts[0].memory.bootMemory: unknown field (allowed: boot, blockSize,"],
    [["memory:", "  boot: []"], "t.yaml:9: hosts[0].memory.boot: expected at least one node of boot memory"],
    [["memory:", "  boot: 16GiB"], "t.yaml:9: hosts[0].memory.boot: expected a list"],
    [["memory:", "  boot:", "    - { size: 16GiB }"], "t.yaml:10: hosts[0].memory.boot[0].node: required field is missing"],
    [["memory:", "  boot:", "    - { node: 0 }"], "t.yaml:10: hosts[0].memory.boot[0].size: required field is missing"],
    [["memory:", "  boot:", "    - { node: 0, size: 100MiB }"], "t.yaml:10: hosts[0].memory.boot[0].size: expected a positive multiple of the section size (128MiB), got 104857600"],
    [["memory:", "  boot:", "    - { node: 0, size: 0 }"], "t.yaml:10: hosts[0].memory.boot[0].size: expected a positive multiple"],
    [["memory:", "  boot:", "    - { node: 0, size: 1GiB }", "    - { node: 0, size: 1GiB }"], "t.yaml:11: hosts[0].memory.boot[1].node: node 0 is listed twice"],
    [["memory:", "  possibleNodes: 2", "  boot:", "    - { node: 2, size: 1GiB }"], "t.yaml:11: hosts[0].memory.boot[0].node: node 2 is not a possible node (possibleNodes is 2: 0-1)"],
    [["memory:", "  boot:", "    - { node: -1, size: 1GiB }"], "t.yaml:10: hosts[0].memory.boot[0].node: expected an integer in 0..1023, got -1"],
    [["memory:", "  blockSize: 192MiB"], "t.yaml:9: hosts[0].memory.blockSize: expected a power of two from 128MiB to 2GiB, got 201326592"],
    [["memory:", "  blockSize: 64MiB"], "t.yaml:9: hosts[0].memory.blockSize: expected a power of two from 128MiB to 2GiB"],
    [["memory:", "  blockSize: 4GiB"], "t.yaml:9: hosts[0].memory.blockSize: expected a power of two from 128MiB to 2GiB"],
    [["memory:", "  blockSize: big"], "t.yaml:9: hosts[0].memory.blockSize: expected a size"],
    [["memory:", "  hypervisor: yes please"], "t.yaml:9: hosts[0].memory.hypervisor: expected true or false"],
    [["memory:", "  possibleNodes: 0"], "t.yaml:9: hosts[0].memory.possibleNodes: expected an integer in 1..1024, got 0"],
    [["memory:", "  possibleNodes: 1"], "t.yaml:9: hosts[0].memory.possibleNodes: the CXL window's default node 1 must be a possible node; raise possibleNodes or set hosts[0].window.node"],
    [["memory:", "  autoOnlineBlocks: movable"], "t.yaml:9: hosts[0].memory.autoOnlineBlocks: expected one of offline, online, online_kernel, online_movable, got 'movable'"],
    [["memory:", "  onlinePolicy: auto"], "t.yaml:9: hosts[0].memory.onlinePolicy: expected one of contig-zones, auto-movable, got 'auto'"],
    [["memory:", "  autoMovableRatio: -5"], "t.yaml:9: hosts[0].memory.autoMovableRatio: expected an integer in 0..4294967295, got -5"],
    [["memory:", "  autoMovableNumaAware: Y"], "t.yaml:9: hosts[0].memory.autoMovableNumaAware: expected true or false"],
    [["memory:", "  memmapOnMemory: 1"], "t.yaml:9: hosts[0].memory.memmapOnMemory: expected true or false, got 1"],
    [["memory:", "  movableNode: on"], "t.yaml:9: hosts[0].memory.movableNode: expected true or false"],
    [["window: -1"], "t.yaml:8: hosts[0].window: expected a mapping"],
    [["window: { base: 0 }"], "t.yaml:8: hosts[0].window.base: unknown field (allowed: node)"],
    [["window:", "  node: -2"], "t.yaml:9: hosts[0].window.node: expected an integer in -1..1023, got -2"],
    [["memory: { possibleNodes: 2 }", "window:", "  node: 2"], "t.yaml:10: hosts[0].window.node: node 2 is not a possible node (possibleNodes is 2: 0-1, or -1)"],
  ])("rejects a bad memory or window field naming file, line and field, building nothing (%#)", (extra, message) => {
    const before = leakTracker.snapshot();
    expect(() => parseTopology(topology(...extra), "t.yaml")).toThrow(message);
    expect(leakTracker.leakedSince(before)).toEqual([]);
  });

  it("cxl_test's fixed windows bound its boot memory", () => {
    expect(() => parseTopology("hosts:\n  - name: t\n    flavor: cxl_test\n    memory:\n      boot: [{ node: 0, size: 257GiB }]\n", "t.yaml")).toThrow(
      "t.yaml:5: hosts[0].memory.boot: boot memory ends at 275951648768, above cxl_test's CXL windows at 274877906944",
    );
  });
});
