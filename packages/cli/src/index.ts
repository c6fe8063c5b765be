/**
 * @packageDocumentation
 * `@dcd/cli`: the `dcd` command (`pnpm dcd ARGS` from the repository root).
 */
export { main, type Io, type MainContext } from "./main.js";
export type { CommandContext, System, SystemDevice, SystemHost } from "./commands/context.js";
export { buildSystem, loadTopology, parseTopology, presetSpec, PRESETS, type DeviceSpec, type HostSpec, type PresetName, type SystemSpec } from "./system/index.js";
export { defaultSocketPath } from "./server/socket-path.js";
export { request as dcdRequest } from "./client/client.js";
export type { DcdRequest, DcdResponse } from "./server/protocol.js";
export { renderSequence, type SequenceStep } from "./demo/sequence-diagram.js";
