/**
 * QEMU's monitor control commands (`qapi/control.json`, `monitor/qmp-cmds-control.c`):
 * `qmp_capabilities`, `query-commands` and `query-version`.
 */
import { defineQmpCommand, type QmpCommand } from "../qmp-command.js";
import { QmpError } from "../qmp-error.js";
import { qapi } from "../schema/qapi-types.js";

/** `QMPCapability`. */
export const QMP_CAPABILITY = qapi.enum("QMPCapability", ["oob"]);

/** `VersionInfo` as `query-version` returns it and the greeting embeds it. */
export interface QemuVersionInfo {
  readonly qemu: { readonly major: number; readonly minor: number; readonly micro: number };
  readonly package: string;
}

/** The version dcd reports unless told otherwise: a QEMU with the DCD QMP commands. */
export const DEFAULT_QEMU_VERSION: QemuVersionInfo = { qemu: { major: 10, minor: 1, micro: 0 }, package: "" };

/** `{ qemu: { major, minor, micro }, package }` in the output visitor's member order. */
export function versionObject(v: QemuVersionInfo): { qemu: { major: number; minor: number; micro: number }; package: string } {
  return { qemu: { major: v.qemu.major, minor: v.qemu.minor, micro: v.qemu.micro }, package: v.package };
}

/** `qmp_capabilities`: leave negotiation mode, optionally enabling capabilities. */
export const qmpCapabilitiesCommand: QmpCommand = defineQmpCommand({
  name: "qmp_capabilities",
  args: qapi.struct("q_obj_qmp_capabilities_arg", { "*enable": qapi.list(QMP_CAPABILITY) }),
  run(args, { session }) {
    if (session.negotiated) {
      throw new QmpError("CommandNotFound", "Capabilities negotiation is already complete, command ignored");
    }
    session.enterCommandMode(args.enable ?? []);
    return undefined;
  },
});

/** `query-commands`: `[{"name": ...}]`, newest registration first (QEMU prepends). */
export const queryCommandsCommand: QmpCommand = defineQmpCommand({
  name: "query-commands",
  args: qapi.struct("q_obj_query_commands_arg", {}),
  run(_args, { session }) {
    return [...session.commandNames()].reverse().map((name) => ({ name }));
  },
});

/** `query-version`. */
export function queryVersionCommand(version: QemuVersionInfo): QmpCommand {
  return defineQmpCommand({
    name: "query-version",
    args: qapi.struct("q_obj_query_version_arg", {}),
    run: () => versionObject(version),
  });
}
