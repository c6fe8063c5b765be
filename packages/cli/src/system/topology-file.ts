/**
 * Topology files (`--topology FILE`): YAML describing devices and hosts, validated field by field;
 * every error names the file, the line and the field (`rack.yaml:7: hosts[1].attach[0].device: ...`).
 *
 * ```yaml
 * devices:
 *   - name: dcd0                 # required, unique
 *     qom: /machine/peripheral/dcd0   # optional (default /machine/peripheral/NAME)
 *     numHosts: 2                # optional, default 1
 *     serial: 0x1234             # optional
 *     ramSize: 0                 # optional (bytes or "2GiB")
 *     partitions:                # 1-8 DC partitions, laid out back to back after ram
 *       - { size: 2GiB, blockSize: 2MiB, sharable: true }
 *   - name: q0
 *     qemu: { size: 4GiB, regions: 2 }   # instead of partitions: QEMU's volatile-dc-memdev
 * hosts:
 *   - name: h0                   # required, unique
 *     kernel: v11                # optional: v9 | v10 | v11
 *     attach:                    # ACPI flavor: one root port per entry
 *       - { device: dcd0, hostId: 0 }
 *     memory:                    # optional: the memory-hotplug model (every key optional)
 *       boot:                    # boot RAM per node, laid out from 0 (default 16GiB on node 0)
 *         - { node: 0, size: 64GiB }   # size: a multiple of 128MiB; nodes < possibleNodes
 *       blockSize: 2GiB          # block_size_bytes: power of two, 128MiB..2GiB (default as
 *                                #   x86_64: 128MiB below 64GiB of boot RAM, else 2GiB or, with
 *                                #   hypervisor, the largest one dividing the end of boot RAM)
 *       hypervisor: false
 *       possibleNodes: 8         # node_possible_map: nodes 0..N-1 (1..1024)
 *       autoOnlineBlocks: offline     # offline | online | online_kernel | online_movable
 *       onlinePolicy: contig-zones    # memory_hotplug.online_policy: contig-zones | auto-movable
 *       autoMovableRatio: 301    # memory_hotplug.auto_movable_ratio (percent)
 *       autoMovableNumaAware: true
 *       memmapOnMemory: false    # memory_hotplug.memmap_on_memory (read-only once booted)
 *       movableNode: false       # the movable_node command-line flag
 *       probeAttribute: false    # /sys/devices/system/memory/probe
 *     window:                    # optional: the host's CFMWS window
 *       node: 1                  # its NUMA node = every region's target_node (default 1;
 *                                #   -1 is NUMA_NO_NODE, which kmem and sysram refuse)
 *   - name: t0
 *     flavor: cxl_test           # the kernel mock platform instead of attach
 *     memdevs: 4
 * ```
 * The ACPI flavor's CXL window starts at 64 GiB, or at the next multiple of 64 GiB at or above
 * the end of boot RAM; cxl_test's windows are fixed at 256 GiB, so its boot RAM must end below.
 */
import { readFileSync } from "node:fs";
import { errno } from "@dcd/core";
import { CXL_TEST_WINDOW_BASE, DcdDevice, type DcPartitionConfig } from "@dcd/fabric";
import { LineCounter, parseDocument } from "yaml";
import { type DeviceSpec, type HostSpec, type SystemSpec } from "./system.js";
import { Checker } from "./topology-checker.js";
import { parseHostMemory } from "./topology-memory.js";

export { parseSize } from "./topology-checker.js";

