/**
 * The `dcd run` script language. One item per line:
 *
 * ```
 * # a comment (also after a command: ` # ...` outside quotes)
 * [dcd] ARGS...                         a dcd command; words split like a shell ('...', "...", \)
 * expect exit N                         the previous command exited with N
 * expect json PATH OP VALUE             its stdout, parsed as JSON: PATH is `.`, `.a.b`, `.[0].region`,
 *                                       `.["key with space"]`; OP is == != < <= > >=; VALUE is a JSON
 *                                       literal ("region0", 42, true, null, [..], {..})
 * expect json PATH exists | missing     the path is (not) present
 * expect json PATH length OP N          array/string/object length
 * expect stdout ~ "TEXT"                stdout contains TEXT (`!~` does not); `~ /RE/flags` a regex
 * expect stderr ~ "TEXT"                same for stderr
 * expect stdout == "TEXT"               stdout equals TEXT exactly (after trimming one final newline)
 * ```
 *
 * A command followed by no `expect exit` must exit 0.
 */

export type Expectation =
  | { readonly kind: "exit"; readonly code: number }
  | { readonly kind: "json"; readonly path: readonly (string | number)[]; readonly pathText: string; readonly op: string; readonly value?: unknown }
  | { readonly kind: "text"; readonly stream: "stdout" | "stderr"; readonly op: "~" | "!~" | "==" | "!="; readonly text?: string; readonly regex?: RegExp };

export interface ScriptCommand {
  readonly line: number;
  readonly argv: readonly string[];
  readonly expects: { readonly line: number; readonly text: string; readonly expect: Expectation }[];
}

