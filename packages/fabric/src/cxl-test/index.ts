export * from "./cxl-test-topology.js";
export * from "./cxl-mock-mem.js";
