/**
 * The region drivers the demo runs the workflow for, each with what "use the memory" means for
 * it. A driver package that exists gets an entry here.
 */
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

/** Every driver the demo knows, in the order it runs them. */
export const DEMO_DRIVERS: readonly DemoDriver[] = [example];