export class ScriptError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Shell-like word splitting; a `#` starting a word begins a comment. */
export function splitWords(text: string, line = 0): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) word += text[++i] ?? "";
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      word += text[++i] ?? "";
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (ch === "#" && !inWord) {
      break;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new ScriptError(line, `unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

/** `.a.b[0]["x y"]` → ["a", "b", 0, "x y"]. */
export function parseJsonPath(text: string, line = 0): (string | number)[] {
  if (!text.startsWith(".")) throw new ScriptError(line, `JSON path must start with '.', got '${text}'`);
  const out: (string | number)[] = [];
  let pos = text.startsWith(".[") ? 1 : text === "." ? 1 : 0;
  const token = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/y;
  while (pos < text.length) {
    token.lastIndex = pos;
    const m = token.exec(text);
    if (!m) throw new ScriptError(line, `bad JSON path '${text}' at '${text.slice(pos)}'`);
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(`"${m[3] ?? ""}"`) as string);
    pos = token.lastIndex;
  }
  return out;
}

const JSON_OPS = ["==", "!=", "<", "<=", ">", ">="];

function parseLiteral(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ScriptError(line, `expected a JSON value, got '${text}'`);
  }
}

/** Parse the part after `expect `. */
export function parseExpect(rest: string, line: number): Expectation {
  const m = /^(\S+)\s*(.*)$/.exec(rest.trim());
  if (!m) throw new ScriptError(line, "empty expect");
  const [, what, tail = ""] = m;
  if (what === "exit") {
    if (!/^\d+$/.test(tail.trim())) throw new ScriptError(line, `expect exit: expected a number, got '${tail.trim()}'`);
    return { kind: "exit", code: Number(tail.trim()) };
  }
  if (what === "json") {
    const jm = /^(\S+)\s+(exists|missing)\s*$/.exec(tail) ?? /^(\S+)\s+(length\s+(?:==|!=|<=|>=|<|>))\s+(.+)$/.exec(tail) ?? /^(\S+)\s+(==|!=|<=|>=|<|>)\s+(.+)$/.exec(tail);
    if (!jm) throw new ScriptError(line, `expect json: expected 'PATH OP VALUE' (OP: ${JSON_OPS.join(" ")}, exists, missing, length OP), got '${tail}'`);
    const pathText = jm[1] as string;
    const op = (jm[2] as string).replace(/\s+/, " ");
    return { kind: "json", path: parseJsonPath(pathText, line), pathText, op, ...(jm[3] === undefined ? {} : { value: parseLiteral(jm[3].trim(), line) }) };
  }
  if (what === "stdout" || what === "stderr") {
    const tm = /^(~|!~|==|!=)\s+(.+)$/.exec(tail);
    if (!tm) throw new ScriptError(line, `expect ${what}: expected '~ "TEXT"', '!~ "TEXT"', '~ /RE/' or '== "TEXT"', got '${tail}'`);
    const op = tm[1] as "~" | "!~" | "==" | "!=";
    const arg = (tm[2] as string).trim();
    const re = /^\/(.*)\/([gimsuy]*)$/.exec(arg);
    if (re && (op === "~" || op === "!~")) {
      try {
        return { kind: "text", stream: what, op, regex: new RegExp(re[1] as string, re[2]) };
      } catch (err) {
        throw new ScriptError(line, `bad regex ${arg}: ${(err as Error).message}`);
      }
    }
    const text = parseLiteral(arg, line);
    if (typeof text !== "string") throw new ScriptError(line, `expect ${what}: expected a "quoted string" or /regex/`);
    return { kind: "text", stream: what, op, text };
  }
  throw new ScriptError(line, `unknown expectation '${what}' (exit, json, stdout, stderr)`);
}

/** Parse a whole script. Throws {@link ScriptError} naming the line. */
export function parseScript(text: string): ScriptCommand[] {
  const commands: { line: number; argv: string[]; expects: ScriptCommand["expects"] }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const em = /^expect(?:\s+(.*))?$/.exec(trimmed);
    if (em) {
      const last = commands.at(-1);
      if (!last) throw new ScriptError(line, "expect before any command");
      last.expects.push({ line, text: trimmed, expect: parseExpect(em[1] ?? "", line) });
      return;
    }
    let argv = splitWords(trimmed, line);
    if (argv[0] === "dcd") argv = argv.slice(1);
    if (argv.length === 0) return;
    commands.push({ line, argv, expects: [] });
  });
  return commands;
}

function lookup(value: unknown, path: readonly (string | number)[]): { found: boolean; value?: unknown } {
  let cur = value;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return { found: false };
    if (typeof key === "number" ? !Array.isArray(cur) || key >= cur.length : !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return { found: true, value: cur };
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case "==":
      return JSON.stringify(a) === JSON.stringify(b);
    case "!=":
      return JSON.stringify(a) !== JSON.stringify(b);
  }
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string")) return false;
  const x = a;
  const y = b as number | string;
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

/** Check one expectation against a command's result; returns undefined or why it failed. */
export function check(e: Expectation, result: { stdout: string; stderr: string; code: number }): string | undefined {
  switch (e.kind) {
    case "exit":
      return result.code === e.code ? undefined : `exit code ${result.code}, expected ${e.code}`;
    case "text": {
      const s = result[e.stream];
      if (e.op === "==" || e.op === "!=") {
        const equal = s.replace(/\n$/, "") === e.text;
        return equal === (e.op === "==") ? undefined : `${e.stream} is ${JSON.stringify(s)}`;
      }
      const hit = e.regex ? e.regex.test(s) : s.includes(e.text ?? "");
      return hit === (e.op === "~") ? undefined : `${e.stream} ${e.op === "~" ? "does not match" : "matches"} (${e.stream}: ${JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}...` : s)})`;
    }
    case "json": {
      let doc: unknown;
      try {
        doc = JSON.parse(result.stdout);
      } catch {
        return `stdout is not JSON: ${JSON.stringify(result.stdout.slice(0, 200))}`;
      }
      const r = lookup(doc, e.path);
      if (e.op === "exists") return r.found ? undefined : `${e.pathText} is missing`;
      if (e.op === "missing") return r.found ? `${e.pathText} exists (${JSON.stringify(r.value)})` : undefined;
      if (!r.found) return `${e.pathText} is missing`;
      if (e.op.startsWith("length")) {
        const v = r.value;
        const n = Array.isArray(v) || typeof v === "string" ? v.length : v !== null && typeof v === "object" ? Object.keys(v).length : undefined;
        if (n === undefined) return `${e.pathText} has no length (${JSON.stringify(v)})`;
        return compare(e.op.slice(7), n, e.value) ? undefined : `${e.pathText} has length ${n}`;
      }
      return compare(e.op, r.value, e.value) ? undefined : `${e.pathText} is ${JSON.stringify(r.value)}`;
    }
  }
}
