/**
 * CXL mailbox return codes (CXL r3.1 Table 8-34; QEMU `CXLRetCode`). The device model returns
 * these from every typed operation, so the binary mailbox and the FM API only copy the number.
 */

export const MBOX_RC = {
  SUCCESS: 0x00,
  BG_STARTED: 0x01,
  INVALID_INPUT: 0x02,
  UNSUPPORTED: 0x03,
  INTERNAL_ERROR: 0x04,
  RETRY_REQUIRED: 0x05,
  BUSY: 0x06,
  MEDIA_DISABLED: 0x07,
  INVALID_HANDLE: 0x0e,
  INVALID_PA: 0x0f,
  INVALID_PAYLOAD_LENGTH: 0x16,
  RESOURCES_EXHAUSTED: 0x1d,
  INVALID_EXTENT_LIST: 0x1e,
  TRANSFER_OUT_OF_ORDER: 0x1f,
  REQUEST_ABORT_NOTSUP: 0x20,
} as const;

export type MboxRcName = keyof typeof MBOX_RC;
export type MboxRc = (typeof MBOX_RC)[MboxRcName];
/** Every return code except SUCCESS. */
export type MboxFailureRc = Exclude<MboxRc, typeof MBOX_RC.SUCCESS>;

const NAMES = new Map<number, MboxRcName>(Object.entries(MBOX_RC).map(([k, v]) => [v, k as MboxRcName]));

/** `INVALID_PA` for 0x0f; unknown codes print as hex. */
export function mboxRcName(rc: number): MboxRcName | `0x${string}` {
  return NAMES.get(rc) ?? `0x${rc.toString(16).padStart(2, "0")}`;
}

/** A successful typed operation. */
export interface DcdOk<T> {
  readonly rc: typeof MBOX_RC.SUCCESS;
  readonly value: T;
}

/** A refused typed operation: the spec return code and a sentence naming what was wrong. */
export interface DcdFail {
  readonly rc: MboxFailureRc;
  readonly reason: string;
}

/** What every typed device, mailbox and FM operation returns. Bad input never throws. */
export type DcdResult<T> = DcdOk<T> | DcdFail;

export function isOk<T>(r: DcdResult<T>): r is DcdOk<T> {
  return r.rc === MBOX_RC.SUCCESS;
}

export function ok<T>(value: T): DcdOk<T> {
  return { rc: MBOX_RC.SUCCESS, value };
}

export const OK_VOID: DcdOk<undefined> = Object.freeze({ rc: MBOX_RC.SUCCESS, value: undefined });

export function fail(rc: MboxFailureRc, reason: string): DcdFail {
  return { rc, reason };
}
