/**
 * A port of QEMU's recursive-descent JSON parser (`qobject/json-parser.c`). It turns the tokens
 * of one message into a QObject, or into the first error QEMU would report
 * (`JSON parse error, <message>`). Only the first error counts, as in QEMU's `parse_error`.
 */
import { JSON_TOKEN, type JsonTokenType } from "./json-lexer.js";
import { isValidCodepoint, modUtf8Codepoint } from "./mod-utf8.js";
import { Q_NULL, QDict, qnumFromBigInt, type QObject } from "./qobject.js";

/** One token: its type, its bytes and where the lexer saw it. */
export interface JsonToken {
  readonly type: JsonTokenType;
  readonly text: Uint8Array;
  readonly x: number;
  readonly y: number;
}

const latin1 = new TextDecoder("latin1");

class ParserContext {
  error: string | undefined;
  private pos = 0;

  constructor(private readonly tokens: readonly JsonToken[]) {}

  peek(): JsonToken | undefined {
    return this.tokens[this.pos];
  }

  pop(): JsonToken | undefined {
    return this.tokens[this.pos++];
  }

  fail(message: string): void {
    this.error ??= `JSON parse error, ${message}`;
  }
}

/** `json_parser_parse`: parse the tokens of one message. */
export function parseJsonTokens(tokens: readonly JsonToken[]): { value: QObject; error?: undefined } | { value?: undefined; error: string } {
  const ctxt = new ParserContext(tokens);
  const value = parseValue(ctxt);
  if (ctxt.error !== undefined || value === undefined) return { error: ctxt.error ?? "JSON parse error, expecting value" };
  return { value };
}

function parseValue(ctxt: ParserContext): QObject | undefined {
  const token = ctxt.peek();
  if (token === undefined) {
    ctxt.fail("premature EOI");
    return undefined;
  }
  switch (token.type) {
    case JSON_TOKEN.LCURLY:
      return parseObject(ctxt);
    case JSON_TOKEN.LSQUARE:
      return parseArray(ctxt);
    case JSON_TOKEN.INTEGER:
    case JSON_TOKEN.FLOAT:
    case JSON_TOKEN.STRING:
      return parseLiteral(ctxt);
    case JSON_TOKEN.KEYWORD:
      return parseKeyword(ctxt);
    default:
      ctxt.fail("expecting value");
      return undefined;
  }
}

function parsePair(ctxt: ParserContext, dict: QDict): boolean {
  const peek = ctxt.peek();
  if (peek === undefined) {
    ctxt.fail("premature EOI");
    return false;
  }
  const key = parseValue(ctxt);
  if (key?.type !== "string") {
    ctxt.fail("key is not a string in object");
    return false;
  }
  const colon = ctxt.pop();
  if (colon === undefined) {
    ctxt.fail("premature EOI");
    return false;
  }
  if (colon.type !== JSON_TOKEN.COLON) {
    ctxt.fail("missing : in object pair");
    return false;
  }
  const value = parseValue(ctxt);
  if (value === undefined) {
    ctxt.fail("Missing value in dict");
    return false;
  }
  if (dict.has(key.value)) {
    ctxt.fail("duplicate key");
    return false;
  }
  dict.put(key.value, value);
  return true;
}

function parseObject(ctxt: ParserContext): QObject | undefined {
  ctxt.pop(); // '{'
  const dict = new QDict();
  const peek = ctxt.peek();
  if (peek === undefined) {
    ctxt.fail("premature EOI");
    return undefined;
  }
  if (peek.type === JSON_TOKEN.RCURLY) {
    ctxt.pop();
    return dict;
  }
  if (!parsePair(ctxt, dict)) return undefined;
  let token = ctxt.pop();
  for (;;) {
    if (token === undefined) {
      ctxt.fail("premature EOI");
      return undefined;
    }
    if (token.type === JSON_TOKEN.RCURLY) return dict;
    if (token.type !== JSON_TOKEN.COMMA) {
      ctxt.fail("expected separator in dict");
      return undefined;
    }
    if (!parsePair(ctxt, dict)) return undefined;
    token = ctxt.pop();
  }
}

