import { describe, expect, it } from "vitest";
import { JsonMessageParser, type JsonMessage } from "./json-streamer.js";
import { formatDouble17g, qobjectToJson, quoteString } from "./json-writer.js";
import { fromQObject, QDict, qdictBucket, tdbHash, toQObject } from "./qobject.js";

function parseAll(input: string | Uint8Array, limits?: ConstructorParameters<typeof JsonMessageParser>[1]): JsonMessage[] {
  const out: JsonMessage[] = [];
  const p = new JsonMessageParser((m) => out.push(m), limits);
  p.feed(typeof input === "string" ? Buffer.from(input, "utf8") : input);
  return out;
}

function errors(input: string | Uint8Array): string[] {
  return parseAll(input).map((m) => m.error ?? `value ${qobjectToJson(m.value)}`);
}

describe("QDict order (tdb_hash % 512, newest first in a bucket)", () => {
  it("hashes as QEMU's tdb_hash does", () => {
    // micro and minor share bucket 225: QEMU prints micro (inserted last) before minor.
    expect(qdictBucket("micro")).toBe(225);
    expect(qdictBucket("minor")).toBe(225);
    expect(qdictBucket("major")).toBe(481);
    expect(tdbHash("")).toBe(12345);
  });

  it("reproduces the member order of QEMU's greeting and events", () => {
    const v = toQObject({ QMP: { version: { qemu: { major: 10, minor: 1, micro: 50 }, package: "v10.1.0-1513-g94586867df" }, capabilities: ["oob"] } });
    expect(qobjectToJson(v)).toBe('{"QMP": {"version": {"qemu": {"micro": 50, "minor": 1, "major": 10}, "package": "v10.1.0-1513-g94586867df"}, "capabilities": ["oob"]}}');
    const ev = toQObject({ event: "STOP", timestamp: { seconds: 1761054720, microseconds: 515770 } });
    expect(qobjectToJson(ev)).toBe('{"timestamp": {"seconds": 1761054720, "microseconds": 515770}, "event": "STOP"}');
    expect(qobjectToJson(toQObject({ error: { class: "GenericError", desc: "x" } }))).toBe('{"error": {"class": "GenericError", "desc": "x"}}');
  });

  it("keeps a replaced value in place and moves a deleted-then-added key to its bucket head", () => {
    const d = QDict.of([
      ["major", toQObject(1)],
      ["minor", toQObject(2)],
      ["micro", toQObject(3)],
    ]);
    d.put("minor", toQObject(20));
    expect(d.keys()).toEqual(["micro", "minor", "major"]);
    d.delete("micro");
    d.put("micro", toQObject(30));
    expect(d.keys()).toEqual(["micro", "minor", "major"]);
    d.delete("minor");
    d.put("minor", toQObject(21));
    expect(d.keys()).toEqual(["minor", "micro", "major"]);
  });
});

