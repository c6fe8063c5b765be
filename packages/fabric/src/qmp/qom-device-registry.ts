/**
 * QOM paths for DCD devices: QMP names a device by its path (`/machine/peripheral/cxl-dcd0`), or
 * by a partial path that ends in a unique suffix (`cxl-dcd0`), as QEMU's
 * `object_resolve_path_type(path, TYPE_CXL_TYPE3, NULL)` accepts. Each entry also says whether
 * QMP treats the device as QEMU does ("qemu": QEMU's policy limits and error texts) or per the
 * spec ("spec": every policy, forced removal, tags, host ids).
 */
import { type Disposable, errno, toDisposable } from "@dcd/core";
import type { QmpDcdDevice } from "./commands/qmp-dcd-device.js";

/** How QMP treats a device's DCD commands. */
export type QmpDcdProfile = "qemu" | "spec";

export interface QomDcdEntry {
  /** Canonical absolute path. */
  readonly path: string;
  readonly device: QmpDcdDevice;
  readonly profile: QmpDcdProfile;
}

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "");
}

/**
 * The profile a device's construction implies: QEMU's preset is the one that ignores the forced
 * removal bit (the device model does not expose its profile name).
 */
export function impliedQmpProfile(device: QmpDcdDevice): QmpDcdProfile {
  return device.quirks.forcedRemoval === "ignored" ? "qemu" : "spec";
}

export class QomDeviceRegistry {
  private readonly entries = new Map<string, QomDcdEntry>();

  /**
   * Register `device` at the absolute `path`; dispose the result to unregister. EINVAL for a
   * relative path, EEXIST for a path in use.
   */
  add(path: string, device: QmpDcdDevice, options: { readonly profile?: QmpDcdProfile } = {}): Disposable {
    const parts = components(path);
    if (!path.startsWith("/") || parts.length === 0) throw errno("EINVAL", `QOM path '${path}' is not absolute`);
    const canonical = `/${parts.join("/")}`;
    if (this.entries.has(canonical)) throw errno("EEXIST", `QOM path '${canonical}' is already in use`);
    const entry: QomDcdEntry = { path: canonical, device, profile: options.profile ?? impliedQmpProfile(device) };
    this.entries.set(canonical, entry);
    return toDisposable(() => {
      if (this.entries.get(canonical) === entry) this.entries.delete(canonical);
    });
  }

  /**
   * `object_resolve_path_type`: an absolute path must match exactly (empty components are
   * skipped, as QEMU does); a partial path must match the end of exactly one device's path.
   */
  resolve(path: string): QomDcdEntry | undefined {
    const parts = components(path);
    if (parts.length === 0) return undefined;
    if (path.startsWith("/")) return this.entries.get(`/${parts.join("/")}`);
    let found: QomDcdEntry | undefined;
    for (const e of this.entries.values()) {
      const ep = components(e.path);
      if (ep.length < parts.length) continue;
      if (parts.every((p, i) => ep[ep.length - parts.length + i] === p)) {
        if (found !== undefined) return undefined; // ambiguous
        found = e;
      }
    }
    return found;
  }

  /** Registered entries in registration order. */
  list(): readonly QomDcdEntry[] {
    return [...this.entries.values()];
  }

  /**
   * The profile for a path that resolves to nothing: QEMU's dispatcher checks the policy before
   * it resolves the path, so with only QEMU-profile devices an unknown path with an unsupported
   * policy still gets QEMU's policy error.
   */
  get unresolvedProfile(): QmpDcdProfile {
    const all = this.list();
    return all.length > 0 && all.every((e) => e.profile === "qemu") ? "qemu" : "spec";
  }
}
