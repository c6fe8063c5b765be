export { buildSystem, GIB, MIB, type DeviceSpec, type HostSpec, type SystemSpec } from "./system.js";
export { presetSpec, PRESETS, type PresetName } from "./presets.js";
export { loadTopology, parseSize, parseTopology } from "./topology-file.js";
