/**
 * The client/server wire format: one JSON line each way over a Unix socket.
 *
 * request  `{"argv": ["cxl", "list", "-R"], "host": "host1"}`   (`host` optional)
 * response `{"stdout": "...", "stderr": "...", "code": 0}`
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

export function isResponse(value: unknown): value is DcdResponse {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.stdout === "string" && typeof r.stderr === "string" && typeof r.code === "number";
}
