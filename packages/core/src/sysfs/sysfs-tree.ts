/**
 * A kernfs-like tree: directories, attribute files with show/store callbacks, and symlinks.
 *
 * It is the one place dcd's sysfs contract is enforced, so that every file behaves like the
 * kernel's: a read ends with a newline; a write has one trailing newline stripped (what `echo`
 * adds) before the attribute's store sees it; a store either applies completely or throws, and
 * the error carries an errno code and names the path and the bad value; read-only and write-only
 * files refuse the other operation with EACCES. Paths are absolute ("/sys/bus/cxl/devices/mem0")
 * and symlinks in them are followed as the VFS does, so `/sys/bus/cxl/devices/mem0/size` reads the
 * same attribute as the device's canonical path under `/sys/devices`.
 */
import { DcdError, errno } from "../errors.js";

/** How an attribute shows and stores its value. */
export interface AttributeSpec {
  /** The value, with or without a trailing newline (the tree adds one when missing). */
  show?(): string;
  /**
   * Apply `value` (one trailing newline already stripped) or throw a {@link DcdError}. A store
   * that must wait for queued work (a `bind` that probes) returns a promise: {@link SysfsTree.writeAsync}
   * waits for it, as a blocking write(2) does; {@link SysfsTree.write} leaves it running.
   */
  store?(value: string): void | Promise<void>;
  /** Permission bits; defaults to 0444 (show only), 0200 (store only) or 0644 (both). */
  mode?: number;
}

/** What a path names, without following a final symlink. */
export type SysfsNodeType = "dir" | "file" | "link";

/** `stat`-like facts about one entry. */
export interface SysfsStat {
  readonly type: SysfsNodeType;
  /** Permission bits (0755 for directories, 0777 for links). */
  readonly mode: number;
}

/** One entry met by {@link SysfsTree.walk}. */
export interface SysfsEntry extends SysfsStat {
  readonly path: string;
  /** For links: the target, relative to the link's directory (as `readlink` prints it). */
  readonly target?: string;
}

/**
 * Children of a directory computed on demand (as kernfs populates large directories lazily):
 * child directories named by {@link SysfsDirSource.names}, each holding the attribute files
 * {@link SysfsDirSource.lookup} returns. Nothing is stored per child, so a source can stand for
 * millions of entries. Static children of the same directory take precedence over its source.
 */
export interface SysfsDirSource {
  /** Names of the child directories, in any order. */
  names(): Iterable<string>;
  /** The attribute files of child directory `name` (by file name), or undefined when there is none. */
  lookup(name: string): ReadonlyMap<string, AttributeSpec> | undefined;
}

interface DirNode {
  readonly kind: "dir";
  readonly children: Map<string, Node>;
  source?: SysfsDirSource;
  /** Set on a directory a source made: its attribute files, turned into nodes only when met. */
  readonly files?: ReadonlyMap<string, AttributeSpec>;
}
interface FileNode {
  readonly kind: "file";
  readonly spec: AttributeSpec;
  readonly mode: number;
}
interface LinkNode {
  readonly kind: "link";
  /** Absolute target path, as components. */
  readonly target: readonly string[];
  /** The same target as a path string (what the cached walk steps with). */
  readonly targetPath: string;
}
type Node = DirNode | FileNode | LinkNode;

const MAX_LINK_DEPTH = 40; // the VFS's MAXSYMLINKS

/** Bound on {@link SysfsTree}'s resolved-directory cache (it starts over when full). */
const RESOLVED_CACHE_MAX = 4096;

/** The children map of a sourced directory: it has none of its own, only `files`. Never written. */
const NO_CHILDREN: Map<string, Node> = new Map();

type Miss = { readonly miss: "ENOENT" | "ENOTDIR" };

const SLASH = 0x2f;
const ENOENT_MISS: Miss = { miss: "ENOENT" };
const ENOTDIR_MISS: Miss = { miss: "ENOTDIR" };

function newDir(): DirNode {
  return { kind: "dir", children: new Map() };
}

