export { buildSystem, DEFAULT_BOOT_MEMORY, GIB, MIB, type DeviceSpec, type HostSpec, type SystemSpec, windowBase } from "./system.js";
export { presetSpec, PRESETS, type PresetName } from "./presets.js";
export { loadTopology, parseSize, parseTopology } from "./topology-file.js";
