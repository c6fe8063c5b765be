import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useLeakCheck } from "@dcd/testing";
import { type System } from "../commands/context.js";
import { main } from "../main.js";
import { buildSystem, presetSpec } from "../system/index.js";
import { runScript } from "./run.js";
import { parseScript } from "./script.js";

describe("runScript", () => {
  useLeakCheck();
  let system: System;
  beforeEach(async () => {
    system = await buildSystem(presetSpec("qemu"));
  });
  afterEach(async () => {
    await system.dispose();
  });

  const exec = (argv: readonly string[], io: { out: (t: string) => void; err: (t: string) => void }, sys: System, host: string | undefined) =>
    main(argv, io, { system: sys, ...(host === undefined ? {} : { host }) });

  it("draws a progress bar on a TTY stream for long scripts and clears it", async () => {
    let drawn = "";
    const tty = {
      write: (t: string) => {
        drawn += t;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    const commands = parseScript(Array.from({ length: 12 }, () => "fm info\nexpect json .rc == \"SUCCESS\"").join("\n"));
    const out: string[] = [];
    const failure = await runScript("s.dcd", commands, system, { globals: () => ({}), exec, progress: tty, io: { out: (t) => out.push(t), err: (t) => out.push(t) } });
    expect(failure).toBeUndefined();
    expect(drawn).toContain("s.dcd [");
    expect(drawn).toContain("12/12");
    expect(drawn.endsWith("\r")).toBe(true);
    expect(out).toEqual([]);
  });

  it("stops at the first failure and names its line; later commands do not run", async () => {
    const commands = parseScript("sysfs write /sys/bus/cxl/devices/decoder0.0/create_ram_region region0\nfm info\nexpect json .numHosts == 2\nsysfs write /sys/bus/cxl/devices/decoder0.0/create_ram_region region1\n");
    const failure = await runScript("s.dcd", commands, system, { globals: () => ({}), exec, progress: undefined, io: { out: () => undefined, err: () => undefined } });
    expect(failure).toBe("s.dcd:3: expect json .numHosts == 2: .numHosts is 1");
    const devices = system.host().host.sysfs.list("/sys/bus/cxl/devices");
    expect(devices).toContain("region0");
    expect(devices).not.toContain("region1");
  });
});
