export { buildSystem, DEFAULT_BOOT_MEMORY, GIB, MIB, type DeviceSpec, type HostSpec, type SystemSpec, windowBase } from "./system.js";
export { kernelLogRecords, type KernelLogRecord, stampKernelLog } from "./kernel-log-stamps.js";
export { presetSpec, PRESETS, type PresetName } from "./presets.js";
export { loadTopology, parseSize, parseTopology } from "./topology-file.js";
