import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { NULL_UUID, isNullUuid, parseUuid, uuidFromBytes, uuidToBytes } from "./index.js";

describe("uuid", () => {
  it("round-trips text and the 16 wire bytes in written order", () => {
    const tag = "deadbeef-cafe-baad-f00d-fedcba987654";
    const bytes = uuidToBytes(tag);
    expect(Array.from(bytes.slice(0, 4))).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(uuidFromBytes(bytes)).toBe(tag);
  });

  it("refuses text that is not a UUID with EINVAL naming it", () => {
    expect(() => parseUuid("not-a-uuid", "tag")).toThrow(expect.objectContaining({ code: "EINVAL", message: "tag: 'not-a-uuid' is not a UUID" }));
  });

  it("knows the null UUID", () => {
    expect(isNullUuid(uuidFromBytes(new Uint8Array(16)))).toBe(true);
    expect(isNullUuid(parseUuid(NULL_UUID))).toBe(true);
  });

  test.prop([fc.uuid()])("any UUID survives bytes and back (lowercased)", (u) => {
    expect(uuidFromBytes(uuidToBytes(u))).toBe(u.toLowerCase());
  });
});
