/**
 * @packageDocumentation
 * `@dcd/fabric`: everything outside the host. Dynamic Capacity devices (DC partitions, per-host
 * logical devices, event log, mailbox 4800h-4803h), the Fabric Manager API (5600h-5608h) and
 * QEMU-compatible QMP.
 */

// Device model, event log, mailbox 4800h-4803h, interval bookkeeping (issue 3).
// The spec's wire layouts (extents, event records, 48xxh payloads, return codes) live in @dcd/core.
export * from "./device/types.js";
export * from "./device/config.js";
export * from "./device/quirks.js";
export * from "./device/device.js";
export * from "./device/device-events.js";
export type { AddOutcome, InitiateAddRequest } from "./device/fm-add.js";
export type { InitiateReleaseRequest, ReleaseOutcome } from "./device/fm-release.js";
export type { DcdInfo, HostDcRegion, HostDcRegionConfig, HostExtentListPage } from "./device/fm-config.js";
export type { TagInfo, TagListPage } from "./device/fm-tags.js";
export type { TagSnapshot } from "./device/tag-registry.js";
export type { DeviceSnapshot, HostSnapshot, PendingGroupView } from "./device/snapshot.js";
export { EventLog, DEFAULT_EVENT_LOG_CAPACITY, type AppendResult, type ClearResult, type EventLogSnapshot } from "./event-log/event-log.js";
export { LogicalDevice } from "./mailbox/logical-device.js";
export type { MailboxResponse } from "./mailbox/binary-mailbox.js";
export { IntervalIndex, type Interval } from "./interval/interval-index.js";
export { firstOverlapIndex } from "./interval/list-overlap.js";

// QMP: QEMU's wire protocol, JSON and QAPI visitor, socket server, DCD commands (issue 3).
export { QmpMonitor, type QmpMonitorOptions } from "./qmp/qmp-monitor.js";
export { QmpSession, qmpTimestamp, QMP_CAPABILITY_OOB, type QmpSessionEnvironment } from "./qmp/qmp-session.js";
export { QmpSocketServer, type QmpAddress, type QmpListenOptions } from "./qmp/server/qmp-socket-server.js";
export { defineQmpCommand, QmpCommandList, type QmpCommand, type QmpCommandContext, type QmpResult, type QmpSessionControl } from "./qmp/qmp-command.js";
export { genericError, QmpError, type QapiErrorClass } from "./qmp/qmp-error.js";
export { qmpDispatch, qmpErrorResponse } from "./qmp/qmp-dispatch.js";
export { DEFAULT_QEMU_VERSION, type QemuVersionInfo } from "./qmp/commands/control-commands.js";
export { qapi, type QapiBuiltin, type QapiEnum, type QapiList, type QapiMembers, type QapiStruct, type QapiType, type QapiValue } from "./qmp/schema/qapi-types.js";
export { visitCommandArgs } from "./qmp/schema/qobject-input-visitor.js";
export { fromQObject, QDict, toQObject, type JsonLike, type QBool, type QList, type QNull, type QNum, type QObject, type QString } from "./qmp/json/qobject.js";
export { qobjectToJson } from "./qmp/json/json-writer.js";
export { JsonMessageParser, QEMU_JSON_LIMITS, type JsonLimits, type JsonMessage } from "./qmp/json/json-streamer.js";
export { impliedQmpProfile, QomDeviceRegistry, type QmpDcdProfile, type QomDcdEntry } from "./qmp/qom-device-registry.js";
export { cxlDcdCommands } from "./qmp/commands/cxl-dcd-commands.js";
export type { QmpDcdDevice } from "./qmp/commands/qmp-dcd-device.js";
export { QEMU_DC_ERRORS } from "./qmp/commands/qemu-dc-validation.js";
export * from "./qmp/commands/cxl-dcd-schema.js";

// FM API 5600h-5608h: binary commands over a device and their codecs (issue 3).
export { FmApi, FM_API_DCD_OPCODES, FM_API_QEMU_OPCODES, TAG_FLAG_FM_REFERENCED, TAG_LIST_REF_BITMAPS_VALID, type FmApiOptions, type FmApiResponse } from "./fm-api/fm-api.js";
export type { FmAddRequest, FmApiDevice, FmReleaseRequest, FmTagInfo } from "./fm-api/fm-api-device.js";
export * from "./fm-api/codecs/get-dcd-info.js";
export * from "./fm-api/codecs/host-dc-region-config.js";
export * from "./fm-api/codecs/set-dc-region-config.js";
export * from "./fm-api/codecs/dc-region-extent-lists.js";
export * from "./fm-api/codecs/initiate-dc-add.js";
export * from "./fm-api/codecs/initiate-dc-release.js";
export * from "./fm-api/codecs/dc-tags.js";

// Plugging a device into a host: its memdev spec, CDAT and a one-host-bridge ACPI platform.
export { attachDcd, DCD_DEFAULT_WINDOW, DCD_WINDOW_BASE, dcdCdat, dcdMemdevSpec, dcdPlatformSpec, dcdRootPorts, type DcdAttachment, type DcdAttachOptions, type DcdMemdevOptions } from "./host/dcd-memdev.js";

// cxl_test: the kernel mock topology and its injection files, on a dcd host (issue 4).
export * from "./cxl-test/index.js";
