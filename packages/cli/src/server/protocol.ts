/**
 * The client/server wire format over a Unix socket.
 *
 * request  one JSON line: `{"argv": ["cxl", "list", "-R"], "host": "host1"}`   (`host` optional)
 * response one JSON header line `{"code": 0, "stderr": "...", "stdoutBytes": N}`, then exactly N
 *          bytes of stdout (UTF-8) as they are, and the server closes the connection.
 *
 * stdout travels raw because it can be large (`cxl list -N` of 10,000 extents is ~875 KB): as a
 * JSON string it was escaped, copied and parsed again on both sides.
 */
export interface DcdRequest {
  readonly argv: readonly string[];
  readonly host?: string;
}

export interface DcdResponse {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** Longest request line the server reads (a command line, not a payload). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Validate a parsed request line; returns an error sentence or the request. */
export function parseRequest(line: string): DcdRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `malformed request: ${(err as Error).message}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "malformed request: expected a JSON object";
  const { argv, host } = value as { argv?: unknown; host?: unknown };
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === "string")) return "malformed request: 'argv' must be an array of strings";
  if (host !== undefined && typeof host !== "string") return "malformed request: 'host' must be a string";
  return host === undefined ? { argv: argv } : { argv: argv, host };
}

/** The first line of a response; `stdoutBytes` bytes of stdout follow it. */
export interface ResponseHeader {
  readonly code: number;
  readonly stderr: string;
  readonly stdoutBytes: number;
}

/**
 * A response as it goes on the wire: the header line, then stdout. Two chunks, so that stdout is
 * encoded once (its length is the header's) and not copied again behind the header.
 */
export function encodeResponse(res: DcdResponse): readonly [header: Buffer, stdout: Buffer] {
  const stdout = Buffer.from(res.stdout, "utf8");
  const header: ResponseHeader = { code: res.code, stderr: res.stderr, stdoutBytes: stdout.length };
  return [Buffer.from(`${JSON.stringify(header)}\n`, "utf8"), stdout];
}

export function isResponseHeader(value: unknown): value is ResponseHeader {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.stderr === "string" && typeof r.code === "number" && Number.isSafeInteger(r.stdoutBytes) && (r.stdoutBytes as number) >= 0;
}
