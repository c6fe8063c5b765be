/**
 * Mailbox return code → errno, as Linux's `cxl_mbox_cmd_rc2errno()` over `cxl_mbox_cmd_rctable`
 * (drivers/cxl/core/mbox.c, codes in drivers/cxl/cxlmem.h). Kept apart from everything else so a
 * model of another kernel can swap it (host-rules §1.6).
 *
 * Only Invalid Physical Address (0Fh) maps to EFAULT and Poison Limit (10h) to EBUSY; Success and
 * Background Command Started are not failures; every other code, including ones the table does not
 * know, is ENXIO.
 */
import type { ErrnoCode } from "../../errors.js";

const RC_PADDR = 0x0f;
const RC_POISONLMT = 0x10;
const RC_BACKGROUND = 0x01;

/** The errno a failed command returns, or `undefined` when `rc` is not a failure. */
export function mboxRcToErrno(rc: number): ErrnoCode | undefined {
  if (rc === 0 || rc === RC_BACKGROUND) return undefined;
  if (rc === RC_PADDR) return "EFAULT";
  if (rc === RC_POISONLMT) return "EBUSY";
  return "ENXIO";
}

/** Linux's numeric values for the errno names the CXL paths print ("dcd event failed: -6"). */
const ERRNO_NUMBER: Partial<Record<ErrnoCode, number>> = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOSYS: 38,
  ENODATA: 61,
  EPROTO: 71,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
  EALREADY: 114,
  ECANCELED: 125,
  EPROBE_DEFER: 517,
};

/** The positive Linux errno number of `code` (EINVAL → 22); 0 for a name Linux CXL never returns. */
export function errnoNumber(code: ErrnoCode): number {
  return ERRNO_NUMBER[code] ?? 0;
}
