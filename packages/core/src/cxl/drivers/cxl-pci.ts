/**
 * The memory-device function driver: `cxl_pci` (drivers/cxl/pci.c) for a PCI function, and the body
 * cxl_test's `cxl_mock_mem` shares for its platform devices. It reads what the device is (identity,
 * CEL, Dynamic Capacity configuration), sets up the DPA partitions, registers `memN`, and wires
 * the event interrupt; the extent pipeline takes over from there (`memdevEventsEnabled` hooks).
 */
import { type Device } from "../../driver-model/device.js";
import { type ProbeContext } from "../../driver-model/driver.js";
import { errno } from "../../errors.js";
import { PCI_CLASS_MEMORY_CXL, type PciDevice, type PciDriver } from "../bus.js";
import { configureDcd, dcdCommandsSupported, dcPartitionInfo, eventConfig } from "../dc-identify.js";
import { DpaPartition } from "../dpa.js";
import { isMemdevHardware } from "../hardware.js";
import { CxlMailbox } from "../mbox/mailbox.js";
import { CxlDevState, CxlMemdev } from "../memdev.js";

/**
 * The probe of a memory-device function (`cxl_pci_probe`): ENXIO when the device carries no
 * memdev hardware description. Returns the registered memdev.
 */
export async function cxlMemdevHostProbe(dev: Device, ctx: ProbeContext): Promise<CxlMemdev> {
  const hw = (dev as Partial<PciDevice>).platformData;
  if (!isMemdevHardware(hw)) throw errno("ENXIO", `${dev.name}: not a CXL memory device`);
  const cxl = hw.cxl;
  const log = cxl.log;
  const identity = hw.identity;
  const mailbox = new CxlMailbox(hw.transport, { name: dev.name, ...(hw.payloadSize === undefined ? {} : { payloadSize: hw.payloadSize }) });
  const state = new CxlDevState(dev, mailbox, hw.transport, identity);

  // cxl_enumerate_cmds (R5)
  state.dcdSupported = dcdCommandsSupported(identity.commands);
  if (!state.dcdSupported) log.debug(dev, "Dynamic Capacity commands missing from the Command Effects Log; DCD not supported");

  // cxl_mem_dpa_fetch, then cxl_configure_dcd (R1-R4), then cxl_dpa_setup.
  const partitions = [new DpaPartition(0, "ram", 0, identity.ramSize, identity.ramQosClass), new DpaPartition(1, "pmem", identity.ramSize, identity.pmemSize, identity.pmemQosClass)];
  if (state.dcdSupported) {
    const dc = configureDcd(state, log, cxl.profile, identity.ramSize + identity.pmemSize);
    if (dc !== undefined) {
      // R7: the partition's sharable flag and QoS class come from the CDAT DSMAS with its handle.
      state.dcRegions = dc.regions.map((r, i) => dcPartitionInfo(i, r, identity.cdat, log, dev.name));
      const first = state.dcRegions[0];
      state.dcPartition = first;
      if (first !== undefined) partitions.push(new DpaPartition(2, "dynamic_ram", first.start, first.size, first.qosClass));
    }
  }
  state.partitions = partitions;

  const id = cxl.memdevIda.alloc();
  const memdev = new CxlMemdev(cxl, id, state);
  await cxl.addDevice(memdev, () => {
    cxl.memdevIda.free(id);
  });
  const charLink = `/sys/dev/char/${memdev.devt}`;
  cxl.sysfs.addLink(charLink, `/sys${memdev.devpath}`);
  await ctx.devm.addOrReset(async () => {
    cxl.sysfs.removeIfExists(charLink);
    await cxl.deleteDevice(memdev);
  });
  ctx.drvdata = memdev;

  // cxl_event_config (R6) runs after the memdev exists: DCD may still be given up here.
  eventConfig(state, log);
  if (state.dcdSupported) for (const hooks of cxl.hooks()) hooks.memdevEventsEnabled?.(memdev, ctx.devm);
  return memdev;
}

export const cxlPciDriver: PciDriver = {
  name: "cxl_pci",
  bus: "pci",
  classCodes: [PCI_CLASS_MEMORY_CXL],
  probe: async (dev, ctx) => {
    await cxlMemdevHostProbe(dev, ctx);
  },
};
