/**
 * Installing the memory subsystem into a host: `/sys/devices/system/{memory,node}` appear, boot
 * memory is online, and the host's container resolves {@link MEMORY_HOTPLUG} for drivers (sysram,
 * dax_kmem) that hot-plug memory. Each host gets its own model; nothing is shared between hosts.
 */
import { type InjectionToken } from "tsyringe";
import { type Host } from "../host/host.js";
import { MemoryHotplug } from "./memory-hotplug.js";
import { type MemoryHotplugOptions } from "./types.js";

/** The host's memory-hotplug model, registered by {@link installMemoryHotplug}. */
export const MEMORY_HOTPLUG: InjectionToken<MemoryHotplug> = Symbol("MemoryHotplug");

/**
 * Build the memory and node subsystems of `host` (buses `memory` and `node`, boot blocks, nodes,
 * root attributes, module parameters) and register the model as {@link MEMORY_HOTPLUG} in the
 * host's container. It is disposed with the host. EEXIST when already installed; EINVAL for bad
 * options.
 */
export async function installMemoryHotplug(host: Host, options: MemoryHotplugOptions = {}): Promise<MemoryHotplug> {
  const mm = await MemoryHotplug.create({ name: host.name, core: host.core, sysfs: host.sysfs, clock: host.clock }, options);
  host.container.register(MEMORY_HOTPLUG, { useValue: mm });
  return mm;
}

/** The model installed in `host`, or undefined. */
export function memoryHotplugOf(host: Host): MemoryHotplug | undefined {
  return host.container.isRegistered(MEMORY_HOTPLUG, true) ? host.container.resolve(MEMORY_HOTPLUG) : undefined;
}
