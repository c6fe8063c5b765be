/**
 * The QAPI schema of QEMU's DCD commands (`qapi/cxl.json`, since 9.1, feature `unstable`),
 * member for member and in QEMU's order (the order decides which error a bad request gets).
 */
import { qapi } from "../schema/qapi-types.js";

export const CXL_DYNAMIC_CAPACITY_EXTENT = qapi.struct("CxlDynamicCapacityExtent", { offset: qapi.uint64, len: qapi.uint64 });

export const CXL_EXTENT_SELECTION_POLICY = qapi.enum("CxlExtentSelectionPolicy", ["free", "contiguous", "prescriptive", "enable-shared-access"]);

export const CXL_EXTENT_REMOVAL_POLICY = qapi.enum("CxlExtentRemovalPolicy", ["tag-based", "prescriptive"]);

export const CXL_ADD_DYNAMIC_CAPACITY_ARGS = qapi.struct("q_obj_cxl-add-dynamic-capacity-arg", {
  path: qapi.str,
  "host-id": qapi.uint16,
  "selection-policy": CXL_EXTENT_SELECTION_POLICY,
  region: qapi.uint8,
  "*tag": qapi.str,
  extents: qapi.list(CXL_DYNAMIC_CAPACITY_EXTENT),
});

export const CXL_RELEASE_DYNAMIC_CAPACITY_ARGS = qapi.struct("q_obj_cxl-release-dynamic-capacity-arg", {
  path: qapi.str,
  "host-id": qapi.uint16,
  "removal-policy": CXL_EXTENT_REMOVAL_POLICY,
  "*forced-removal": qapi.bool,
  "*sanitize-on-release": qapi.bool,
  region: qapi.uint8,
  "*tag": qapi.str,
  extents: qapi.list(CXL_DYNAMIC_CAPACITY_EXTENT),
});
