/**
 * What every command of the `dcd` command table gets: output sinks, the System it runs against
 * (built lazily, so `dcd --help` boots nothing) and the host chosen with `--host`.
 *
 * Commands never print with `console` or `process.stdout`: they write to `io`, so the same table
 * runs in-process (tests, `dcd run`), in the binary and inside `dcd serve` for a remote client.
 */
import { type Host } from "@dcd/core";
import { type DcdDevice, type FmApi, type QmpMonitor, type QomDeviceRegistry } from "@dcd/fabric";

/** Output sinks, injectable for tests and for the server (which captures them per request). */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A fabric device of a System, with the name commands use for it (`--device NAME`). */
export interface SystemDevice {
  readonly name: string;
  readonly device: DcdDevice;
  /** QOM path of the device in the QMP registry (e.g. `/machine/peripheral/cxl-dcd0`). */
  readonly qomPath: string;
}

/** A host of a System and where it sits on the fabric. */
export interface SystemHost {
  readonly name: string;
  readonly host: Host;
  /** Logical-device (FM host id) of each device this host is attached to, by device name. */
  readonly hostIds: ReadonlyMap<string, number>;
}

/**
 * Fabric devices + hosts + the QMP registry, built from a preset or a topology file. Owned by
 * whoever built it (the one-shot binary, `dcd serve`, `dcd run`, a test); `dispose` tears every host down.
 */
export interface System {
  /** Preset name or topology file it was built from. */
  readonly source: string;
  readonly hosts: readonly SystemHost[];
  readonly devices: readonly SystemDevice[];
  /** The QMP monitor serving every device's QOM path (cxl-add/release-dynamic-capacity…). */
  readonly qmp: QmpMonitor;
  readonly qom: QomDeviceRegistry;
  /** A host by name; undefined name → the first host. Throws `DcdError` ENODEV naming the host. */
  host(name?: string): SystemHost;
  /** A device by name; undefined name → the first device. Throws `DcdError` ENODEV. */
  device(name?: string): SystemDevice;
  /** The FM API (5600h-5608h) over a device (one instance per device). */
  fm(device?: string): FmApi;
  dispose(): Promise<void>;
}

/** What `registerXxxCommands(program, ctx)` gets. */
export interface CommandContext {
  readonly io: Io;
  /** The System the command runs against (built on first use). */
  system(): Promise<System>;
  /** The `--host NAME` host (default: the System's first host). */
  host(): Promise<Host>;
  /** Set the exit code of the running command (default 0; an uncaught error gives 1). */
  setExitCode(code: number): void;
}