function parseArray(ctxt: ParserContext): QObject | undefined {
  ctxt.pop(); // '['
  const items: QObject[] = [];
  const peek = ctxt.peek();
  if (peek === undefined) {
    ctxt.fail("premature EOI");
    return undefined;
  }
  if (peek.type === JSON_TOKEN.RSQUARE) {
    ctxt.pop();
    return { type: "list", items };
  }
  let item = parseValue(ctxt);
  if (item === undefined) {
    ctxt.fail("expecting value");
    return undefined;
  }
  items.push(item);
  let token = ctxt.pop();
  for (;;) {
    if (token === undefined) {
      ctxt.fail("premature EOI");
      return undefined;
    }
    if (token.type === JSON_TOKEN.RSQUARE) return { type: "list", items };
    if (token.type !== JSON_TOKEN.COMMA) {
      ctxt.fail("expected separator in list");
      return undefined;
    }
    item = parseValue(ctxt);
    if (item === undefined) {
      ctxt.fail("expecting value");
      return undefined;
    }
    items.push(item);
    token = ctxt.pop();
  }
}

function parseKeyword(ctxt: ParserContext): QObject | undefined {
  const token = ctxt.pop();
  const word = token ? latin1.decode(token.text) : "";
  if (word === "true") return { type: "bool", value: true };
  if (word === "false") return { type: "bool", value: false };
  if (word === "null") return Q_NULL;
  ctxt.fail(`invalid keyword '${word}'`);
  return undefined;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function parseLiteral(ctxt: ParserContext): QObject | undefined {
  const token = ctxt.pop();
  if (token === undefined) return undefined;
  if (token.type === JSON_TOKEN.STRING) return parseString(ctxt, token.text);
  const text = latin1.decode(token.text);
  if (token.type === JSON_TOKEN.INTEGER) {
    // int64 if it fits, else uint64 (non-negative only), else a double (`qemu_strtoi64` / `qemu_strtou64`).
    const n = BigInt(text);
    if (n >= INT64_MIN && n <= INT64_MAX) return qnumFromBigInt(n);
    if (!text.startsWith("-") && n <= UINT64_MAX) return qnumFromBigInt(n);
  }
  return { type: "num", kind: "double", value: Number(text) };
}

const HEX = /^[0-9a-fA-F]$/;

/** `cvt4hex`: four hex digits at `pos`, or -1. */
function cvt4hex(s: Uint8Array, pos: number): number {
  let cp = 0;
  for (let i = 0; i < 4; i++) {
    const c = String.fromCharCode(s[pos + i] ?? 0);
    if (!HEX.test(c)) return -1;
    cp = (cp << 4) | Number.parseInt(c, 16);
  }
  return cp;
}

const ESCAPES: Record<string, number> = { '"': 0x22, "'": 0x27, "\\": 0x5c, "/": 0x2f, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 };

/** `parse_string`: decode escapes and modified UTF-8 between the quotes. */
function parseString(ctxt: ParserContext, s: Uint8Array): QObject | undefined {
  const quote = s[0];
  const cps: number[] = [];
  let ptr = 1;
  while (ptr < s.length && s[ptr] !== quote) {
    if (s[ptr] === 0x5c) {
      const beg = ptr++;
      const esc = String.fromCharCode(s[ptr++] ?? 0);
      const simple = ESCAPES[esc];
      if (simple !== undefined) {
        cps.push(simple);
        continue;
      }
      if (esc !== "u") {
        ctxt.fail("invalid escape sequence in string");
        return undefined;
      }
      let cp = cvt4hex(s, ptr);
      ptr += 4;
      if (cp >= 0xd800 && cp <= 0xdbff && s[ptr] === 0x5c && s[ptr + 1] === 0x75) {
        // A leading surrogate followed by \u must be completed by a trailing one.
        const trailing = cvt4hex(s, ptr + 2);
        if (trailing >= 0xdc00 && trailing <= 0xdfff) {
          cp = 0x10000 + ((cp & 0x3ff) << 10) + (trailing & 0x3ff);
          ptr += 6;
        } else {
          cp = -1;
        }
      }
      if (!isValidCodepoint(cp)) {
        // QEMU's mod_utf8_encode() refuses exactly the invalid code points.
        // QEMU prints the escape with %.*s: it ends at the token's end (its NUL terminator).
        ctxt.fail(`${latin1.decode(s.subarray(beg, Math.min(ptr, s.length)))} is not a valid Unicode character`);
        return undefined;
      }
      cps.push(cp);
      continue;
    }
    const { cp, end } = modUtf8Codepoint(s, ptr);
    if (cp < 0) {
      ctxt.fail("invalid UTF-8 sequence in string");
      return undefined;
    }
    cps.push(cp);
    ptr = end;
  }
  return { type: "string", value: fromCodePoints(cps) };
}

/** `String.fromCodePoint` in chunks, so that long strings do not overflow the argument stack. */
function fromCodePoints(cps: readonly number[]): string {
  let out = "";
  for (let i = 0; i < cps.length; i += 8192) out += String.fromCodePoint(...cps.slice(i, i + 8192));
  return out;
}
