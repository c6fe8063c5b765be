import { describe, expect, it } from "vitest";
import { check, parseJsonPath, parseScript, ScriptError, splitWords } from "./script.js";

describe("dcd run script syntax", () => {
  it("splits words like a shell and drops trailing comments", () => {
    expect(splitWords(`qmp '{"execute": "x"}' "a b" c\\ d # note`)).toEqual(["qmp", '{"execute": "x"}', "a b", "c d"]);
    expect(splitWords("a#b")).toEqual(["a#b"]);
    expect(() => splitWords("qmp '{", 7)).toThrow(ScriptError);
  });

  it("parses JSON paths", () => {
    expect(parseJsonPath(".")).toEqual([]);
    expect(parseJsonPath(".[0].region")).toEqual([0, "region"]);
    expect(parseJsonPath('.a.b[2]["x y"]')).toEqual(["a", "b", 2, "x y"]);
    expect(() => parseJsonPath("a.b")).toThrow(/must start with/);
    expect(() => parseJsonPath(".a[")).toThrow(/bad JSON path/);
  });

  it("attaches expect lines to the command before them, with line numbers", () => {
    const cmds = parseScript("# c\n\ndcd sysfs cat /sys/x\nexpect exit 1\nexpect stderr ~ \"No such\"\nfm info\nexpect json .numRegions == 2\n");
    expect(cmds.map((c) => [c.line, c.argv])).toEqual([
      [3, ["sysfs", "cat", "/sys/x"]],
      [6, ["fm", "info"]],
    ]);
    expect(cmds[0]?.expects.map((e) => e.line)).toEqual([4, 5]);
    expect(cmds[1]?.expects[0]?.expect).toMatchObject({ kind: "json", path: ["numRegions"], op: "==", value: 2 });
  });

  it("names the line of a syntax error", () => {
    const err = (() => {
      try {
        parseScript("fm info\nexpect jsn .a == 1\n");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ScriptError);
    expect((err as ScriptError).line).toBe(2);
    expect(() => parseScript("expect exit 0")).toThrow(/before any command/);
    expect(() => parseScript("x\nexpect json .a == nope")).toThrow(/JSON value/);
  });

  it("checks exit codes, text and JSON fields", () => {
    const r = { stdout: '[{"region":"region0","size":268435456,"tags":[]}]\n', stderr: "cat: x: No such file or directory\n", code: 1 };
    const ex = (line: string) => {
      const cmd = parseScript(`x\n${line}`)[0];
      const e = cmd?.expects[0]?.expect;
      if (!e) throw new Error("no expectation");
      return check(e, r);
    };
    expect(ex("expect exit 1")).toBeUndefined();
    expect(ex("expect exit 0")).toBe("exit code 1, expected 0");
    expect(ex('expect json .[0].region == "region0"')).toBeUndefined();
    expect(ex('expect json .[0].region != "region0"')).toMatch(/is "region0"/);
    expect(ex("expect json .[0].size >= 268435456")).toBeUndefined();
    expect(ex("expect json .[0].size < 1")).toMatch(/is 268435456/);
    expect(ex("expect json .[0].tags length == 0")).toBeUndefined();
    expect(ex("expect json .[1] missing")).toBeUndefined();
    expect(ex("expect json .[1] exists")).toMatch(/missing/);
    expect(ex('expect stderr ~ "No such"')).toBeUndefined();
    expect(ex('expect stderr !~ "No such"')).toMatch(/matches/);
    expect(ex("expect stderr ~ /no SUCH/i")).toBeUndefined();
    expect(ex('expect stdout ~ "region9"')).toMatch(/does not match/);
    expect(check({ kind: "json", path: [], pathText: ".", op: "==", value: 1 }, { stdout: "not json", stderr: "", code: 0 })).toMatch(/not JSON/);
  });
});
