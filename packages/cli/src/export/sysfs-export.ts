/**
 * `dcd sysfs export DIR`: write a host's sysfs tree and its `/dev` nodes to DIR in the layout
 * shared/reference/real-ndctl.md documents, so real `cxl list` / `daxctl list` can read it inside
 * a private mount namespace (`mount -t tmpfs none /sys && cp -a DIR/sys/. /sys/`).
 *
 * - directories as directories, attribute files with what `cat` gives (write-only files and files
 *   whose read fails are written empty with the attribute's permission bits), symlinks as the
 *   relative targets `readlink` gives;
 * - `/dev/cxl/memN` for every memdev and `/dev/daxX.Y` for every dax device, as plain files (no
 *   mknod needed): libcxl only `stat()`s its node, libdaxctl takes the node's rdev (0:0 for a plain
 *   file) to `/sys/dev/char/0:0`, so that link is added pointing at the first dax device.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { dirname, join, posix, relative as relPath } from "node:path";
import { type Host } from "@dcd/core";

export interface ExportResult {
  readonly dirs: number;
  readonly files: number;
  readonly links: number;
  readonly devNodes: readonly string[];
}

interface SysfsReadable {
  walk(path?: string): Iterable<{ path: string; type: "dir" | "file" | "link"; mode: number; target?: string }>;
  read(path: string): string;
  list(path: string): string[];
  exists(path: string): boolean;
  realpath(path: string): string;
}

/** Export `host`'s `/sys` and `/dev` nodes below `dir` (which is replaced). */
export function exportSysfs(host: Host, dir: string): ExportResult {
  return exportTree(host.sysfs, dir);
}

export function exportTree(sysfs: SysfsReadable, dir: string): ExportResult {
  rmSync(join(dir, "sys"), { recursive: true, force: true });
  rmSync(join(dir, "dev"), { recursive: true, force: true });
  mkdirSync(join(dir, "sys"), { recursive: true });
  mkdirSync(join(dir, "dev"), { recursive: true });
  let dirs = 0;
  let files = 0;
  let links = 0;
  const fileModes: [string, number][] = [];
  for (const e of sysfs.walk("/sys")) {
    const out = join(dir, e.path);
    if (e.type === "dir") {
      mkdirSync(out, { recursive: true });
      dirs++;
    } else if (e.type === "link") {
      mkdirSync(dirname(out), { recursive: true });
      symlinkSync(e.target ?? "", out);
      links++;
    } else {
      let text = "";
      if ((e.mode & 0o444) !== 0) {
        try {
          text = sysfs.read(e.path);
        } catch {
          text = "";
        }
      }
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
      fileModes.push([out, e.mode & 0o777]);
      files++;
    }
  }
  const devNodes: string[] = [];
  const node = (path: string): void => {
    const out = join(dir, path);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, "");
    devNodes.push(path);
  };
  const names = (p: string): string[] => (sysfs.exists(p) ? sysfs.list(p) : []);
  for (const n of names("/sys/bus/cxl/devices").filter((n) => /^mem\d+$/.test(n))) node(`/dev/cxl/${n}`);
  const daxDevices = names("/sys/bus/dax/devices").filter((n) => /^dax\d+\.\d+$/.test(n));
  for (const n of daxDevices) node(`/dev/${n}`);
  const first = daxDevices[0];
  const zero = join(dir, "sys/dev/char/0:0");
  if (first !== undefined && !existsSync(zero)) {
    // A plain /dev file has rdev 0:0; libdaxctl resolves /sys/dev/char/0:0 to find the dax device.
    mkdirSync(dirname(zero), { recursive: true });
    const target = sysfs.realpath(`/sys/bus/dax/devices/${first}`);
    symlinkSync(posix.relative("/sys/dev/char", target), zero);
    links++;
  }
  // Permission bits last (a 0200 file cannot be rewritten by a non-root exporter).
  for (const [path, mode] of fileModes) chmodSync(path, mode === 0 ? 0o444 : mode);
  return { dirs, files, links, devNodes: devNodes.map((p) => relPath("/", p)) };
}
