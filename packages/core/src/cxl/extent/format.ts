/** The kernel's printk formats the DCD log texts use, so messages read as dmesg does. */

const HEX16 = 16;

/** `special_hex_number(.., 8)`: `0x` and 16 zero-padded hex digits. */
function hex64(n: number): string {
  return `0x${n.toString(16).padStart(HEX16, "0")}`;
}

/** `%pra` of `struct range { start, end }` (inclusive end): `[range 0x...-0x...]`. */
export function pra(start: number, len: number): string {
  const end = start + len - 1;
  // A zero length at DPA 0 wraps in u64 arithmetic.
  return `[range ${hex64(start)}-${end < 0 ? "0xffffffffffffffff" : hex64(end)}]`;
}

/** `%#llx`: `0x` prefix, except for zero. */
export function hexAlt(n: number): string {
  return n === 0 ? "0" : `0x${n.toString(16)}`;
}
