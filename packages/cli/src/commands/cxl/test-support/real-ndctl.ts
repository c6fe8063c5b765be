/**
 * Run Debian's ndctl 76.1 (`cxl`, `daxctl`) over an exported tree inside a private mount namespace
 * (shared/reference/real-ndctl.md): /sys becomes a tmpfs holding TREE/sys, /dev a tmpfs holding
 * TREE/dev plus /dev/null. Needs root (unshare -m, mount).
 */
import { spawnSync } from "node:child_process";

const SCRIPT = 'mount -t tmpfs none /sys && cp -a "$0"/sys/. /sys/ && mount -t tmpfs none /dev && cp -a "$0"/dev/. /dev/ && mknod -m 666 /dev/null c 1 3 && exec "$@"';

export function realNdctl(tree: string, args: readonly string[]): { code: number; out: string; err: string } {
  const r = spawnSync("unshare", ["-m", "sh", "-c", SCRIPT, tree, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Why the real tools cannot run here, or undefined when they can. */
export function realNdctlUnavailable(): string | undefined {
  for (const tool of ["cxl", "daxctl", "unshare"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} not installed (apt-get install -y ndctl daxctl)`;
  }
  const probe = spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs none /sys"], { encoding: "utf8" });
  if (probe.status !== 0) return `unshare -m / mount not permitted: ${probe.stderr.trim()}`;
  return undefined;
}
