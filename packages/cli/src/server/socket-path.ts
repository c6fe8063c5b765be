import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where `dcd serve` listens and clients connect when no `--socket` is given: `$DCD_SOCKET`, else
 * `$XDG_RUNTIME_DIR/dcd.sock`, else `/tmp/dcd-$UID.sock` (the OS temp directory on systems without uids).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv): string {
  if (env.DCD_SOCKET) return env.DCD_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "dcd.sock");
  const uid = typeof process.getuid === "function" ? String(process.getuid()) : "user";
  return join(tmpdir(), `dcd-${uid}.sock`);
}
