/**
 * A port of QEMU's JSON message streamer (`qobject/json-streamer.c`): it groups lexer tokens into
 * top-level JSON values by counting braces and brackets, and enforces QEMU's limits. Every
 * complete value, and every error, is reported through `emit`, in input order.
 */
import { JSON_TOKEN, JsonLexer, MAX_TOKEN_SIZE, type JsonTokenType } from "./json-lexer.js";
import { parseJsonTokens, type JsonToken } from "./json-parser.js";
import { decodeModUtf8Lossy } from "./mod-utf8.js";
import type { QObject } from "./qobject.js";

/** QEMU's limits on one message. */
export interface JsonLimits {
  /** Total bytes of the tokens of one message (`MAX_TOKEN_SIZE`, 64 MiB). */
  readonly maxTokenSize: number;
  /** Tokens in one message (`MAX_TOKEN_COUNT`, 2 Mi). */
  readonly maxTokenCount: number;
  /** Open braces plus brackets (`MAX_NESTING`, 1024). */
  readonly maxNesting: number;
}

export const QEMU_JSON_LIMITS: JsonLimits = { maxTokenSize: MAX_TOKEN_SIZE, maxTokenCount: 2 * 1024 * 1024, maxNesting: 1024 };

/** One message: a parsed value, or the text of the error QEMU would report (never both). */
export type JsonMessage = { readonly value: QObject; readonly error?: undefined } | { readonly value?: undefined; readonly error: string };

/** QEMU's `JSONMessageParser`. */
export class JsonMessageParser {
  private readonly lexer: JsonLexer;
  private tokens: JsonToken[] = [];
  private braceCount = 0;
  private bracketCount = 0;
  private tokenSize = 0;

  constructor(
    private readonly emit: (message: JsonMessage) => void,
    private readonly limits: JsonLimits = QEMU_JSON_LIMITS,
  ) {
    this.lexer = new JsonLexer((token, type, x, y) => {
      this.processToken(token, type, x, y);
    }, limits.maxTokenSize);
  }

  /** `json_message_parser_feed`. */
  feed(bytes: Uint8Array): void {
    this.lexer.feed(bytes);
  }

  /** `json_message_parser_flush`: end of input. */
  flush(): void {
    this.lexer.flush();
  }

  private processToken(text: Uint8Array, type: number, x: number, y: number): void {
    switch (type) {
      case JSON_TOKEN.LCURLY:
        this.braceCount++;
        break;
      case JSON_TOKEN.RCURLY:
        this.braceCount--;
        break;
      case JSON_TOKEN.LSQUARE:
        this.bracketCount++;
        break;
      case JSON_TOKEN.RSQUARE:
        this.bracketCount--;
        break;
      case JSON_TOKEN.ERROR:
        // The text is printed with %s: up to the first NUL, invalid UTF-8 shown as U+FFFD.
        this.emitAndReset({ error: `JSON parse error, stray '${decodeModUtf8Lossy(text)}'` });
        return;
      case JSON_TOKEN.END_OF_INPUT:
        if (this.tokens.length === 0) return;
        this.emitAndReset(parseJsonTokens(this.tokens));
        return;
      default:
        break;
    }

    if (this.tokenSize + text.length + 1 > this.limits.maxTokenSize) {
      this.emitAndReset({ error: "JSON token size limit exceeded" });
      return;
    }
    if (this.tokens.length + 1 > this.limits.maxTokenCount) {
      this.emitAndReset({ error: "JSON token count limit exceeded" });
      return;
    }
    if (this.bracketCount + this.braceCount > this.limits.maxNesting) {
      this.emitAndReset({ error: "JSON nesting depth limit exceeded" });
      return;
    }

    // An over-long token arrives typed by a lexer state (QEMU does the same); the size check above
    // always rejects it first.
    this.tokens.push({ type: type as JsonTokenType, text, x, y });
    this.tokenSize += text.length;

    // Kept as QEMU has it: the second test repeats bracket_count, so a negative brace count
    // with open brackets keeps waiting (`[}` waits for the `]`).
    if ((this.braceCount > 0 || this.bracketCount > 0) && this.bracketCount >= 0) return;

    this.emitAndReset(parseJsonTokens(this.tokens));
  }

  private emitAndReset(message: JsonMessage): void {
    this.braceCount = 0;
    this.bracketCount = 0;
    this.tokens = [];
    this.tokenSize = 0;
    this.emit(message);
  }
}