/** Split an absolute path into components, refusing relative paths. */
function components(path: string): string[] {
  if (!path.startsWith("/")) throw errno("EINVAL", `sysfs: '${path}' is not an absolute path`, { detail: { path } });
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

function join(parts: readonly string[]): string {
  return "/" + parts.join("/");
}

/** The default permission bits of an attribute, as `__ATTR_RO`/`__ATTR_WO`/`__ATTR_RW` give them. */
function defaultMode(spec: AttributeSpec): number {
  if (spec.show && spec.store) return 0o644;
  if (spec.store) return 0o200;
  return 0o444;
}

/** The sysfs (and /dev) namespace of one simulated host. */
export class SysfsTree {
  private readonly root: DirNode = newDir();
  /**
   * Directories by plain path, links followed, for paths that lead through static nodes only.
   * `cxl list` reads ~3 files in each of 10,000s of sourced extent directories under one static
   * parent; walking from the root each time was most of its cost. Sourced nodes are never cached
   * (their source may change at any time), and nothing is cached as missing. So an add cannot
   * change what a cached path resolves to (it never replaces an existing static node, static
   * children take precedence over a source, and it can only shadow sourced or missing names), and
   * only removals clear the cache.
   */
  private readonly resolved = new Map<string, { readonly node: DirNode }>();
  /** The cached directory the last walk reached: sibling reads start there without hashing their path. */
  private lastDir: { readonly path: string; readonly node: DirNode } | undefined;

  constructor() {
    this.mkdir("/sys");
  }

  // ---- building the tree -------------------------------------------------------------------

  /** Create a directory and any missing parents (`mkdir -p`). EEXIST when a non-directory is in the way. */
  mkdir(path: string): void {
    this.mkdirParts(components(path), path);
  }

  private mkdirParts(parts: readonly string[], path: string): DirNode {
    let dir = this.root;
    parts.forEach((name, i) => {
      const child = dir.children.get(name);
      if (child === undefined) {
        const created = newDir();
        dir.children.set(name, created);
        dir = created;
      } else if (child.kind === "dir") {
        dir = child;
      } else {
        throw errno("EEXIST", `sysfs: mkdir ${path}: ${join(parts.slice(0, i + 1))} exists and is not a directory`, { detail: { path } });
      }
    });
    return dir;
  }

  /** Create an attribute file (parents are created). EEXIST when the name is taken. */
  addAttribute(path: string, spec: AttributeSpec): void {
    const { dir, name } = this.parentForCreate(path);
    dir.children.set(name, { kind: "file", spec, mode: spec.mode ?? defaultMode(spec) });
  }

  /** Create a symlink at `path` pointing at the absolute path `target` (which need not exist yet). */
  addLink(path: string, target: string): void {
    const { dir, name } = this.parentForCreate(path);
    const parts = resolveDots(components(target));
    dir.children.set(name, { kind: "link", target: parts, targetPath: join(parts) });
  }

  /**
   * Let `source` supply child directories of the existing directory `path` on demand (at most one
   * source per directory). Removing the directory removes its source. EEXIST when it has one.
   */
  addDirSource(path: string, source: SysfsDirSource): void {
    const dir = this.lookupDir(components(path), path);
    if (dir.source !== undefined) throw errno("EEXIST", `sysfs: ${path} already has a directory source`, { detail: { path } });
    dir.source = source;
  }

  /** Detach the source of directory `path` (no error when it has none or is gone). */
  removeDirSource(path: string): void {
    const found = this.lookup(components(path), true, path, 0);
    this.forget();
    if (!("miss" in found) && found.node.kind === "dir") delete found.node.source;
  }

  /** Remove an entry; a directory goes with everything below it (`rm -r`). A link is removed, not its target. */
  remove(path: string): void {
    const parts = components(path);
    const name = parts.pop();
    if (name === undefined) throw errno("EBUSY", "sysfs: cannot remove /", { detail: { path } });
    const dir = this.lookupDir(parts, path);
    this.forget();
    // A file of a sourced directory: removing it has always been a silent no-op (the directory is
    // made afresh on every lookup), kept as it was.
    if (dir.files?.has(name) === true) return;
    if (!dir.children.delete(name)) {
      if (dir.source?.lookup(name) !== undefined) throw errno("EPERM", `sysfs: remove ${path}: the entry belongs to its directory's source`, { detail: { path } });
      throw errno("ENOENT", `sysfs: remove ${path}: no such file or directory`, { detail: { path } });
    }
  }

  /** Remove an entry when it exists; no error otherwise (teardown paths use this). */
  removeIfExists(path: string): void {
    if (this.lstat(path) !== undefined) this.remove(path);
  }

  // ---- using the tree (cat, echo, ls) ------------------------------------------------------

  /** `cat PATH`: the attribute's value, ending with a newline. */
  read(path: string): string {
    const node = this.resolve(path, true);
    if (node.kind === "dir") throw errno("EISDIR", `sysfs: read ${path}: is a directory`, { detail: { path } });
    if (node.kind === "link") throw errno("ENOENT", `sysfs: read ${path}: dangling link`, { detail: { path } });
    const { spec, mode } = node;
    if (spec.show === undefined || (mode & 0o444) === 0) {
      throw errno("EACCES", `sysfs: read ${path}: write-only attribute`, { detail: { path } });
    }
    const text = spec.show();
    return text.endsWith("\n") ? text : text + "\n";
  }

  /**
   * `echo VALUE > PATH`. One trailing newline is stripped. The store applies completely or
   * throws a {@link DcdError} whose message names the path and the value. A store's queued half
   * (see {@link AttributeSpec.store}) keeps running; its failure reaches only `writeAsync` callers.
   */
  write(path: string, value: string): void {
    const { pending } = this.runStore(path, value);
    pending?.catch(() => undefined);
  }

  /**
   * `echo VALUE > PATH` as the shell sees it: the write returns when the store has finished, so
   * a `bind` returns the probe's errno (`really_probe` runs inside `bind_store`).
   */
  async writeAsync(path: string, value: string): Promise<void> {
    const { pending, stripped } = this.runStore(path, value);
    if (pending === undefined) return;
    try {
      await pending;
    } catch (err) {
      throw storeError(path, stripped, err);
    }
  }

  private runStore(path: string, value: string): { pending: Promise<void> | undefined; stripped: string } {
    const node = this.resolve(path, true);
    if (node.kind === "dir") throw errno("EISDIR", `sysfs: write ${path}: is a directory`, { detail: { path, value } });
    if (node.kind === "link") throw errno("ENOENT", `sysfs: write ${path}: dangling link`, { detail: { path, value } });
    const { spec, mode } = node;
    if (spec.store === undefined || (mode & 0o222) === 0) {
      throw errno("EACCES", `sysfs: write ${path}: read-only attribute`, { detail: { path, value } });
    }
    const stripped = value.endsWith("\n") ? value.slice(0, -1) : value;
    try {
      return { pending: spec.store(stripped) ?? undefined, stripped };
    } catch (err) {
      throw storeError(path, stripped, err);
    }
  }

  /** `ls PATH`: the names in a directory, sorted; for a file, its own name. */
  list(path: string): string[] {
    const node = this.resolve(path, true);
    if (node.kind === "dir") return childNames(node);
    return [components(path).at(-1) ?? ""];
  }

  /** True when `path` resolves (links followed) to an existing entry. */
  exists(path: string): boolean {
    return !("miss" in this.find(path, true));
  }

  /** `stat` without following a final link; undefined when nothing is there. */
  lstat(path: string): SysfsStat | undefined {
    const found = this.find(path, false);
    return "miss" in found ? undefined : statOf(found);
  }

  /** `readlink PATH`: the link's target relative to the link's directory, as sysfs shows it. */
  readlink(path: string): string {
    const node = this.resolve(path, false);
    if (node.kind !== "link") throw errno("EINVAL", `sysfs: readlink ${path}: not a symlink`, { detail: { path } });
    const from = this.realParts(components(path).slice(0, -1), path);
    return relative(from, node.target);
  }

  /** `realpath PATH`: the canonical path with every link resolved. */
  realpath(path: string): string {
    return join(this.realParts(components(path), path));
  }

  /** Every entry below `path` (not following links), depth first, in sorted order. */
  *walk(path = "/"): Generator<SysfsEntry> {
    const start = this.resolve(path, true);
    const base = this.realParts(components(path), path);
    yield* this.walkNode(start, base);
  }

  // ---- internals -----------------------------------------------------------------------------

  private *walkNode(node: Node, parts: string[]): Generator<SysfsEntry> {
    if (node.kind !== "dir") return;
    for (const name of childNames(node)) {
      const child = childOf(node, name);
      if (child === undefined) continue;
      const childParts = [...parts, name];
      const entry: SysfsEntry =
        child.kind === "link"
          ? { path: join(childParts), ...statOf(child), target: relative(parts, child.target) }
          : { path: join(childParts), ...statOf(child) };
      yield entry;
      if (child.kind === "dir") yield* this.walkNode(child, childParts);
    }
  }

  private parentForCreate(path: string): { dir: DirNode; name: string } {
    const parts = components(path);
    const name = parts.pop();
    if (name === undefined) throw errno("EEXIST", "sysfs: / exists", { detail: { path } });
    const dir = this.mkdirParts(parts, path);
    if (dir.children.has(name)) throw errno("EEXIST", `sysfs: ${path} already exists`, { detail: { path } });
    return { dir, name };
  }

  private lookupDir(parts: readonly string[], path: string): DirNode {
    const node = this.walkTo(parts, true, path, 0).node;
    if (node.kind !== "dir") throw errno("ENOTDIR", `sysfs: ${path}: not a directory`, { detail: { path } });
    return node;
  }

  private resolve(path: string, followLast: boolean): Node {
    const found = this.find(path, followLast);
    if ("miss" in found) throw missError(path, found);
    return found;
  }

  /** Drop the resolved-directory cache (something was removed from the tree). */
  private forget(): void {
    this.resolved.clear();
    this.lastDir = undefined;
  }

  /** Look `path` up without throwing on a miss: the cached walk when it can, else component by component. */
  private find(path: string, followLast: boolean): Node | Miss {
    return this.walkCached(path, followLast, 0, path) ?? nodeOf(this.lookup(components(path), followLast, path, 0));
  }

  /**
   * {@link lookup}'s walk for a plain absolute path (no empty, `.` or `..` component; undefined
   * for any other, which then takes `lookup`): start at the longest cached ancestor directory and
   * step down from there, following links as `lookup` does. `depth` counts nested link hops.
   */
  private walkCached(p: string, followLast: boolean, depth: number, path: string): Node | Miss | undefined {
    if (p.charCodeAt(0) !== SLASH || p.length < 2) return undefined;
    // The path itself is not looked up: callers mostly name files, and only directories are cached.
    let node: Node = this.root;
    let at = 0;
    const last = this.lastDir;
    // `lastIndexOf(prefix, 0) === 0` is startsWith; V8's startsWith is several times slower on these paths.
    if (last !== undefined && p.length > last.path.length && p.charCodeAt(last.path.length) === SLASH && p.lastIndexOf(last.path, 0) === 0) {
      node = last.node;
      at = last.path.length;
    } else {
      for (let slash = p.lastIndexOf("/"); slash > 0; slash = p.lastIndexOf("/", slash - 1)) {
        const prefix = p.slice(0, slash);
        const hit = this.resolved.get(prefix);
        if (hit === undefined) continue;
        node = hit.node;
        at = slash;
        this.lastDir = { path: prefix, node: hit.node };
        break;
      }
    }
    // Only a walk that met static nodes alone may cache what it reaches: sourced ones come and go.
    let stable = true;
    while (at < p.length) {
      const next = p.indexOf("/", at + 1);
      const end = next < 0 ? p.length : next;
      const name = p.slice(at + 1, end);
      if (name === "" || name === "." || name === "..") return undefined;
      if (node.kind !== "dir") return ENOTDIR_MISS;
      let child: Node | undefined = node.children.get(name);
      if (child === undefined) {
        child = sourcedChild(node, name);
        if (child === undefined) return ENOENT_MISS;
        stable = false;
      }
      node = child;
      const followed = next >= 0 || followLast;
      if (child.kind === "link" && followed) {
        if (depth + 1 > MAX_LINK_DEPTH) throw errno("ELOOP", `sysfs: ${path}: too many levels of symbolic links`, { detail: { path } });
        const hop: Node | Miss = this.walkCached(child.targetPath, true, depth + 1, path) ?? nodeOf(this.lookup(child.target, true, path, depth + 1));
        if ("miss" in hop) return hop;
        node = hop;
        stable &&= this.resolved.get(child.targetPath)?.node === node;
      }
      if (stable && followed && node.kind === "dir") {
        if (this.resolved.size >= RESOLVED_CACHE_MAX) this.forget();
        const prefix = p.slice(0, end);
        this.resolved.set(prefix, { node });
        this.lastDir = { path: prefix, node };
      }
      at = end;
    }
    return node;
  }

  /** The canonical components of `parts` with every link (including the last) resolved. */
  private realParts(parts: readonly string[], path: string): string[] {
    return this.walkTo(parts, true, path, 0).real;
  }

  /** Walk from the root, throwing the VFS's errno on a miss. */
  private walkTo(parts: readonly string[], followLast: boolean, path: string, depth: number): { node: Node; real: string[] } {
    const found = this.lookup(parts, followLast, path, depth);
    if ("miss" in found) throw missError(path, found);
    return found;
  }

  /**
   * Walk component by component from the root, resolving links as the VFS does (`..` is
   * physical). A miss is returned, not thrown: `exists`/`lstat` are on hot paths.
   */
  private lookup(parts: readonly string[], followLast: boolean, path: string, depth: number): { node: Node; real: string[] } | { miss: "ENOENT" | "ENOTDIR" } {
    if (depth > MAX_LINK_DEPTH) throw errno("ELOOP", `sysfs: ${path}: too many levels of symbolic links`, { detail: { path } });
    let node: Node = this.root;
    let real: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      if (node.kind !== "dir") return { miss: "ENOTDIR" };
      if (name === "..") {
        real.pop();
        const up = this.lookup(real, true, path, depth + 1);
        if ("miss" in up) return up;
        node = up.node;
        continue;
      }
      const child = childOf(node, name);
      if (child === undefined) return { miss: "ENOENT" };
      const last = i === parts.length - 1;
      if (child.kind === "link" && (!last || followLast)) {
        const hop = this.lookup(child.target, true, path, depth + 1);
        if ("miss" in hop) return hop;
        node = hop.node;
        real = [...hop.real];
      } else {
        node = child;
        real.push(name);
      }
    }
    return { node, real };
  }
}

