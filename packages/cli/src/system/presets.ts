/**
 * The built-in Systems (`--preset NAME`).
 *
 * - `cxl_test`: one host (`host0`) on the kernel's cxl_test mock platform, its 8 mock memdevs as
 *   devices `cxl_mem.0` .. `cxl_mem.7` (QOM `/machine/peripheral/host0/cxl_mem.N`).
 * - `qemu`: QEMU's DCD test fixture: `-device cxl-type3,id=cxl-dcd0,volatile-dc-memdev=dc-mem0,num-dc-regions=2`
 *   on a 4 GiB backend (2 DC regions of 2 GiB, 2 MiB blocks, QMP profile qemu) at
 *   `/machine/peripheral/cxl-dcd0`, one host `host0` attached through an ACPI-flavored topology.
 * - `rack`: four hosts `host0` .. `host3` sharing the multi-headed device `dcd0` (`numHosts: 4`):
 *   DC region 0 (2 GiB) private, DC region 1 (2 GiB) sharable; host N is attached to logical device N.
 */
import { errno } from "@dcd/core";
import { DcdDevice } from "@dcd/fabric";
import { GIB, MIB, type SystemSpec } from "./system.js";

export const PRESETS = ["cxl_test", "qemu", "rack"] as const;
export type PresetName = (typeof PRESETS)[number];

export function presetSpec(name: string): SystemSpec {
  switch (name) {
    case "cxl_test":
      return { source: "preset cxl_test", devices: [], hosts: [{ name: "host0", flavor: "cxl_test", attach: [] }] };
    case "qemu":
      return {
        source: "preset qemu",
        devices: [
          {
            name: "cxl-dcd0",
            qom: "/machine/peripheral/cxl-dcd0",
            qmpProfile: "qemu",
            build: () => DcdDevice.fromQemuProperties({ id: "cxl-dcd0", "volatile-dc-memdev": { id: "dc-mem0", size: 4 * GIB }, "num-dc-regions": 2 }),
          },
        ],
        hosts: [{ name: "host0", flavor: "acpi", attach: [{ device: "cxl-dcd0", hostId: 0 }] }],
      };
    case "rack":
      return {
        source: "preset rack",
        devices: [
          {
            name: "dcd0",
            build: () =>
              new DcdDevice({
                name: "dcd0",
                numHosts: 4,
                serial: 0x5ac0,
                partitions: [
                  { base: 0, decodeLength: 2 * GIB, length: 2 * GIB, blockSize: 2 * MIB, dsmadHandle: 0 },
                  { base: 2 * GIB, decodeLength: 2 * GIB, length: 2 * GIB, blockSize: 2 * MIB, dsmadHandle: 1, sharable: true },
                ],
              }),
          },
        ],
        hosts: [0, 1, 2, 3].map((i) => ({ name: `host${i}`, flavor: "acpi" as const, attach: [{ device: "dcd0", hostId: i }] })),
      };
    default:
      throw errno("EINVAL", `unknown preset '${name}' (presets: ${PRESETS.join(", ")})`);
  }
}
