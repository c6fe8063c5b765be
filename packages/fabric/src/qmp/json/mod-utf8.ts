/**
 * Modified UTF-8 as QEMU reads it (`util/unicode.c`): UTF-8 where U+0000 may also be written
 * `C0 80`, and where noncharacters, surrogates, overlong forms and code points past U+10FFFF are
 * invalid. QEMU's JSON parser rejects such strings and its writer turns them into U+FFFD.
 */

/** Result of decoding one sequence: the code point (-1 when invalid) and where the next one starts. */
export interface CodepointAt {
  readonly cp: number;
  readonly end: number;
}

const MIN_CP = [0x80, 0x800, 0x10000, 0x200000, 0x4000000] as const;

/** `mod_utf8_codepoint(s, n, &end)` on `bytes` from `pos`, reading at most `n` bytes. */
export function modUtf8Codepoint(bytes: Uint8Array, pos: number, n = 6): CodepointAt {
  const first = bytes[pos];
  if (n === 0 || first === undefined || first === 0) return { cp: -1, end: pos };
  let p = pos + 1;
  if (first < 0x80) return { cp: first, end: p };
  if (first >= 0xfe || (first & 0x40) === 0) return { cp: -1, end: p };
  let len = 0;
  let mask = 0x80;
  for (; first & mask; mask >>= 1) len++;
  let cp = first & (mask - 1);
  for (let i = 1; i < len; i++) {
    const byte = i < n ? (bytes[p] ?? 0) : 0;
    if ((byte & 0xc0) !== 0x80) return { cp: -1, end: p };
    p++;
    cp = (cp << 6) | (byte & 0x3f);
  }
  if (!isValidCodepoint(cp) || (cp < (MIN_CP[len - 2] ?? 0) && !(cp === 0 && len === 2))) cp = -1;
  return { cp, end: p };
}

/** A Unicode scalar value that is not a noncharacter (QEMU's `is_valid_codepoint`). */
export function isValidCodepoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

/**
 * Bytes as QEMU's JSON writer would see them through `%s`: stop at the first NUL (C strings),
 * decode modified UTF-8 and replace every invalid sequence with U+FFFD.
 */
export function decodeModUtf8Lossy(bytes: Uint8Array): string {
  let out = "";
  let pos = 0;
  while (pos < bytes.length && bytes[pos] !== 0) {
    const { cp, end } = modUtf8Codepoint(bytes, pos);
    out += String.fromCodePoint(cp < 0 ? 0xfffd : cp);
    pos = end > pos ? end : pos + 1;
  }
  return out;
}
