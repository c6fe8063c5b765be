/**
 * One QMP connection, as QEMU's `MonitorQMP`: greeting on open, capability negotiation, a JSON
 * message parser fed with raw bytes, in-order dispatch, responses and events written as QEMU
 * writes them (compact JSON, `\r\n` after every message).
 *
 * Until `qmp_capabilities` succeeds only the negotiation command list is active; any
 * CommandNotFound there is rewritten to `Expecting capabilities negotiation with
 * 'qmp_capabilities'` (`monitor_qmp_dispatch`). Events reach a session only after negotiation.
 */
import type { Clock } from "@dcd/core";
import { JsonMessageParser, type JsonLimits, type JsonMessage } from "./json/json-streamer.js";
import { qobjectToJson } from "./json/json-writer.js";
import { QDict, toQObject, type JsonLike } from "./json/qobject.js";
import type { QmpCommandList, QmpSessionControl } from "./qmp-command.js";
import { qmpDispatch, qmpErrorResponse } from "./qmp-dispatch.js";
import { genericError } from "./qmp-error.js";

/** What every session of one monitor shares. */
export interface QmpSessionEnvironment {
  /** Commands after negotiation (`qmp_commands`). */
  readonly commands: QmpCommandList;
  /** Commands before negotiation (`qmp_cap_negotiation_commands`). */
  readonly negotiationCommands: QmpCommandList;
  /** The greeting object (`{"QMP": {"version": ..., "capabilities": [...]}}`). */
  greeting(offeredCapabilities: readonly string[]): QDict;
  /** Capabilities offered in the greeting (QEMU offers `oob` on socket monitors). */
  readonly offeredCapabilities: readonly string[];
  /** Source of event timestamps. */
  readonly clock: Clock;
  /** JSON limits (QEMU's by default; smaller ones make the limits testable). */
  readonly jsonLimits?: JsonLimits;
}

/** QEMU's only capability today. */
export const QMP_CAPABILITY_OOB = "oob";

/** An event's wall-clock stamp from simulated milliseconds. */
export function qmpTimestamp(ms: number): { seconds: number; microseconds: number } {
  const us = Math.floor(ms * 1000);
  return { seconds: Math.floor(us / 1_000_000), microseconds: us % 1_000_000 };
}

/** One QMP connection. `write` receives whole messages (each ends with `\r\n`). */
export class QmpSession implements QmpSessionControl {
  private commandMode = false;
  private readonly enabled = new Set<string>();
  private readonly parser: JsonMessageParser;
  private readonly queue: JsonMessage[] = [];
  private busy = false;
  private closed = false;
  private readonly drainWaiters: (() => void)[] = [];

  constructor(
    private readonly env: QmpSessionEnvironment,
    private readonly write: (text: string) => void,
  ) {
    this.parser = new JsonMessageParser((m) => {
      this.enqueue(m);
    }, env.jsonLimits);
  }

  /** `CHR_EVENT_OPENED`: send the greeting. */
  open(): void {
    this.send(this.env.greeting(this.env.offeredCapabilities));
  }

  /** Bytes from the client. Complete messages are dispatched at once, in order. */
  feed(bytes: Uint8Array): void {
    if (this.closed) return;
    this.parser.feed(bytes);
  }

  /**
   * `CHR_EVENT_CLOSED`: drop requests not started yet and the half-read message; a command
   * already running finishes, but its response goes nowhere.
   */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.settle();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get negotiated(): boolean {
    return this.commandMode;
  }

  get offeredCapabilities(): readonly string[] {
    return this.env.offeredCapabilities;
  }

  /** Capabilities the client enabled with `qmp_capabilities`. */
  get enabledCapabilities(): readonly string[] {
    return [...this.enabled];
  }

  enterCommandMode(capabilities: readonly string[]): void {
    const unavailable = capabilities.filter((c) => !this.env.offeredCapabilities.includes(c));
    if (unavailable.length > 0) throw genericError(`Capability ${unavailable.join(", ")} not available`);
    for (const c of capabilities) this.enabled.add(c);
    this.commandMode = true;
  }

  commandNames(): readonly string[] {
    return this.currentCommands().names();
  }

  /** Resolves when every request received so far has been answered (or the session closed). */
  drain(): Promise<void> {
    if (this.closed || (!this.busy && this.queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Send an asynchronous event, stamped with the clock (only once negotiated, as QEMU does). */
  sendEvent(event: string, data?: JsonLike): void {
    if (this.closed || !this.commandMode) return;
    const msg = QDict.of([
      ["event", { type: "string", value: event }],
      ["timestamp", toQObject(qmpTimestamp(this.env.clock.now()))],
    ]);
    if (data !== undefined) msg.put("data", toQObject(data));
    this.send(msg);
  }

  private currentCommands(): QmpCommandList {
    return this.commandMode ? this.env.commands : this.env.negotiationCommands;
  }

  private send(msg: QDict): void {
    if (this.closed) return;
    this.write(`${qobjectToJson(msg)}\r\n`);
  }

  private enqueue(message: JsonMessage): void {
    if (this.closed) return;
    this.queue.push(message);
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closed) {
      const message = this.queue.shift();
      if (message === undefined) break;
      const rsp = this.handle(message);
      if (rsp instanceof Promise) {
        this.busy = true;
        void rsp.then((r) => {
          this.busy = false;
          this.respond(r);
          this.pump();
        });
        return;
      }
      this.respond(rsp);
    }
    if (!this.busy) this.settle();
  }

  private settle(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private handle(message: JsonMessage): QDict | Promise<QDict> {
    // A parse error is answered without an id (there is no request to take it from).
    if (message.error !== undefined) return qmpErrorResponse(genericError(message.error));
    const rsp = qmpDispatch(this.currentCommands(), message.value, this.enabled.has(QMP_CAPABILITY_OOB), { session: this });
    return rsp instanceof Promise ? rsp.then((r) => this.rewriteNegotiation(r)) : this.rewriteNegotiation(rsp);
  }

  /**
   * Still negotiating after the command: CommandNotFound gets a more useful text
   * (`monitor_qmp_dispatch`).
   */
  private rewriteNegotiation(rsp: QDict): QDict {
    const error = rsp.get("error");
    if (!this.commandMode && error instanceof QDict) {
      const cls = error.get("class");
      if (cls?.type === "string" && cls.value === "CommandNotFound") {
        error.delete("desc");
        error.put("desc", { type: "string", value: "Expecting capabilities negotiation with 'qmp_capabilities'" });
      }
    }
    return rsp;
  }

  private respond(rsp: QDict): void {
    this.send(rsp);
  }
}
