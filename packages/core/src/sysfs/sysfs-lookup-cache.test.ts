/**
 * The tree caches resolved directories for plain paths. A path with a `.` component takes the
 * uncached component-by-component walk, so every answer for `/sys/a/b` must equal the answer for
 * `/sys/./a/b`, whatever was created, linked, removed or sourced before (and whatever the cache
 * held from earlier reads).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { type AttributeSpec, SysfsTree } from "./sysfs-tree.js";

const NAMES = ["a", "b", "x", "v"] as const;
const name = fc.constantFrom(...NAMES);
const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((parts) => `/sys/${parts.join("/")}`);

type Op =
  | { op: "mkdir" | "file" | "remove" | "source" | "unsource"; path: string }
  | { op: "link"; path: string; target: string }
  | { op: "toggle"; name: "x" | "v" };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom("mkdir", "file", "remove", "source", "unsource" as const), path }),
  fc.record({ op: fc.constant("link" as const), path, target: fc.oneof(path, fc.constant("/sys")) }),
  fc.record({ op: fc.constant("toggle" as const), name: fc.constantFrom("x" as const, "v" as const) }),
);

/** Every path the queries look at: all of NAMES up to depth 3 below /sys. */
const QUERIED: string[] = (() => {
  const out: string[] = [];
  const grow = (prefix: string, depth: number): void => {
    for (const n of NAMES) {
      out.push(`${prefix}/${n}`);
      if (depth < 3) grow(`${prefix}/${n}`, depth + 1);
    }
  };
  grow("/sys", 1);
  return out;
})();

/** What a query gave: its value, or the errno code it threw. */
function outcome<T>(f: () => T): T | string {
  try {
    return f();
  } catch (err) {
    return `!${(err as { code?: string }).code ?? "?"}`;
  }
}

function answers(t: SysfsTree, p: string): unknown[] {
  return [outcome(() => t.exists(p)), outcome(() => t.lstat(p)), outcome(() => t.read(p)), outcome(() => t.list(p)), outcome(() => t.realpath(p))];
}

const dotted = (p: string): string => p.replace(/^\/sys\//, "/sys/./");

describe("SysfsTree lookups with the resolved-directory cache", () => {
  test.prop([fc.array(op, { minLength: 1, maxLength: 25 })], { numRuns: 60 })("answer as the uncached walk does, after any sequence of changes", (ops) => {
    const t = new SysfsTree();
    // Sourced children: `x` and `v` while switched on, each with one file `v` naming where it is.
    const on = new Set<string>(["x"]);
    const source = (dir: string) => ({
      names: () => [...on],
      lookup: (n: string): ReadonlyMap<string, AttributeSpec> | undefined => (on.has(n) ? new Map([["v", { show: () => `${dir}/${n}` }]]) : undefined),
    });
    for (const o of ops) {
      outcome(() => {
        switch (o.op) {
          case "mkdir": t.mkdir(o.path); break;
          case "file": t.addAttribute(o.path, { show: () => o.path }); break;
          case "remove": t.remove(o.path); break;
          case "source": t.addDirSource(o.path, source(o.path)); break;
          case "unsource": t.removeDirSource(o.path); break;
          case "link": t.addLink(o.path, o.target); break;
          case "toggle": if (!on.delete(o.name)) on.add(o.name); break;
        }
      });
      for (const p of QUERIED) expect(answers(t, p), p).toEqual(answers(t, dotted(p)));
    }
  });

  it("sees a directory replaced behind a cached path, and a link retargeted", () => {
    const t = new SysfsTree();
    t.mkdir("/sys/devices/r0");
    t.addAttribute("/sys/devices/r0/size", { show: () => "1" });
    t.addLink("/sys/bus/r", "/sys/devices/r0");
    expect(t.read("/sys/bus/r/size")).toBe("1\n");
    t.remove("/sys/devices/r0");
    expect(t.exists("/sys/bus/r/size")).toBe(false);
    t.mkdir("/sys/devices/r0");
    t.addAttribute("/sys/devices/r0/size", { show: () => "2" });
    expect(t.read("/sys/bus/r/size")).toBe("2\n");
    t.mkdir("/sys/devices/r1");
    t.addAttribute("/sys/devices/r1/size", { show: () => "3" });
    t.remove("/sys/bus/r");
    t.addLink("/sys/bus/r", "/sys/devices/r1");
    expect(t.read("/sys/bus/r/size")).toBe("3\n");
  });
});
