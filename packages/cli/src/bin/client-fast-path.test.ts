import { describe, expect, it } from "vitest";
import { fastPathRequest } from "./client-fast-path.js";

describe("the client fast path", () => {
  it("forwards remote commands with their global options", () => {
    expect(fastPathRequest(["cxl", "list", "-N"])).toEqual({ socket: undefined, host: undefined });
    expect(fastPathRequest(["--socket", "/s", "--host=h1", "daxctl", "list"])).toEqual({ socket: "/s", host: "h1" });
    expect(fastPathRequest(["sysfs", "cat", "/sys/bus/cxl/devices/mem0/serial"])).toEqual({ socket: undefined, host: undefined });
    expect(fastPathRequest(["--host", "h1", "dmesg", "-t"])).toEqual({ socket: undefined, host: "h1" });
  });

  it.each([[["serve"]], [["demo"]], [["run", "x"]], [["--preset", "qemu", "cxl", "list"]], [["cxl", "list", "--topology=t.yaml"]], [["cxl", "--help"]], [["bogus"]], [["--socket"]], [["--verbose", "cxl", "list"]], [[]]])(
    "takes the full path for %j",
    (argv) => {
      expect(fastPathRequest(argv)).toBeUndefined();
    },
  );
});
