/**
 * Little-endian field access for payload codecs. u64 fields are JS numbers: every DPA and length
 * a dcd device produces is a safe integer (configurations beyond 2^53 - 1 are refused). A decoded
 * u64 above that becomes an inexact number that is still larger than any DPA, so range checks
 * fail exactly as they would with the true value.
 */
import { errno } from "@dcd/core";

const TWO_32 = 0x1_0000_0000;

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function readU64(v: DataView, offset: number): number {
  return v.getUint32(offset, true) + v.getUint32(offset + 4, true) * TWO_32;
}

/** Write a non-negative safe integer as u64; RangeError otherwise (a dcd bug, not bad input). */
export function writeU64(v: DataView, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 field at 0x${offset.toString(16)}: ${value} is not a non-negative safe integer`);
  // `>>> 0` is value mod 2^32, exact for safe integers; `%` on doubles is a slow libm call.
  v.setUint32(offset, value >>> 0, true);
  v.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

/** EINVAL naming the structure when `bytes` is shorter than `need`. */
export function requireLength(bytes: Uint8Array, need: number, what: string): void {
  if (bytes.length < need) throw errno("EINVAL", `${what}: need ${need} bytes, have ${bytes.length}`, { detail: { need, have: bytes.length } });
}