/** Parse and validate topology text (`file` names it in errors). Throws `DcdError` EINVAL. */
export function parseTopology(text: string, file: string): SystemSpec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const c = new Checker(file, lines);
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0].line ?? lines.linePos(firstError.pos[0]).line;
    throw errno("EINVAL", `${file}:${line}: YAML: ${firstError.message.split("\n")[0] ?? ""}`);
  }
  const root = c.map(doc.contents, "(top)", ["devices", "hosts"]);
  const devices: DeviceSpec[] = [];
  const names = new Set<string>();
  const qomPaths = new Set<string>();
  const heads = new Map<string, number>();
  c.seq(root, "devices", "", false).forEach((node, i) => {
    const f = `devices[${i}]`;
    const m = c.map(node, f, ["name", "qom", "numHosts", "serial", "ramSize", "pmemSize", "partitions", "qemu", "extentBudget", "eventLogCapacity"]);
    const name = c.string(m, "name", f, true) as string;
    if (names.has(name)) c.fail(c.node(m, "name"), `${f}.name`, `duplicate device name '${name}'`);
    names.add(name);
    const qom = c.string(m, "qom", f, false);
    if (qom !== undefined && !qom.startsWith("/")) c.fail(c.node(m, "qom"), `${f}.qom`, "expected an absolute QOM path");
    const qomPath = qom ?? `/machine/peripheral/${name}`;
    if (qomPaths.has(qomPath)) c.fail(c.node(m, qom === undefined ? "name" : "qom"), `${f}.qom`, `QOM path '${qomPath}' is already in use`);
    qomPaths.add(qomPath);
    const numHosts = c.int(m, "numHosts", f, 1, 16);
    heads.set(name, numHosts ?? 1);
    const serial = c.int(m, "serial", f, 0, Number.MAX_SAFE_INTEGER);
    const extentBudget = c.int(m, "extentBudget", f, 1, 1 << 24);
    const eventLogCapacity = c.int(m, "eventLogCapacity", f, 1, 1 << 16);
    const options = {
      name,
      ...(numHosts === undefined ? {} : { numHosts }),
      ...(serial === undefined ? {} : { serial }),
      ...(extentBudget === undefined ? {} : { extentBudget }),
      ...(eventLogCapacity === undefined ? {} : { eventLogCapacity }),
    };
    const qemuNode = c.node(m, "qemu");
    let build: () => DcdDevice;
    if (qemuNode !== undefined) {
      if (c.node(m, "partitions") !== undefined) c.fail(qemuNode, `${f}.qemu`, "give either qemu or partitions, not both");
      const q = c.map(qemuNode, `${f}.qemu`, ["size", "regions"]);
      const size = c.size(q, "size", `${f}.qemu`, true) as number;
      const regions = c.int(q, "regions", `${f}.qemu`, 1, 8) ?? 1;
      build = () => DcdDevice.fromQemuProperties({ id: name, "volatile-dc-memdev": { id: `${name}-mem`, size }, "num-dc-regions": regions }, options);
    } else {
      const ramSize = c.size(m, "ramSize", f, false) ?? 0;
      const pmemSize = c.size(m, "pmemSize", f, false) ?? 0;
      let base = ramSize + pmemSize;
      const parts = c.seq(m, "partitions", f, true);
      if (parts.length === 0 || parts.length > 8) c.fail(c.node(m, "partitions"), `${f}.partitions`, `expected 1 to 8 partitions, got ${parts.length}`);
      const partitions: DcPartitionConfig[] = parts.map((pn, j) => {
        const pf = `${f}.partitions[${j}]`;
        const p = c.map(pn, pf, ["size", "blockSize", "sharable", "readOnly"]);
        const size = c.size(p, "size", pf, true) as number;
        const blockSize = c.size(p, "blockSize", pf, false) ?? 2 * 1024 * 1024;
        const sharable = c.bool(p, "sharable", pf);
        const readOnly = c.bool(p, "readOnly", pf);
        const part: DcPartitionConfig = { base, decodeLength: size, length: size, blockSize, dsmadHandle: j, ...(sharable === undefined ? {} : { sharable }), ...(readOnly === undefined ? {} : { readOnly }) };
        base += size;
        return part;
      });
      const config = { ...options, ramSize, pmemSize, partitions };
      // Validate now (the device checks geometry) so the error names this device's line.
      try {
        new DcdDevice(config).dispose();
      } catch (err) {
        c.fail(c.node(m, "partitions"), `${f}.partitions`, err instanceof Error ? err.message : String(err));
      }
      build = () => new DcdDevice(config);
    }
    if (qemuNode !== undefined) {
      try {
        build().dispose();
      } catch (err) {
        c.fail(qemuNode, `${f}.qemu`, err instanceof Error ? err.message : String(err));
      }
    }
    devices.push({ name, ...(qom === undefined ? {} : { qom }), build, ...(qemuNode !== undefined ? { qmpProfile: "qemu" as const } : {}) });
  });
  const hosts: HostSpec[] = [];
  const hostNames = new Set<string>();
  const hostsSeq = c.seq(root, "hosts", "", true);
  if (hostsSeq.length === 0) c.fail(c.node(root, "hosts"), "hosts", "at least one host is required");
  hostsSeq.forEach((node, i) => {
    const f = `hosts[${i}]`;
    const m = c.map(node, f, ["name", "kernel", "flavor", "attach", "memdevs", "memory", "window"]);
    const name = c.string(m, "name", f, true) as string;
    if (hostNames.has(name)) c.fail(c.node(m, "name"), `${f}.name`, `duplicate host name '${name}'`);
    hostNames.add(name);
    const kernel = c.string(m, "kernel", f, false);
    if (kernel !== undefined && kernel !== "v9" && kernel !== "v10" && kernel !== "v11") c.fail(c.node(m, "kernel"), `${f}.kernel`, `expected v9, v10 or v11, got '${kernel}'`);
    const flavor = c.string(m, "flavor", f, false) ?? "acpi";
    if (flavor !== "acpi" && flavor !== "cxl_test") c.fail(c.node(m, "flavor"), `${f}.flavor`, `expected acpi or cxl_test, got '${flavor}'`);
    const memdevs = c.int(m, "memdevs", f, 1, 8);
    if (memdevs !== undefined && flavor !== "cxl_test") c.fail(c.node(m, "memdevs"), `${f}.memdevs`, "only for flavor cxl_test");
    const attach = c.seq(m, "attach", f, false).map((an, j) => {
      const af = `${f}.attach[${j}]`;
      const a = c.map(an, af, ["device", "hostId"]);
      const device = c.string(a, "device", af, true) as string;
      if (!names.has(device)) c.fail(c.node(a, "device"), `${af}.device`, `no device named '${device}'`);
      const hostId = c.int(a, "hostId", af, 0, 15) ?? 0;
      const n = heads.get(device) ?? 1;
      if (hostId >= n) c.fail(c.node(a, "hostId") ?? a, `${af}.hostId`, `device '${device}' has ${n} logical device${n === 1 ? "" : "s"} (host ids 0..${n - 1}), got ${hostId}`);
      return { device, hostId };
    });
    if (flavor === "cxl_test" && attach.length > 0) c.fail(c.node(m, "attach"), `${f}.attach`, "flavor cxl_test brings its own devices");
    const memory = parseHostMemory(c, m, f);
    const bootEnd = (memory.memory?.boot ?? []).reduce((sum, r) => sum + r.size, 0);
    // cxl_test's mock windows sit at a fixed address; boot RAM must end below them.
    if (flavor === "cxl_test" && bootEnd > CXL_TEST_WINDOW_BASE) c.fail(c.node(m, "memory"), `${f}.memory.boot`, `boot memory ends at ${bootEnd}, above cxl_test's CXL windows at ${CXL_TEST_WINDOW_BASE}`);
    hosts.push({ name, flavor: flavor as "acpi" | "cxl_test", attach, ...(kernel === undefined ? {} : { kernel: kernel as "v9" | "v10" | "v11" }), ...(memdevs === undefined ? {} : { memdevs }), ...memory });
  });
  return { source: file, devices, hosts };
}

/** Read and validate a topology file. */
export function loadTopology(path: string): SystemSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw errno("ENOENT", `cannot read topology file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseTopology(text, path);
}
