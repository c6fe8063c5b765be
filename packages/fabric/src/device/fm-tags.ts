/**
 * Tag references and listing: DC Add Reference (5606h), DC Remove Reference (5607h) and DC List
 * Tags (5608h). An FM reference keeps a tag's capacity allocated while no host holds it (R79).
 */
import { isUuid, NULL_UUID } from "@dcd/core";
import { MBOX_RC, ok, OK_VOID, type DcdResult } from "@dcd/core";
import type { DeviceCore } from "./device-core.js";

export interface TagInfo {
  readonly tag: string;
  /** FM references held (5606h minus 5607h). */
  readonly fmRefs: number;
  /** Hosts with accepted capacity of this tag. */
  readonly hosts: readonly number[];
  /** Hosts with an add of this tag still pending. */
  readonly pendingHosts: readonly number[];
}

export interface TagListPage {
  readonly generation: number;
  readonly total: number;
  readonly tags: readonly TagInfo[];
}

function known(core: DeviceCore, cmd: string, tag: string): DcdResult<string> {
  const t = tag.toLowerCase();
  if (t === NULL_UUID || !isUuid(t)) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `'${tag}' is not a non-null tag`);
  if (core.tags.get(t) === undefined) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `tag ${t} is not in use`);
  return ok(t);
}

export function addReference(core: DeviceCore, tag: string): DcdResult<undefined> {
  const r = known(core, "dc-add-reference(5606h)", tag);
  if (r.rc !== MBOX_RC.SUCCESS) return r;
  const record = core.tags.get(r.value);
  if (record === undefined) return OK_VOID;
  record.fmRefs++;
  core.emit({ type: "tag-referenced", device: core.name, tag: record.tag, fmRefs: record.fmRefs });
  return OK_VOID;
}

export function removeReference(core: DeviceCore, tag: string): DcdResult<undefined> {
  const cmd = "dc-remove-reference(5607h)";
  const r = known(core, cmd, tag);
  if (r.rc !== MBOX_RC.SUCCESS) return r;
  const record = core.tags.get(r.value);
  if (record === undefined) return OK_VOID;
  if (record.fmRefs === 0) return core.reject("fm", cmd, MBOX_RC.INVALID_INPUT, `tag ${record.tag} has no FM reference`);
  record.fmRefs--;
  core.tags.markMaybeFree(record.tag);
  core.emit({ type: "tag-unreferenced", device: core.name, tag: record.tag, fmRefs: record.fmRefs });
  core.sweepTags();
  return OK_VOID;
}

export function listTags(core: DeviceCore, req: { readonly startIndex: number; readonly count: number }): DcdResult<TagListPage> {
  const all = core.tags.all();
  if (req.startIndex > all.length) return core.reject("fm", "dc-list-tags(5608h)", MBOX_RC.INVALID_INPUT, `starting index ${req.startIndex} > ${all.length} tags`);
  const tags = all.slice(req.startIndex, req.startIndex + Math.max(0, req.count)).map((r) => {
    const hosts: number[] = [];
    const pendingHosts: number[] = [];
    for (const h of core.hosts) {
      if (h.acceptedByTag.has(r.tag)) hosts.push(h.hostId);
      if (h.pendingByTag.has(r.tag)) pendingHosts.push(h.hostId);
    }
    return { tag: r.tag, fmRefs: r.fmRefs, hosts, pendingHosts };
  });
  return ok({ generation: core.tags.generation, total: all.length, tags });
}
