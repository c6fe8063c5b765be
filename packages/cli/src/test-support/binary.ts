/**
 * End-to-end tests through the built binary: `dcd serve` on real sockets in a temp dir, every
 * client a separate process. One harness per test file; it tracks every process it starts so a
 * failing test cannot leave one behind.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";

const root = fileURLToPath(new URL("../../../../", import.meta.url));

/** The built `dcd` binary. */
export const DCD_BIN = join(root, "packages/cli/dist/bin/dcd.js");

/** Build the binary (for `beforeAll`, with a long timeout). Throws when there is none afterwards. */
export function buildBinary(): void {
  try {
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-b", "packages/cli"], { cwd: root, stdio: "pipe" });
  } catch {
    // Type errors elsewhere in the workspace still emit; the binary must exist.
  }
  if (!existsSync(DCD_BIN)) throw new Error(`no dcd binary at ${DCD_BIN} after tsc -b packages/cli`);
}

/** What a client process did. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running `dcd serve`. */
export interface Served {
  readonly child: ChildProcess;
  readonly socket: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Its exit code once it exited. */
  readonly exited: Promise<number | null>;
}

export class BinaryHarness {
  /** A fresh temp dir: the processes' cwd and where sockets go. */
  readonly dir: string;
  private readonly clients = new Set<ChildProcess>();
  private readonly servers = new Set<ChildProcess>();

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Run `dcd ARGS` as a client process (`$DCD_SOCKET` cleared unless `env` sets it). */
  dcd(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(process.execPath, [DCD_BIN, ...args], { cwd: this.dir, env: { ...process.env, DCD_SOCKET: "", ...env } }, (err, stdout, stderr) => {
        this.clients.delete(child);
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      this.clients.add(child);
    });
  }

  /** Start `dcd serve --socket DIR/NAME.sock EXTRA...`; resolves once it is listening. */
  async serve(name: string, extra: readonly string[] = []): Promise<Served> {
    const socket = join(this.dir, `${name}.sock`);
    const child = spawn(process.execPath, [DCD_BIN, "serve", "--socket", socket, ...extra], { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] });
    this.servers.add(child);
    let out = "";
    const collect = (d: Buffer): void => {
      out += d.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const exited = new Promise<number | null>((resolve) => {
      child.on("exit", (code) => {
        this.servers.delete(child);
        resolve(code);
      });
    });
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (out.includes("listening on")) resolve();
        else if (child.exitCode !== null) reject(new Error(`dcd serve exited: ${out}`));
        else setTimeout(check, 50);
      };
      check();
    });
    return { child, socket, output: () => out, exited };
  }

  /** Kill the client processes still running (for `afterEach`). */
  killClients(): void {
    for (const c of this.clients) c.kill("SIGKILL");
    this.clients.clear();
  }

  /** Kill the servers still running. */
  killServers(): void {
    for (const s of this.servers) s.kill("SIGKILL");
    this.servers.clear();
  }

  /** Kill everything and remove the temp dir (for `afterAll`). */
  dispose(): void {
    this.killClients();
    this.killServers();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One harness for a test file, with its hooks: the binary is built first, client processes die
 * after every test (servers too with `serversPerTest`), and everything with the file.
 */
export function useBinaryHarness(prefix: string, options: { readonly serversPerTest?: boolean } = {}): BinaryHarness {
  const harness = new BinaryHarness(prefix);
  beforeAll(() => {
    buildBinary();
  }, 300_000);
  afterEach(() => {
    harness.killClients();
    if (options.serversPerTest === true) harness.killServers();
  });
  afterAll(() => {
    harness.dispose();
  });
  return harness;
}
