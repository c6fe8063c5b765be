/**
 * A port of QEMU's JSON lexer (`qobject/json-lexer.c`), byte for byte, because what QMP answers
 * to bad input depends on exactly where QEMU's lexer cuts tokens and how it recovers:
 * `{"execute": @}` gives `JSON parse error, stray '@'` and then, for the `}` that follows the
 * recovery, `JSON parse error, expecting value`.
 *
 * The lexer is a table-driven DFA over bytes. A transition with {@link LOOKAHEAD} does not consume
 * the byte (the token ended before it). Interpolation (`%d` ...) is never enabled for QMP input,
 * so it is left out.
 */

/** Token types (QEMU's `JSONTokenType`); `ERROR` must be 0, it is the table's default. */
export const JSON_TOKEN = {
  ERROR: 0,
  LCURLY: 100,
  RCURLY: 101,
  LSQUARE: 102,
  RSQUARE: 103,
  COLON: 104,
  COMMA: 105,
  INTEGER: 106,
  FLOAT: 107,
  KEYWORD: 108,
  STRING: 109,
  END_OF_INPUT: 110,
} as const;
export type JsonTokenType = (typeof JSON_TOKEN)[keyof typeof JSON_TOKEN];

/** Lexer states (QEMU's `json_lexer_state`), numbered below the token types. */
const S = {
  RECOVERY: 1,
  DQ_STRING_ESCAPE: 2,
  DQ_STRING: 3,
  SQ_STRING_ESCAPE: 4,
  SQ_STRING: 5,
  ZERO: 6,
  EXP_DIGITS: 7,
  EXP_SIGN: 8,
  EXP_E: 9,
  MANTISSA: 10,
  MANTISSA_DIGITS: 11,
  DIGITS: 12,
  SIGN: 13,
  KEYWORD: 14,
  START: 15,
} as const;

const LOOKAHEAD = 0x80;
const STATE_MASK = 0x7f;
// Token types do not fit in 7 bits; the table stores them as small codes and maps them back.
const TOKEN_CODE_BASE = 32;
const TOKEN_BY_CODE: readonly JsonTokenType[] = [
  JSON_TOKEN.LCURLY,
  JSON_TOKEN.RCURLY,
  JSON_TOKEN.LSQUARE,
  JSON_TOKEN.RSQUARE,
  JSON_TOKEN.COLON,
  JSON_TOKEN.COMMA,
  JSON_TOKEN.INTEGER,
  JSON_TOKEN.FLOAT,
  JSON_TOKEN.KEYWORD,
  JSON_TOKEN.STRING,
];

function code(t: JsonTokenType): number {
  return TOKEN_CODE_BASE + TOKEN_BY_CODE.indexOf(t);
}

type Row = Uint8Array;

function row(fill = 0): Row {
  return new Uint8Array(256).fill(fill);
}
function set(r: Row, from: number | string, to: number | string, value: number): void {
  const a = typeof from === "string" ? from.charCodeAt(0) : from;
  const b = typeof to === "string" ? to.charCodeAt(0) : to;
  for (let c = a; c <= b; c++) r[c] = value;
}
function one(r: Row, ch: string, value: number): void {
  r[ch.charCodeAt(0)] = value;
}
function terminal(t: JsonTokenType): Row {
  return row(code(t) | LOOKAHEAD);
}

