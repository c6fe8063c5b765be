/**
 * `cxl_acpi` (drivers/cxl/acpi.c): binds the ACPI0017 platform device (or cxl_test's `cxl_acpi.0`)
 * and builds the root of the topology from the CEDT: `root0`, one dport per host bridge (id =
 * _UID), one host-bridge port per host bridge, one root decoder per CFMWS window.
 */
import { type ProbeContext } from "../../driver-model/driver.js";
import { errno } from "../../errors.js";
import { type PlatformDevice, type PlatformDriver } from "../bus.js";
import { CxlRootDecoder } from "../decoder.js";
import { addDecoder, addDport, addPort } from "../enumerate.js";
import { QOS_CLASS_INVALID } from "../dpa.js";
import { type CxlSubsystem } from "../subsystem.js";
import { type CxlPlatformFirmware } from "../topology-spec.js";

function firmwareOf(dev: PlatformDevice): CxlPlatformFirmware {
  const fw = dev.platformData as Partial<CxlPlatformFirmware> | undefined;
  if (fw?.cxl === undefined || fw.hostBridges === undefined || fw.windows === undefined) throw errno("ENXIO", `${dev.name}: no CEDT (platform data)`);
  return fw as CxlPlatformFirmware;
}

async function cxlAcpiProbe(pdev: PlatformDevice, ctx: ProbeContext<PlatformDevice>): Promise<void> {
  const fw = firmwareOf(pdev);
  const cxl: CxlSubsystem = fw.cxl;
  const root = await addPort(cxl, ctx.devm, "root", pdev);
  root.binding = ctx.devm;
  ctx.devm.add(() => {
    root.binding = undefined;
  });
  ctx.drvdata = root;
  // add_host_bridge_dport, then add_host_bridge_uport, then cxl_parse_cfmws (acpi.c order).
  for (const hb of fw.hostBridges) addDport(cxl, ctx.devm, root, hb.uid, hb.dev);
  for (const hb of fw.hostBridges) {
    const dport = root.dport(hb.uid);
    if (dport !== undefined) await addPort(cxl, ctx.devm, "switch", hb.dev, dport);
  }
  for (const w of fw.windows) {
    const targets = w.targets.map((uid) => root.dport(uid));
    if (targets.some((t) => t === undefined)) {
      cxl.log.err(pdev, `CFMWS ${w.base.toString(16)}: target host bridge missing`);
      continue;
    }
    const rd = new CxlRootDecoder(root, root.decoderIda.alloc(), targets.length, cxl.memregionIda.alloc(), w.qosClass ?? QOS_CLASS_INVALID);
    rd.setHpaRange(w.base, w.size);
    rd.interleaveWays = targets.length;
    rd.interleaveGranularity = w.granularity ?? 256;
    Object.assign(rd.flags, { ram: w.ram ?? true, pmem: w.pmem ?? false, type2: w.type2 ?? false, type3: w.type3 ?? true, lock: w.fixed ?? false });
    targets.forEach((t, i) => (rd.targets[i] = t));
    await addDecoder(cxl, ctx.devm, rd);
  }
}

export const cxlAcpiDriver: PlatformDriver = {
  name: "cxl_acpi",
  bus: "platform",
  acpiIds: ["ACPI0017"],
  idTable: ["cxl_acpi"],
  probe: (dev, ctx) => cxlAcpiProbe(dev, ctx),
};
