import { useLeakCheck } from "@dcd/testing";
import { describe, expect, it } from "vitest";
import { runDemo } from "./run-demo.js";
import { type DemoDriver } from "./workflow.js";
import { DEMO_DRIVERS } from "./drivers.js";

function capture() {
  let out = "";
  return { io: { out: (t: string) => (out += t), err: (t: string) => (out += t) }, text: () => out };
}

describe("dcd demo", () => {
  useLeakCheck();

  it("runs the seed's workflow for every driver, every step checked, and exits 0", async () => {
    const c = capture();
    expect(await runDemo({ io: c.io })).toBe(0);
    const text = c.text();
    for (const d of DEMO_DRIVERS) expect(text).toContain(`== ${d.label}: region driver ${d.driver} ==`);
    expect(text).toContain("(Release");
    expect(text).not.toContain("FAIL");
    expect(text).toContain("ok   release ignored while in use");
    expect(text).toContain("ok   whole group released");
    // The in-use listing is read from sysfs the way libcxl reads it: the tagged extents are there.
    expect(text).toContain("# while the memory is in use: cxl list -M -R -N");
    expect(text).toContain(`"uuid":"5be13bce-ae34-4a77-b6c3-16df975fcf1a"`);
  });

  it("fails (exit 1) when a driver does not defer the release it should", async () => {
    const base = DEMO_DRIVERS[0]!;
    // "Using" the memory without telling the driver: the release goes through at once,
    // so the demo's "release ignored while in use" step must fail.
    const careless: DemoDriver = { ...base, label: "careless", use: () => Promise.resolve("Use"), stopUsing: () => Promise.resolve("Stop") };
    const c = capture();
    expect(await runDemo({ io: c.io, drivers: [careless], diagram: false })).toBe(1);
    expect(c.text()).toContain("FAIL release ignored while in use");
  });
});
