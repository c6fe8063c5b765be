/**
 * Property: a sysfs write to any CXL attribute either succeeds or fails with an errno and leaves
 * every file and link of the tree exactly as it was (CONTRIBUTING: bad input changes nothing).
 */
import { fc } from "@fast-check/vitest";
import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { bootCxl, dcdDevice, dcdSpec, sysfsState, writeErr } from "./test-support/cxl-host.js";

const garbage = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom("", "0x", "-1", "+1", "0x1000", "1e9", "010", "0x10000000", "0x40000000", "region", "region0", "region99", "decoder2.0", "decoder2.1", "decoder1.0", "mem0", "ram", "pmem", "dynamic_ram_1", "none", " 1", "1 ", "\n", "0x40000000x", "99999999999999999999"),
  fc.integer({ min: -5, max: 70 }).map(String),
  fc.nat().map((n) => `0x${(n * 0x1000_0000).toString(16)}`),
);

describe("bad input", () => {
  useLeakCheck();

  it("every refused write to a CXL attribute leaves sysfs unchanged", async () => {
    const dev = dcdDevice();
    const b = await bootCxl({ memdevs: (slots) => [dcdSpec(dev, slots[0] ?? "")] });
    try {
      const D = "/sys/bus/cxl/devices";
      b.sysfs.write(`${D}/decoder0.0/create_dynamic_ram_1_region`, "region0");
      await b.host.settle();
      b.sysfs.write(`${D}/region0/interleave_granularity`, "256");
      const files = ["region0/interleave_ways", "region0/interleave_granularity", "region0/size", "region0/commit", "region0/uuid", "region0/target0", "decoder2.0/mode", "decoder2.0/dpa_size", "decoder2.1/mode", "decoder2.1/dpa_size", "decoder0.0/create_dynamic_ram_1_region", "decoder0.0/create_ram_region", "decoder0.0/delete_region", "mem0/serial", "decoder0.0/size"];
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...files), garbage, async (file, value) => {
          if (b.cxl.region("region0") === undefined) {
            // A lucky delete_region: create it again so the run keeps exercising a region.
            b.sysfs.write(`${D}/decoder0.0/create_dynamic_ram_1_region`, b.sysfs.read(`${D}/decoder0.0/create_dynamic_ram_1_region`).trim());
            await b.host.settle();
            return;
          }
          const before = sysfsState(b.sysfs);
          const code = writeErr(b.sysfs, `${D}/${file}`, value);
          if (code !== undefined) {
            refused++;
            expect(sysfsState(b.sysfs)).toEqual(before);
          }
          await b.host.settle();
        }),
        { numRuns: 300, seed: 20260625 },
      );
      expect(refused).toBeGreaterThan(100);
    } finally {
      await b.dispose();
      dev.dispose();
    }
  });
});
