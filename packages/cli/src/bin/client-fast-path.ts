/**
 * The client's fast path. A command for a running `dcd serve` needs none of the host model: the
 * server parses and runs it. Loading the whole command table (the CXL core, the fabric, every
 * driver) costs most of a second of process start on this machine, so `dcd` forwards the common
 * remote commands before loading any of it. Anything unusual (help, --preset, --topology, an
 * unknown command) takes the full path, which behaves the same, only slower.
 */

/** Top-level commands that always run on the server when no --preset/--topology is given. */
const REMOTE = new Set(["cxl", "daxctl", "sysfs", "qmp", "fm", "dmesg"]);

/** Global options of `dcd` that may come before the command, and the request fields they set. */
export interface FastPathRequest {
  readonly socket: string | undefined;
  readonly host: string | undefined;
}

/** The request when `argv` can be forwarded as is; undefined to take the full path. */
export function fastPathRequest(argv: readonly string[]): FastPathRequest | undefined {
  let socket: string | undefined;
  let host: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("-")) break;
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (name !== "--socket" && name !== "--host") return undefined;
    const value = inline ?? argv[++i];
    if (value === undefined) return undefined;
    if (name === "--socket") socket = value;
    else host = value;
  }
  if (!REMOTE.has(argv[i] ?? "")) return undefined;
  const local = ["--preset", "--topology", "--help", "-h"];
  if (argv.some((a) => local.includes(a) || local.some((l) => a.startsWith(`${l}=`)))) return undefined;
  return { socket, host };
}
