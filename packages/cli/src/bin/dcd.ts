#!/usr/bin/env node
/**
 * The `dcd` command. The entry point is the one place that loads `reflect-metadata` (libraries
 * must not) and decides what an error thrown inside an RxJS subscriber does: it is printed,
 * never allowed to kill the process behind the user's back.
 */
import "reflect-metadata";
import { config } from "rxjs";
import { main } from "../main.js";

config.onUnhandledError = (err: unknown) => {
  process.stderr.write(`dcd: unhandled error in a subscriber: ${err instanceof Error ? err.message : String(err)}\n`);
};

// `dcd ... | head`: a reader that goes away is not an error of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Commands other than serve/run/demo go to the `dcd serve` on the socket unless --preset/--topology is given.
process.exitCode = await main(process.argv.slice(2), undefined, { remote: true });
