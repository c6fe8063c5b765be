/**
 * `dcd qmp 'JSON'`: one QMP command to the fabric's monitor, as a client on a fresh session would
 * send it: read the greeting, negotiate (`qmp_capabilities`), send the command, print the reply
 * line. Exit 1 when the reply is an error.
 */
import { type Command } from "commander";
import { type CommandContext } from "../context.js";
import { settleHosts } from "../settle.js";

export function registerQmpCommand(program: Command, ctx: CommandContext): void {
  program
    .command("qmp")
    .description(`send one QMP command to the fabric's QMP monitor, e.g. dcd qmp '{"execute":"query-version"}'`)
    .argument("<json>", "the command object")
    .option("--events", "also print the events sent during the command")
    .action(async (text: string, opts: { events?: boolean }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        ctx.io.err(`dcd qmp: malformed JSON: ${(err as Error).message}\n`);
        ctx.setExitCode(2);
        return;
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        ctx.io.err("dcd qmp: expected a JSON object such as {\"execute\":\"query-version\"}\n");
        ctx.setExitCode(2);
        return;
      }
      const system = await ctx.system();
      let buffer = "";
      const session = system.qmp.connect((t) => {
        buffer += t;
      });
      const lines = (): string[] => {
        const out = buffer.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "");
        buffer = "";
        return out;
      };
      try {
        lines(); // greeting
        session.feed(new TextEncoder().encode('{"execute":"qmp_capabilities"}\n'));
        await session.drain();
        lines();
        session.feed(new TextEncoder().encode(`${JSON.stringify(parsed)}\n`));
        await session.drain();
        let reply: string | undefined;
        for (const line of lines()) {
          const msg = JSON.parse(line) as Record<string, unknown>;
          if ("event" in msg) {
            if (opts.events) ctx.io.out(`${line}\n`);
          } else reply ??= line;
        }
        if (reply === undefined) {
          ctx.io.err("dcd qmp: no reply from the monitor\n");
          ctx.setExitCode(1);
          return;
        }
        ctx.io.out(`${reply}\n`);
        if ("error" in (JSON.parse(reply) as object)) ctx.setExitCode(1);
        await settleHosts(system);
      } finally {
        system.qmp.disconnect(session);
      }
    });
}
