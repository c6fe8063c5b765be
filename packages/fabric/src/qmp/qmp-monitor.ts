/**
 * The QMP monitor: one command table, one greeting, any number of sessions (connections).
 * Transports (the socket server, or a test) call {@link QmpMonitor.connect} with a writer and
 * feed the session the bytes they receive. Events go to every negotiated session.
 */
import { type Clock, type Disposable, errno, leakTracker } from "@dcd/core";
import { DEFAULT_QEMU_VERSION, qmpCapabilitiesCommand, queryCommandsCommand, queryVersionCommand, versionObject, type QemuVersionInfo } from "./commands/control-commands.js";
import type { JsonLimits } from "./json/json-streamer.js";
import { QDict, toQObject, type JsonLike } from "./json/qobject.js";
import { QmpCommandList, type QmpCommand } from "./qmp-command.js";
import { QMP_CAPABILITY_OOB, QmpSession, type QmpSessionEnvironment } from "./qmp-session.js";

/** How a monitor is set up. */
export interface QmpMonitorOptions {
  /** Event timestamps come from this clock. */
  readonly clock: Clock;
  /** Commands besides the control commands (`qmp_capabilities`, `query-commands`, `query-version`). */
  readonly commands?: readonly QmpCommand[];
  /** Version in the greeting and `query-version` (default QEMU 10.1.0, package ""). */
  readonly version?: QemuVersionInfo;
  /** Offer the `oob` capability (QEMU does on socket monitors; default true). */
  readonly offerOob?: boolean;
  /** JSON limits (default: QEMU's). */
  readonly jsonLimits?: JsonLimits;
}

export class QmpMonitor implements Disposable {
  private readonly env: QmpSessionEnvironment;
  private readonly sessions = new Set<QmpSession>();
  private readonly untrack: () => void;
  private disposed = false;

  constructor(options: QmpMonitorOptions) {
    const version = options.version ?? DEFAULT_QEMU_VERSION;
    const commands = new QmpCommandList([qmpCapabilitiesCommand, queryCommandsCommand, queryVersionCommand(version), ...(options.commands ?? [])]);
    this.env = {
      commands,
      negotiationCommands: new QmpCommandList([qmpCapabilitiesCommand]),
      offeredCapabilities: options.offerOob === false ? [] : [QMP_CAPABILITY_OOB],
      clock: options.clock,
      greeting: (caps) =>
        QDict.of([["QMP", QDict.of([["version", toQObject(versionObject(version))], ["capabilities", toQObject([...caps])]])]]),
      ...(options.jsonLimits ? { jsonLimits: options.jsonLimits } : {}),
    };
    this.untrack = leakTracker.track("qmp-monitor", "QmpMonitor");
  }

  /** Add a command after construction (available to every session at once). */
  register(command: QmpCommand): void {
    this.env.commands.register(command);
  }

  /** Open a session: the greeting is written at once. Close it with `session.close()` or {@link disconnect}. */
  connect(write: (text: string) => void): QmpSession {
    if (this.disposed) throw errno("ENODEV", "QmpMonitor: connect after dispose");
    const session = new QmpSession(this.env, write);
    this.sessions.add(session);
    session.open();
    return session;
  }

  /** Close a session and forget it. */
  disconnect(session: QmpSession): void {
    session.close();
    this.sessions.delete(session);
  }

  /** Sessions currently open. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Broadcast an event to every negotiated session (`monitor_qapi_event_emit`). */
  emitEvent(event: string, data?: JsonLike): void {
    for (const s of this.sessions) s.sendEvent(event, data);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    this.untrack();
  }
}
