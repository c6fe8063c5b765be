/** The memory-hotplug model (`mm/memory_hotplug.c`, `drivers/base/{memory,node}.c`). */
export * from "./types.js";
export { alignToBlocks, type AlignedRange, blockIdOf, checkBlockAligned, defaultMemoryBlockSize, formatNodeList, formatRange, isBlockAligned } from "./ranges.js";
export { MemoryHotplug, type MemoryHotplugEnv } from "./memory-hotplug.js";
export { MemoryBlockDevice, memoryBus, NodeDevice, nodeBus } from "./memory-sysfs.js";
export { MemoryWorkload, type Placement } from "./workload.js";
export { installMemoryHotplug, MEMORY_HOTPLUG, memoryHotplugOf } from "./install.js";
export { formatHotplugResult } from "./report.js";