describe("JSON writer", () => {
  it("escapes like quoted_str(): upper-case \\u for controls and non-ASCII, surrogate pairs", () => {
    expect(quoteString('a"\\\b\f\n\r\t\u0001\u007f\u00e9\u{1f600}/')).toBe('"a\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007F\\u00E9\\uD83D\\uDE00/"');
    expect(quoteString("\0")).toBe('"\\u0000"');
  });

  it.each([
    [0.1, "0.10000000000000001"],
    [1.5, "1.5"],
    [-2.5, "-2.5"],
    [1e20, "1e+20"],
    [1e16, "10000000000000000"],
    [1e17, "1e+17"],
    [1e-5, "1.0000000000000001e-05"],
    [0.0001, "0.0001"],
    [123456789012345680, "1.2345678901234568e+17"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [-0, "-0"],
  ])("prints %s as %s", (x, text) => {
    expect(formatDouble17g(x)).toBe(text);
  });

  it("writes int64, uint64 and doubles as QEMU's parser classified them", () => {
    const [m] = parseAll('[1, -9223372036854775808, 18446744073709551615, 18446744073709551616, 1.0, 2e3, -0]');
    expect(m?.value && qobjectToJson(m.value)).toBe("[1, -9223372036854775808, 18446744073709551615, 1.8446744073709552e+19, 1, 2000, 0]");
    expect(m?.value && fromQObject(m.value)).toEqual([1, -9223372036854775808n, 18446744073709551615n, 18446744073709552000, 1, 2000, 0]);
  });
});

describe("JSON streamer, lexer and parser (QEMU's messages)", () => {
  it("splits a byte stream into top-level values whatever the chunking", () => {
    const text = '{"execute": "a"} {"execute": "b", "arguments": {"x": [1, {"y": "}"}]}}\r\n[]"s"';
    const whole = parseAll(text).map((m) => m.value && qobjectToJson(m.value));
    const out: string[] = [];
    const p = new JsonMessageParser((m) => out.push(m.value ? qobjectToJson(m.value) : m.error));
    for (const b of Buffer.from(text)) p.feed(Uint8Array.of(b));
    expect(out).toEqual(whole);
    expect(whole).toEqual(['{"execute": "a"}', '{"execute": "b", "arguments": {"x": [1, {"y": "}"}]}}', "[]", '"s"']);
  });

  it.each([
    ['{"execute": @}', ["JSON parse error, stray '@'", "JSON parse error, expecting value"]],
    ["@@@ {}", ["JSON parse error, stray '@'", "value {}"]],
    ['{"a": 01}', ["JSON parse error, stray '01'", "JSON parse error, expecting value"]],
    ['{"a":1,}', ["JSON parse error, expecting value"]],
    ["[1 2]", ["JSON parse error, expected separator in list"]],
    ['{"a" 1}', ["JSON parse error, missing : in object pair"]],
    ['{"a": 1 "b": 2}', ["JSON parse error, expected separator in dict"]],
    ["{1: 2}", ["JSON parse error, key is not a string in object"]],
    ['{"a": 1, "a": 2}', ["JSON parse error, duplicate key"]],
    ["tru\n", ["JSON parse error, invalid keyword 'tru'"]],
    ["True", ["JSON parse error, stray 'T'"]],
    ['"\\q"', ["JSON parse error, invalid escape sequence in string"]],
    ['"\\uD800"', ["JSON parse error, \\uD800 is not a valid Unicode character"]],
    ['"\\uD83D\\u0041"', ["JSON parse error, \\uD83D is not a valid Unicode character"]],
    ['"\\uFFFE"', ["JSON parse error, \\uFFFE is not a valid Unicode character"]],
    ['"\\u12"', ['JSON parse error, \\u12" is not a valid Unicode character']],
    ["}", ["JSON parse error, expecting value"]],
    ["{]", ["JSON parse error, expecting value"]],
    // Recovery swallows everything up to the next structural or control character.
    ['"ab\ncd" [1]', ["JSON parse error, stray '\"ab\n'", "value [1]"]],
  ])("%j gives %j", (input, expected) => {
    expect(errors(input)).toEqual(expected);
  });

  it("reports invalid bytes as U+FFFD and resynchronises on 0xFF", () => {
    expect(errors(Uint8Array.of(0xff, ...Buffer.from('{"a": 1}')))).toEqual(["JSON parse error, stray '\uFFFD'", 'value {"a": 1}']);
    expect(errors(Uint8Array.of(0x22, 0xc3, 0x28, 0x22))).toEqual(["JSON parse error, invalid UTF-8 sequence in string"]);
    expect(errors(Uint8Array.of(0x22, 0xc0, 0x80, 0x22))).toEqual(['value "\\u0000"']);
    expect(errors(Uint8Array.of(0x00))).toEqual(["JSON parse error, stray ''"]);
  });

  it("keeps QEMU's brace test: an unmatched '}' inside brackets waits for the ']'", () => {
    expect(errors("[}")).toEqual([]);
    expect(errors("[}]")).toEqual(["JSON parse error, expecting value"]);
  });

  it("enforces the nesting, token count and token size limits", () => {
    expect(errors("[".repeat(1025))).toEqual(["JSON nesting depth limit exceeded"]);
    expect(errors("[".repeat(1024))).toEqual([]);
    const small = { maxTokenSize: 16, maxTokenCount: 4, maxNesting: 2 };
    expect(parseAll("[1,2,3]", small).map((m) => m.error)).toEqual(["JSON token count limit exceeded", undefined, "JSON parse error, expecting value"]);
    expect(parseAll('["0123456789abcdef"]', small).map((m) => m.error)[0]).toBe("JSON token size limit exceeded");
  });

  it("decodes escapes, single quotes and surrogate pairs", () => {
    expect(parseAll("['it\\'s', \"\\u00e9\\ud83d\\ude00\\/\"]").map((m) => m.value && fromQObject(m.value))).toEqual([["it's", "\u00e9\u{1f600}/"]]);
  });
});