function nodeOf(found: { node: Node } | Miss): Node | Miss {
  return "miss" in found ? found : found.node;
}

/** The VFS's errno for a lookup miss, naming the path. */
function missError(path: string, found: Miss): DcdError {
  const what = found.miss === "ENOTDIR" ? "not a directory" : "no such file or directory";
  return errno(found.miss, `sysfs: ${path}: ${what}`, { detail: { path } });
}

/** A child of `dir`: static first, then what its source makes (a fresh node, never stored). */
function childOf(dir: DirNode, name: string): Node | undefined {
  return dir.children.get(name) ?? sourcedChild(dir, name);
}

/** A child of `dir` that is not static: one of a sourced directory's files, or what `dir`'s source makes. */
function sourcedChild(dir: DirNode, name: string): Node | undefined {
  if (dir.files !== undefined) {
    const spec = dir.files.get(name);
    return spec === undefined ? undefined : { kind: "file", spec, mode: spec.mode ?? defaultMode(spec) };
  }
  if (dir.source === undefined) return undefined;
  const files = dir.source.lookup(name);
  return files === undefined ? undefined : { kind: "dir", children: NO_CHILDREN, files };
}

/** Sorted names of `dir`'s static and sourced children. */
function childNames(dir: DirNode): string[] {
  if (dir.files !== undefined) return [...dir.files.keys()].sort();
  if (dir.source === undefined) return [...dir.children.keys()].sort();
  const names = new Set(dir.children.keys());
  for (const n of dir.source.names()) names.add(n);
  return [...names].sort();
}

