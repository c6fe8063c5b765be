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

/**
 * Little-endian stores straight into the bytes, for small hot payloads (one Release DC per
 * extent): creating a DataView costs more than writing a 24-byte entry.
 */
export function putU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

/** {@link writeU64} without a DataView. */
export function putU64(bytes: Uint8Array, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`u64 field at 0x${offset.toString(16)}: ${value} is not a non-negative safe integer`);
  // `>>> 0` is value mod 2^32, exact for safe integers; `%` on doubles is a slow libm call.
  putU32(bytes, offset, value >>> 0);
  putU32(bytes, offset + 4, Math.floor(value / TWO_32));
}

export function getU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16)) + (bytes[offset + 3] ?? 0) * 0x100_0000;
}

/** {@link readU64} straight from the bytes: no DataView for a small payload (one per Release DC). */
export function getU64(bytes: Uint8Array, offset: number): number {
  const hi = getU32(bytes, offset + 4);
  // Below 2^32 the low word itself: `lo + 0 * 2^32` is a double even when small, and a double
  // handed to a function that is not inlined is a heap number (one per Release DC length).
  return hi === 0 ? getU32(bytes, offset) : getU32(bytes, offset) + hi * TWO_32;
}
