/**
 * A QMP command: its name, its QAPI argument struct and a handler. The dispatcher visits the
 * arguments against the struct before the handler runs, so a handler only ever sees well-typed
 * arguments (and schema errors never reach device code).
 */
import type { JsonLike } from "./json/qobject.js";
import type { QapiStruct, QapiValue } from "./schema/qapi-types.js";

/** What a handler can reach besides its arguments. */
export interface QmpCommandContext {
  /** The monitor session the command arrived on. */
  readonly session: QmpSessionControl;
}

/** The parts of a session that control commands use (capability negotiation). */
export interface QmpSessionControl {
  /** True once `qmp_capabilities` succeeded. */
  readonly negotiated: boolean;
  /** Capabilities offered in the greeting. */
  readonly offeredCapabilities: readonly string[];
  /** Enable `capabilities` and switch to command mode (`qmp_qmp_capabilities`). */
  enterCommandMode(capabilities: readonly string[]): void;
  /** Names of the commands available in the session's current mode. */
  commandNames(): readonly string[];
}

/** A handler's result: the `return` member (`undefined` means `{}`), possibly later. */
export type QmpResult = JsonLike | undefined | Promise<JsonLike | undefined>;

/** A command as registered: arguments are already visited when `run` is called. */
export interface QmpCommand {
  readonly name: string;
  readonly args: QapiStruct;
  /** QEMU's `QCO_ALLOW_OOB`: may run as `exec-oob`. */
  readonly allowOob: boolean;
  run(args: unknown, ctx: QmpCommandContext): QmpResult;
}

/** Define a command with handler arguments typed from its schema. */
export function defineQmpCommand<S extends QapiStruct>(def: {
  readonly name: string;
  readonly args: S;
  readonly allowOob?: boolean;
  run(args: QapiValue<S>, ctx: QmpCommandContext): QmpResult;
}): QmpCommand {
  return {
    name: def.name,
    args: def.args,
    allowOob: def.allowOob ?? false,
    run: (args, ctx) => def.run(args as QapiValue<S>, ctx),
  };
}

/** QEMU's `QmpCommandList`: commands in registration order. */
export class QmpCommandList {
  private readonly commands = new Map<string, QmpCommand>();

  constructor(commands: Iterable<QmpCommand> = []) {
    for (const c of commands) this.register(c);
  }

  /** Add a command; a second command with the same name replaces the first. */
  register(command: QmpCommand): this {
    this.commands.set(command.name, command);
    return this;
  }

  find(name: string): QmpCommand | undefined {
    return this.commands.get(name);
  }

  /** Names in registration order. */
  names(): string[] {
    return [...this.commands.keys()];
  }
}