function statOf(node: Node): SysfsStat {
  switch (node.kind) {
    case "dir":
      return { type: "dir", mode: 0o755 };
    case "file":
      return { type: "file", mode: node.mode };
    case "link":
      return { type: "link", mode: 0o777 };
  }
}

/** Collapse `..` in an absolute component list (link targets are stored canonical). */
function resolveDots(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of parts) {
    if (p === "..") out.pop();
    else out.push(p);
  }
  return out;
}

/**
 * The relative path from directory `from` to `to`, as kernfs writes sysfs links
 * (`kernfs_get_target_path`): climb from `from` to the nearest ancestor of the *target's parent*,
 * then walk down to the target. So a link to an ancestor reads `../../ACPI0017:00`, never `..`.
 */
function relative(from: readonly string[], to: readonly string[]): string {
  const targetParent = to.slice(0, -1);
  let common = 0;
  while (common < from.length && common < targetParent.length && from[common] === targetParent[common]) common++;
  const up: string[] = Array.from({ length: from.length - common }, () => "..");
  return [...up, ...to.slice(common)].join("/");
}

/** A failed store, named by path and value, keeping the store's errno. */
function storeError(path: string, value: string, err: unknown): DcdError {
  const code = err instanceof DcdError ? err.code : "EIO";
  const reason = err instanceof Error ? err.message : String(err);
  return errno(code, `sysfs: write ${path} '${value}': ${reason}`, { cause: err, detail: { path, value } });
}
