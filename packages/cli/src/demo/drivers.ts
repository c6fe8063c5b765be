/**
 * The region drivers the demo runs the workflow for, each with what "use the memory" means for
 * it. A driver package that exists gets an entry here.
 */
import { DaxSubsystem, installMemoryHotplug, memoryHotplugOf } from "@dcd/core";
import { CXL_SYSRAM_REGION_DRIVER_NAME, sysramRegionDriverModule, sysramRegionOf } from "@dcd/driver-sysram";
import { DEVDAX_REGION_DRIVER_NAME, devdaxRegionDriverModule } from "@dcd/driver-devdax";
import { exampleRegionDriver, exampleRegionDriverModule, type LedgerPolicy } from "@dcd/example-region-driver";
import { DEFAULT_BOOT_MEMORY } from "../system/index.js";
import { type DemoDriver } from "./workflow.js";

/** The example driver: "using" a group pins its tag in the driver's ledger, so release defers. */
const example: DemoDriver = {
  label: "example",
  driver: exampleRegionDriver.name,
  modules: [exampleRegionDriverModule],
  use({ region, tag }) {
    (region.drvdata as LedgerPolicy).pinned.add(tag);
    return Promise.resolve("Pin tag");
  },
  stopUsing({ region, tag }) {
    (region.drvdata as LedgerPolicy).pinned.delete(tag);
    return Promise.resolve("Unpin tag");
  },
};

/** devdax: the user claims the whole tag group into one DAX device by writing its uuid (R56). */
const devdax: DemoDriver = {
  label: "devdax",
  driver: DEVDAX_REGION_DRIVER_NAME,
  modules: [devdaxRegionDriverModule],
  async use({ host, region, tag }) {
    const dev = await DaxSubsystem.of(host).createDevice({ region: region.name, uuid: tag });
    return `Create DAX dev ${dev.name}`;
  },
  async stopUsing({ host }) {
    const dax = DaxSubsystem.of(host);
    const claimed = dax.devices().filter((d) => d.size > 0);
    for (const d of claimed) await dax.destroyDevice(d);
    return `Destroy DAX dev ${claimed.map((d) => d.name).join(" ")}`;
  },
};

const PINNED_PAGES = 16;

/**
 * sysram: extents are hot-plugged directly as System RAM, no DAX. The user sets the policy
 * (`online_type`) before capacity arrives; "using" the memory pins pages in it, so the
 * offline of the release fails with EBUSY, the blocks are put back online and the release waits.
 */
const sysram: DemoDriver = {
  label: "sysram",
  driver: CXL_SYSRAM_REGION_DRIVER_NAME,
  modules: [sysramRegionDriverModule],
  async prepare(host) {
    await installMemoryHotplug(host, { boot: DEFAULT_BOOT_MEMORY });
  },
  configure({ host, region }) {
    const name = sysramRegionOf(region)?.name ?? "sysram_region?";
    host.sysfs.write(`/sys/bus/cxl/devices/${name}/online_type`, "online_movable\n");
    return Promise.resolve(`echo online_movable > ${name}/online_type`);
  },
  use({ host, region }) {
    const mm = memoryHotplugOf(host);
    const first = sysramRegionOf(region)?.groups()[0]?.blocks[0];
    if (mm === undefined || first === undefined) throw new Error("sysram: nothing was hot-plugged");
    mm.workload.allocate(first, PINNED_PAGES, "movable");
    mm.workload.pin(first, PINNED_PAGES);
    return Promise.resolve(`Pin pages in memory${first}`);
  },
  stopUsing({ host, region }) {
    const mm = memoryHotplugOf(host);
    const first = sysramRegionOf(region)?.groups()[0]?.blocks[0];
    if (mm === undefined || first === undefined) throw new Error("sysram: nothing was hot-plugged");
    mm.workload.unpin(first, PINNED_PAGES);
    mm.workload.free(first, PINNED_PAGES, "movable");
    return Promise.resolve(`Unpin pages in memory${first}`);
  },
};

/** Every driver the demo knows, in the order it runs them. */
export const DEMO_DRIVERS: readonly DemoDriver[] = [devdax, sysram, example];
