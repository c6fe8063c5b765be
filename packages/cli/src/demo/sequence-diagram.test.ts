import { describe, expect, it } from "vitest";
import { renderSequence } from "./sequence-diagram.js";

const ACTORS = ["Orchestrator", "FM", "Device", "Host Kernel", "Host User"];

describe("renderSequence", () => {
  it("draws arrows between lanes in both directions, with lanes on every row", () => {
    const out = renderSequence(ACTORS, [
      { from: "FM", to: "Device", label: "Add Extent" },
      { from: "Device", to: "FM", label: "Accept" },
    ]);
    const lines = out.split("\n");
    expect(lines[0]).toBe("Orchestrator  FM            Device        Host Kernel   Host User");
    expect(lines.slice(2, 5)).toEqual([
      "|             |---- Add --->|             |             |",
      "|             |   Extent    |             |             |",
      "|             |<-- Accept --|             |             |",
    ]);
    for (const line of lines.slice(1)) expect(line.startsWith("|")).toBe(true);
  });

  it("continues a long label on the rows below its arrow", () => {
    const out = renderSequence(ACTORS, [{ from: "Orchestrator", to: "Host User", label: "Create region dynamic_ram_1 on decoder0.0 then signal done to everyone" }]);
    const lines = out.split("\n");
    expect(lines[2]).toMatch(/^\|-+ Create region dynamic_ram_1 on decoder0.0 then -+>\|$/);
    expect(lines[3]).toBe("|             |  signal done to everyone  |             |");
  });

  it("cuts a word wider than the lane instead of clipping it", () => {
    const lines = renderSequence(ACTORS, [{ from: "Host User", to: "Host Kernel", label: "Create (dynamic_ram_1)" }]).split("\n");
    expect(lines.slice(2, 6)).toEqual([
      "|             |             |             |<-- Create --|",
      "|             |             |             |   (dynami   |",
      "|             |             |             |   c_ram_1   |",
      "|             |             |             |      )      |",
    ]);
  });

  it("refuses an actor it does not know", () => {
    expect(() => renderSequence(ACTORS, [{ from: "FM", to: "Nobody", label: "x" }])).toThrow("unknown actor 'Nobody'");
  });
});
