/**
 * `cxl-add-dynamic-capacity` and `cxl-release-dynamic-capacity` over the devices of a
 * {@link QomDeviceRegistry}.
 *
 * A "qemu"-profile device behaves as QEMU's `hw/mem/cxl_type3.c`: the dispatcher rejects every
 * selection policy but prescriptive (`Selection policy not supported`), forced removal first
 * (`Forced removal not supported yet`), then every removal policy but prescriptive (`Removal
 * policy not supported`); `host-id`, `tag` and `sanitize-on-release` are accepted and ignored
 * (host 0, untagged extents); an empty extent list succeeds and does nothing.
 *
 * A "spec"-profile device accepts every policy its device supports: `host-id` picks the logical
 * device, `tag` (a UUID) tags every extent of a prescriptive add and names the capacity of
 * tag-based release and enable-shared-access, forced removal and sanitize-on-release are passed
 * on. For free/contiguous adds the extents only give lengths (the device picks the DPAs; the
 * request asks for their sum). QEMU's validation table runs for prescriptive requests in both
 * profiles; anything the device then refuses is reported with the device's reason.
 */
import { isUuid } from "@dcd/core";
import type { DpaRange, RemovalPolicy, SelectionPolicy } from "../../device/types.js";
import { MBOX_RC, type DcdResult } from "@dcd/core";
import { defineQmpCommand, type QmpCommand } from "../qmp-command.js";
import { genericError } from "../qmp-error.js";
import type { QomDcdEntry, QomDeviceRegistry, QmpDcdProfile } from "../qom-device-registry.js";
import { CXL_ADD_DYNAMIC_CAPACITY_ARGS, CXL_RELEASE_DYNAMIC_CAPACITY_ARGS } from "./cxl-dcd-schema.js";
import { checkDcExtents, QEMU_DC_ERRORS, resolveDcRegion, type QmpExtent } from "./qemu-dc-validation.js";

function profileFor(registry: QomDeviceRegistry, entry: QomDcdEntry | undefined): QmpDcdProfile {
  return entry?.profile ?? registry.unresolvedProfile;
}

function supportsSelection(profile: QmpDcdProfile, entry: QomDcdEntry | undefined, policy: SelectionPolicy): boolean {
  if (profile === "qemu") return policy === "prescriptive";
  return entry === undefined || entry.device.selectionPolicies.has(policy);
}

function supportsRemoval(profile: QmpDcdProfile, entry: QomDcdEntry | undefined, policy: RemovalPolicy): boolean {
  if (profile === "qemu") return policy === "prescriptive";
  return entry === undefined || entry.device.removalPolicies.has(policy);
}

/** Spec profile: the logical device `host-id` names must exist. */
function specHost(entry: QomDcdEntry, hostId: number): number {
  if (hostId >= entry.device.numHosts) throw genericError(`host-id ${hostId} does not exist on ${entry.path} (${entry.device.numHosts} hosts)`);
  return hostId;
}

/** Spec profile: a tag must be a UUID; lower-cased as the device stores it. */
function specTag(tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  if (!isUuid(tag)) throw genericError(`tag '${tag}' is not a UUID`);
  return tag.toLowerCase();
}

/** A refused device operation as a QMP error naming the device's reason. */
function deviceResult(entry: QomDcdEntry, r: DcdResult<unknown>): Record<string, never> {
  if (r.rc !== MBOX_RC.SUCCESS) throw genericError(`${entry.path}: ${r.reason}`);
  return {};
}

/** Both commands for the devices of `registry`. */
export function cxlDcdCommands(registry: QomDeviceRegistry): QmpCommand[] {
  const add = defineQmpCommand({
    name: "cxl-add-dynamic-capacity",
    args: CXL_ADD_DYNAMIC_CAPACITY_ARGS,
    run(args) {
      const found = registry.resolve(args.path);
      const profile = profileFor(registry, found);
      const policy = args["selection-policy"];
      // qmp_cxl_add_dynamic_capacity: the policy switch comes before the path is resolved.
      if (!supportsSelection(profile, found, policy)) throw genericError(QEMU_DC_ERRORS.selectionPolicy);
      const entry = resolveDcRegion(found, args.region);
      const extents: QmpExtent[] = args.extents;
      if (profile === "qemu") {
        const ranges = checkDcExtents(entry, { kind: "add", hostId: 0, region: args.region, extents, checkState: true, checkOffsets: true });
        if (ranges.length === 0) return {};
        return deviceResult(entry, entry.device.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents: ranges }));
      }
      const hostId = specHost(entry, args["host-id"]);
      const tag = specTag(args.tag);
      switch (policy) {
        case "prescriptive": {
          const ranges = checkDcExtents(entry, { kind: "add", hostId, region: args.region, extents, checkState: true, checkOffsets: true });
          const withTag = ranges.map((r) => (tag === undefined ? r : { ...r, tag }));
          return deviceResult(entry, entry.device.initiateAdd({ hostId, selectionPolicy: policy, extents: withTag }));
        }
        case "free":
        case "contiguous": {
          checkDcExtents(entry, { kind: "add", hostId, region: args.region, extents, checkState: false, checkOffsets: false });
          const length = extents.reduce((s, e) => s + e.len, 0n);
          const len = length > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(length);
          return deviceResult(entry, entry.device.initiateAdd({ hostId, selectionPolicy: policy, region: args.region, length: len, ...(tag === undefined ? {} : { tag }) }));
        }
        case "enable-shared-access":
          return deviceResult(entry, entry.device.initiateAdd({ hostId, selectionPolicy: policy, region: args.region, ...(tag === undefined ? {} : { tag }) }));
      }
    },
  });

  const release = defineQmpCommand({
    name: "cxl-release-dynamic-capacity",
    args: CXL_RELEASE_DYNAMIC_CAPACITY_ARGS,
    run(args) {
      const found = registry.resolve(args.path);
      const profile = profileFor(registry, found);
      const forced = args["forced-removal"] === true;
      const policy = args["removal-policy"];
      // qmp_cxl_release_dynamic_capacity: forced removal first, then the policy, then the path.
      if (forced && profile === "qemu") throw genericError(QEMU_DC_ERRORS.forcedRemoval);
      if (!supportsRemoval(profile, found, policy)) throw genericError(QEMU_DC_ERRORS.removalPolicy);
      const entry = resolveDcRegion(found, args.region);
      const extents: QmpExtent[] = args.extents;
      if (profile === "qemu") {
        const ranges = checkDcExtents(entry, { kind: "release", hostId: 0, region: args.region, extents, checkState: true, checkOffsets: true });
        if (ranges.length === 0) return {};
        return deviceResult(entry, entry.device.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: ranges }));
      }
      const hostId = specHost(entry, args["host-id"]);
      const tag = specTag(args.tag);
      const flags = { forcedRemoval: forced, sanitizeOnRelease: args["sanitize-on-release"] === true };
      if (policy === "tag-based") {
        return deviceResult(entry, entry.device.initiateRelease({ hostId, removalPolicy: policy, ...flags, ...(tag === undefined ? {} : { tag }) }));
      }
      // Forced removal may revoke capacity that is still pending (R77): the device decides.
      const ranges: DpaRange[] = checkDcExtents(entry, { kind: "release", hostId, region: args.region, extents, checkState: !forced, checkOffsets: true });
      return deviceResult(entry, entry.device.initiateRelease({ hostId, removalPolicy: policy, ...flags, extents: ranges }));
    },
  });

  return [add, release];
}
