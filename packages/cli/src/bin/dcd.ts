#!/usr/bin/env node
/**
 * The `dcd` command. The entry point is the one place that loads `reflect-metadata` (libraries
 * must not) and decides what an error thrown inside an RxJS subscriber does: it is printed,
 * never allowed to kill the process behind the user's back.
 */
import { fastPathRequest } from "./client-fast-path.js";

// `dcd ... | head`: a reader that goes away is not an error of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const argv = process.argv.slice(2);
const fast = fastPathRequest(argv);
if (fast !== undefined) {
  // Forward to `dcd serve` without loading the host model (see client-fast-path.ts).
  const [{ forward }, { defaultSocketPath }] = await Promise.all([import("../client/client.js"), import("../server/socket-path.js")]);
  const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t) };
  process.exitCode = await forward(fast.socket ?? defaultSocketPath(process.env), { argv, ...(fast.host === undefined ? {} : { host: fast.host }) }, io);
} else {
  await import("reflect-metadata");
  const [{ config }, { main }] = await Promise.all([import("rxjs"), import("../main.js")]);
  config.onUnhandledError = (err: unknown) => {
    process.stderr.write(`dcd: unhandled error in a subscriber: ${err instanceof Error ? err.message : String(err)}\n`);
  };
  // Commands other than serve/run/demo go to the `dcd serve` on the socket unless --preset/--topology is given.
  process.exitCode = await main(argv, undefined, { remote: true });
}
