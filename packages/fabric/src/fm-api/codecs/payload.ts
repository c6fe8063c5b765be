/**
 * Shared helpers of the FM API codecs: payload length checks that answer with the spec's return
 * code instead of throwing (bad input from an FM is data, not a bug), and bitmap helpers.
 */
import { fail, MBOX_RC, ok, type DcdResult } from "@dcd/core";

/** INVALID_PAYLOAD_LENGTH unless `payload` is exactly `size` bytes (commands with a fixed input). */
export function requireFixedLength(payload: Uint8Array, size: number, what: string): DcdResult<undefined> {
  if (payload.length !== size) return fail(MBOX_RC.INVALID_PAYLOAD_LENGTH, `${what}: input payload is ${payload.length} bytes, expected ${size}`);
  return ok(undefined);
}

/** A bitmap of `bytes` bytes with bit n set for every n in `bits` (ids out of range are dropped). */
export function encodeBitmap(bits: readonly number[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const b of bits) if (Number.isInteger(b) && b >= 0 && b < bytes * 8) out[b >> 3] = (out[b >> 3] ?? 0) | (1 << (b & 7));
  return out;
}

/** The set bits of `bytes[offset, offset + length)`, ascending. */
export function decodeBitmap(bytes: Uint8Array, offset: number, length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length * 8; i++) if (((bytes[offset + (i >> 3)] ?? 0) >> (i & 7)) & 1) out.push(i);
  return out;
}
