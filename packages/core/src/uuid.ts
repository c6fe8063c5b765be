/**
 * UUIDs as CXL carries them: 16 bytes on the wire (tags, event record UUIDs), the canonical
 * lowercase 8-4-4-4-12 text in sysfs and JSON. The null UUID means "untagged".
 */
import { errno } from "./errors.js";

/** The all-zero UUID: an untagged extent. */
export const NULL_UUID = "00000000-0000-0000-0000-000000000000";

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when `text` is a UUID in canonical 8-4-4-4-12 form (any case). */
export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

/** Canonical lowercase form of a UUID; EINVAL naming the text when it is not one. */
export function parseUuid(text: string, what = "uuid"): string {
  if (!isUuid(text)) throw errno("EINVAL", `${what}: '${text}' is not a UUID`, { detail: { value: text } });
  return text.toLowerCase();
}

/** True for the null UUID (an untagged extent). */
export function isNullUuid(uuid: string): boolean {
  return uuid === NULL_UUID;
}

/** The 16 wire bytes of a UUID, in the order its text is written (as the kernel's `uuid_t`). */
export function uuidToBytes(uuid: string): Uint8Array {
  const hex = parseUuid(uuid).replaceAll("-", "");
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The text form of 16 wire bytes read at `offset`. */
export function uuidFromBytes(bytes: Uint8Array, offset = 0): string {
  if (bytes.length < offset + 16) throw errno("EINVAL", `uuid: need 16 bytes at offset ${offset}, have ${bytes.length - offset}`);
  // Untagged extents are the common case on the wire: no string to build.
  let zero = true;
  for (let i = 0; i < 16; i++) {
    if (bytes[offset + i] !== 0) {
      zero = false;
      break;
    }
  }
  if (zero) return NULL_UUID;
  let s = "";
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += "-";
    s += HEX[bytes[offset + i] ?? 0] ?? "00";
  }
  return s;
}
