/**
 * One `dcd` command line run in-process: `main()` with argv against a System, stdout, stderr and
 * the exit status captured. Shared by the tests that drive the CLI without a child process.
 */
import { type System } from "../commands/context.js";
import { main } from "../main.js";

/** What one command line did. */
export interface DcdRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `argv` against `system`; without one, `main()` builds its own (as the binary does). */
export async function runDcd(argv: readonly string[], system?: System): Promise<DcdRun> {
  let stdout = "";
  let stderr = "";
  const io = {
    out: (t: string): void => {
      stdout += t;
    },
    err: (t: string): void => {
      stderr += t;
    },
  };
  const code = await main(argv, io, system === undefined ? {} : { system });
  return { code, stdout, stderr };
}