/** The transition table, transcribed from `json_lexer[][256]`. */
const TABLE: Row[] = (() => {
  const t: Row[] = [];
  let r: Row;

  // Error recovery: skip until a structural character, an ASCII control character other than
  // '\t', or one of the impossible UTF-8 bytes 0xFE/0xFF; those resynchronise (without being eaten).
  r = row();
  set(r, 0, 0x1f, S.START | LOOKAHEAD);
  set(r, 0x20, 0xfd, S.RECOVERY);
  set(r, 0xfe, 0xff, S.START | LOOKAHEAD);
  one(r, "\t", S.RECOVERY);
  for (const c of "[]{}:,") one(r, c, S.START | LOOKAHEAD);
  t[S.RECOVERY] = r;

  for (const [esc, str, quote] of [
    [S.DQ_STRING_ESCAPE, S.DQ_STRING, '"'],
    [S.SQ_STRING_ESCAPE, S.SQ_STRING, "'"],
  ] as const) {
    r = row();
    set(r, 0x20, 0xfd, str);
    t[esc] = r;
    r = row();
    set(r, 0x20, 0xfd, str);
    one(r, "\\", esc);
    one(r, quote, code(JSON_TOKEN.STRING));
    t[str] = r;
  }

  r = terminal(JSON_TOKEN.INTEGER);
  set(r, "0", "9", 0); // "01" is an error, eaten
  one(r, ".", S.MANTISSA);
  t[S.ZERO] = r;

  r = terminal(JSON_TOKEN.FLOAT);
  set(r, "0", "9", S.EXP_DIGITS);
  t[S.EXP_DIGITS] = r;

  r = row();
  set(r, "0", "9", S.EXP_DIGITS);
  t[S.EXP_SIGN] = r;

  r = row();
  one(r, "-", S.EXP_SIGN);
  one(r, "+", S.EXP_SIGN);
  set(r, "0", "9", S.EXP_DIGITS);
  t[S.EXP_E] = r;

  r = terminal(JSON_TOKEN.FLOAT);
  set(r, "0", "9", S.MANTISSA_DIGITS);
  one(r, "e", S.EXP_E);
  one(r, "E", S.EXP_E);
  t[S.MANTISSA_DIGITS] = r;

  r = row();
  set(r, "0", "9", S.MANTISSA_DIGITS);
  t[S.MANTISSA] = r;

  r = terminal(JSON_TOKEN.INTEGER);
  set(r, "0", "9", S.DIGITS);
  one(r, "e", S.EXP_E);
  one(r, "E", S.EXP_E);
  one(r, ".", S.MANTISSA);
  t[S.DIGITS] = r;

  r = row();
  one(r, "0", S.ZERO);
  set(r, "1", "9", S.DIGITS);
  t[S.SIGN] = r;

  r = terminal(JSON_TOKEN.KEYWORD);
  set(r, "a", "z", S.KEYWORD);
  t[S.KEYWORD] = r;

  r = row();
  one(r, '"', S.DQ_STRING);
  one(r, "'", S.SQ_STRING);
  one(r, "0", S.ZERO);
  set(r, "1", "9", S.DIGITS);
  one(r, "-", S.SIGN);
  one(r, "{", code(JSON_TOKEN.LCURLY));
  one(r, "}", code(JSON_TOKEN.RCURLY));
  one(r, "[", code(JSON_TOKEN.LSQUARE));
  one(r, "]", code(JSON_TOKEN.RSQUARE));
  one(r, ",", code(JSON_TOKEN.COMMA));
  one(r, ":", code(JSON_TOKEN.COLON));
  set(r, "a", "z", S.KEYWORD);
  for (const c of " \t\r\n") one(r, c, S.START);
  t[S.START] = r;
  return t;
})();

/**
 * Receives every token: its bytes, its type and the lexer's position. `state` is passed instead
 * of a type when an over-long token is cut (QEMU's security limit), mirroring the C code.
 */
export type TokenSink = (token: Uint8Array, type: number, x: number, y: number) => void;

/** QEMU's `MAX_TOKEN_SIZE` (64 MiB). */
export const MAX_TOKEN_SIZE = 64 * 1024 * 1024;

/** A growable byte buffer for the token being scanned. */
class TokenBuffer {
  private buf = new Uint8Array(64);
  length = 0;
  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }
  take(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
  clear(): void {
    this.length = 0;
    if (this.buf.length > 4096) this.buf = new Uint8Array(64);
  }
}

/** QEMU's `JSONLexer`. */
export class JsonLexer {
  private state: number = S.START;
  private readonly token = new TokenBuffer();
  private x = 0;
  private y = 0;

  constructor(
    private readonly sink: TokenSink,
    private readonly maxTokenSize = MAX_TOKEN_SIZE,
  ) {}

  /** `json_lexer_feed`. */
  feed(bytes: Uint8Array): void {
    for (const b of bytes) this.feedChar(b, false);
  }

  /** `json_lexer_flush`: end of input (QMP never calls it; kept for parsing whole documents). */
  flush(): void {
    this.feedChar(0, true);
    this.sink(this.token.take(), JSON_TOKEN.END_OF_INPUT, this.x, this.y);
  }

  private feedChar(ch: number, flush: boolean): void {
    this.x++;
    if (ch === 0x0a) {
      this.x = 0;
      this.y++;
    }
    let consumed = false;
    while (flush ? this.state !== S.START : !consumed) {
      const next = TABLE[this.state]?.[ch] ?? 0;
      consumed = !flush && (next & LOOKAHEAD) === 0;
      let newState = next & STATE_MASK;
      if (consumed) this.token.push(ch);
      if (newState >= TOKEN_CODE_BASE) {
        const type = TOKEN_BY_CODE[newState - TOKEN_CODE_BASE] ?? JSON_TOKEN.ERROR;
        this.sink(this.token.take(), type, this.x, this.y);
        this.token.clear();
        newState = S.START;
      } else if (newState === S.START) {
        this.token.clear();
      } else if (newState === JSON_TOKEN.ERROR) {
        this.sink(this.token.take(), JSON_TOKEN.ERROR, this.x, this.y);
        this.token.clear();
        newState = S.RECOVERY;
      } else if (newState === S.RECOVERY) {
        this.token.clear();
      }
      this.state = newState;
    }
    // A single token may not grow without bound (QEMU's security limit).
    if (this.token.length > this.maxTokenSize) {
      this.sink(this.token.take(), this.state, this.x, this.y);
      this.token.clear();
      this.state = S.START;
    }
  }
}
