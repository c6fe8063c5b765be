/**
 * The region drivers the demo runs the workflow for, each with what "use the memory" means for
 * it. A driver package that exists gets an entry here.
 */
import { DaxSubsystem } from "@dcd/core";
import { DEVDAX_REGION_DRIVER_NAME, devdaxRegionDriverModule } from "@dcd/driver-devdax";
import { exampleRegionDriver, exampleRegionDriverModule, type LedgerPolicy } from "@dcd/example-region-driver";
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

/** Every driver the demo knows, in the order it runs them. */
export const DEMO_DRIVERS: readonly DemoDriver[] = [devdax, example];
