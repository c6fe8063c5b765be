import { describe, expect, it } from "vitest";
import { renderSequence } from "./sequence-diagram.js";

const ACTORS = ["Orchestrator", "FM", "Device", "Host Kernel", "Host User"];

describe("renderSequence", () => {
  it("draws arrows between lanes in both directions, labels wrapped below as the seed does", () => {
    const lines = renderSequence(ACTORS, [
      { from: "FM", to: "Device", label: "Add Extent" },
      { from: "Device", to: "FM", label: "Accept" },
    ]).split("\n");
    expect(lines[0]).toBe("Orchestrator    FM              Device          Host Kernel     Host User");
    expect(lines.slice(2, 5)).toEqual([
      "|               |----- Add ---->|               |               |",
      "|               |    Extent     |               |               |",
      "|               |<--- Accept ---|               |               |",
    ]);
    for (const line of lines.slice(1)) expect(line.startsWith("|")).toBe(true);
  });

  it("draws an arrow across several lanes and continues a long label below it", () => {
    const lines = renderSequence(ACTORS, [{ from: "Orchestrator", to: "Host User", label: "Create region dynamic_ram_1 on decoder0.0 then signal done to everyone" }]).split("\n");
    expect(lines[2]).toMatch(/^\|-+ Create region dynamic_ram_1 on decoder0\.0 then signal -+>\|$/);
    expect(lines[3]).toContain("done to everyone");
  });

  it("writes a note beside its lane, and past the last lane", () => {
    const lines = renderSequence(ACTORS, [
      { from: "Host Kernel", to: "Host Kernel", label: "(Release Ignored)" },
      { from: "Host User", to: "Host User", label: "Use memory" },
    ]).split("\n");
    expect(lines[2]).toBe("|               |               |               | (Release      |");
    expect(lines[3]).toBe("|               |               |               | Ignored)      |");
    expect(lines[4]).toBe("|               |               |               |               | Use memory");
  });

  it("cuts a word wider than the lane instead of clipping it", () => {
    const lines = renderSequence(ACTORS, [{ from: "Host User", to: "Host Kernel", label: "Create (dynamic_ram_1)" }]).split("\n");
    expect(lines.slice(2, 5)).toEqual([
      "|               |               |               |<--- Create ---|",
      "|               |               |               |   (dynamic_   |",
      "|               |               |               |    ram_1)     |",
    ]);
  });

  it("refuses an actor it does not know", () => {
    expect(() => renderSequence(ACTORS, [{ from: "FM", to: "Nobody", label: "x" }])).toThrow("unknown actor 'Nobody'");
  });
});
