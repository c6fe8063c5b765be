import { VirtualClock } from "@dcd/core";
import { useLeakCheck } from "@dcd/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineQmpCommand } from "./qmp-command.js";
import { QmpMonitor } from "./qmp-monitor.js";
import type { QmpSession } from "./qmp-session.js";
import { qapi } from "./schema/qapi-types.js";

/** A session whose output is collected line by line (each message ends with \r\n). */
function open(monitor: QmpMonitor): { session: QmpSession; out: string[]; send(text: string): string[] } {
  const out: string[] = [];
  const session = monitor.connect((text) => {
    expect(text.endsWith("\r\n")).toBe(true);
    out.push(text.slice(0, -2));
  });
  return {
    session,
    out,
    send(text: string): string[] {
      const before = out.length;
      session.feed(Buffer.from(text, "utf8"));
      return out.slice(before);
    },
  };
}

describe("QMP session (QEMU's MonitorQMP)", () => {
  useLeakCheck();
  let clock: VirtualClock;
  let monitor: QmpMonitor;

  beforeEach(() => {
    clock = new VirtualClock();
    monitor = new QmpMonitor({
      clock,
      commands: [
        defineQmpCommand({
          name: "x-echo",
          args: qapi.struct("q_obj_x_echo_arg", { value: qapi.str, "*count": qapi.uint8 }),
          run: (a) => ({ value: a.value, count: a.count ?? 1 }),
        }),
        defineQmpCommand({
          name: "x-slow",
          args: qapi.struct("q_obj_x_slow_arg", {}),
          run: () => Promise.resolve({ done: true }),
        }),
      ],
    });
  });
  afterEach(() => {
    monitor.dispose();
  });

  it("greets exactly as QEMU does", () => {
    const { out } = open(monitor);
    expect(out).toEqual(['{"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 10}, "package": ""}, "capabilities": ["oob"]}}']);
  });

  it("answers commands before negotiation with QEMU's CommandNotFound text", () => {
    const c = open(monitor);
    expect(c.send('{"execute": "query-commands", "id": 7}')).toEqual([
      `{"id": 7, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`,
    ]);
    expect(c.send('{"execute": "no-such-command"}')).toEqual([
      `{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`,
    ]);
    // Errors of other classes are not rewritten.
    expect(c.send('{"execute": "qmp_capabilities", "foo": 1}')).toEqual([`{"error": {"class": "GenericError", "desc": "QMP input member 'foo' is unexpected"}}`]);
    expect(c.send('{"execute": "qmp_capabilities"}')).toEqual(['{"return": {}}']);
    expect(c.session.negotiated).toBe(true);
    expect(c.send('{"execute": "qmp_capabilities", "id": "again"}')).toEqual([
      `{"id": "again", "error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}`,
    ]);
  });

  it("checks the request object as qmp_dispatch_check_obj does", () => {
    const c = open(monitor);
    c.send('{"execute": "qmp_capabilities"}');
    const cases: [string, string][] = [
      // A number only ends at the next byte, as in QEMU's lexer.
      ["42\n", "QMP input must be a JSON object"],
      ['["execute"]', "QMP input must be a JSON object"],
      ['{"execute": 1}', "QMP input member 'execute' must be a string"],
      ['{"arguments": {}}', "QMP input lacks member 'execute'"],
      ['{"execute": "x-echo", "arguments": [1]}', "QMP input member 'arguments' must be an object"],
      ['{"execute": "x-echo", "extra": true}', "QMP input member 'extra' is unexpected"],
      ['{"exec-oob": "x-echo"}', "QMP input member 'exec-oob' is unexpected"],
      ['{"execute": "nope"}', "The command nope has not been found"],
    ];
    for (const [req, desc] of cases) {
      const [line] = c.send(req);
      expect(JSON.parse(line ?? "null")).toEqual({ error: { class: desc.startsWith("The command") ? "CommandNotFound" : "GenericError", desc } });
    }
  });

  it("echoes any id, and parse errors carry none (members in QDict order: count before value)", () => {
    const c = open(monitor);
    c.send('{"execute": "qmp_capabilities"}');
    expect(c.send('{"execute": "x-echo", "arguments": {"value": "a"}, "id": {"k": [1, "two"]}}')).toEqual(['{"return": {"count": 1, "value": "a"}, "id": {"k": [1, "two"]}}']);
    expect(c.send('{"execute": "x-echo", "id": 1.5e300}')).toEqual([`{"id": 1.5000000000000001e+300, "error": {"class": "GenericError", "desc": "Parameter 'value' is missing"}}`]);
    expect(c.send('{"execute": "x-echo", "id": 3, }')).toEqual(['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']);
    expect(c.send("{'execute': 'x-echo', 'arguments': {'value': 'sq'}}")).toEqual(['{"return": {"count": 1, "value": "sq"}}']);
  });

  it("visits arguments with QEMU's texts", () => {
    const c = open(monitor);
    c.send('{"execute": "qmp_capabilities"}');
    const desc = (args: string): unknown => JSON.parse(c.send(`{"execute": "x-echo", "arguments": ${args}}`)[0] ?? "null");
    expect(desc('{"value": 1}')).toEqual({ error: { class: "GenericError", desc: "Invalid parameter type for 'value', expected: string" } });
    expect(desc('{"value": "v", "count": 256}')).toEqual({ error: { class: "GenericError", desc: "Parameter 'count' expects uint8_t" } });
    expect(desc('{"value": "v", "count": -1}')).toEqual({ error: { class: "GenericError", desc: "Parameter 'count' expects uint8_t" } });
    expect(desc('{"value": "v", "count": "1"}')).toEqual({ error: { class: "GenericError", desc: "Parameter 'count' expects uint64" } });
    expect(desc('{"value": "v", "count": 1.0}')).toEqual({ error: { class: "GenericError", desc: "Parameter 'count' expects uint64" } });
    expect(desc('{"value": "v", "other": 1}')).toEqual({ error: { class: "GenericError", desc: "Parameter 'other' is unexpected" } });
    expect(desc('{"value": "v", "count": 255}')).toEqual({ return: { value: "v", count: 255 } });
    expect(JSON.parse(c.send('{"execute": "query-version", "arguments": {"x": 1}}')[0] ?? "null")).toEqual({
      error: { class: "GenericError", desc: "Parameter 'x' is unexpected" },
    });
  });

  it("negotiates capabilities: enable list, unknown values, OOB", () => {
    const c = open(monitor);
    const send = (s: string): unknown => JSON.parse(c.send(s)[0] ?? "null");
    expect(send('{"execute": "qmp_capabilities", "arguments": {"enable": "oob"}}')).toEqual({
      error: { class: "GenericError", desc: "Invalid parameter type for 'enable', expected: array" },
    });
    expect(send('{"execute": "qmp_capabilities", "arguments": {"enable": [1]}}')).toEqual({
      error: { class: "GenericError", desc: "Invalid parameter type for 'enable[0]', expected: string" },
    });
    expect(send('{"execute": "qmp_capabilities", "arguments": {"enable": ["fast"]}}')).toEqual({
      error: { class: "GenericError", desc: "Parameter 'null' does not accept value 'fast'" },
    });
    expect(send('{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}')).toEqual({ return: {} });
    expect(c.session.enabledCapabilities).toEqual(["oob"]);
    expect(send('{"exec-oob": "query-version", "id": "o"}')).toEqual({ id: "o", error: { class: "GenericError", desc: "The command query-version does not support OOB" } });
    const clash = send('{"execute": "query-version", "exec-oob": "query-version"}') as { error: { desc: string } };
    expect(clash.error.desc).toMatch(/^QMP input member '(exec-oob|execute)' clashes with '(execute|exec-oob)'$/);
  });

  it("refuses a capability that was not offered", () => {
    const m = new QmpMonitor({ clock, offerOob: false });
    const c = open(m);
    expect(c.out[0]).toBe('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 10}, "package": ""}, "capabilities": []}}');
    expect(c.send('{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}')).toEqual(['{"error": {"class": "GenericError", "desc": "Capability oob not available"}}']);
    m.dispose();
  });

  it("lists commands newest first and reports its version", () => {
    const c = open(monitor);
    c.send('{"execute": "qmp_capabilities"}');
    expect(JSON.parse(c.send('{"execute": "query-commands"}')[0] ?? "null")).toEqual({
      return: [{ name: "x-slow" }, { name: "x-echo" }, { name: "query-version" }, { name: "query-commands" }, { name: "qmp_capabilities" }],
    });
    expect(c.send('{"execute": "query-version"}')).toEqual(['{"return": {"qemu": {"micro": 0, "minor": 1, "major": 10}, "package": ""}}']);
  });

  it("sends events only to negotiated sessions, stamped by the injected clock", () => {
    const a = open(monitor);
    const b = open(monitor);
    a.send('{"execute": "qmp_capabilities"}');
    clock.advance(1_234_567.891);
    monitor.emitEvent("DCD_TEST", { device: "cxl-dcd0", extents: 2 });
    monitor.emitEvent("NO_DATA");
    expect(a.out.slice(-2)).toEqual([
      '{"timestamp": {"seconds": 1234, "microseconds": 567891}, "event": "DCD_TEST", "data": {"device": "cxl-dcd0", "extents": 2}}',
      '{"timestamp": {"seconds": 1234, "microseconds": 567891}, "event": "NO_DATA"}',
    ]);
    expect(b.out).toHaveLength(1); // the greeting only
  });

  it("keeps responses in request order when a handler is asynchronous", async () => {
    const c = open(monitor);
    c.send('{"execute": "qmp_capabilities"}');
    c.send('{"execute": "x-slow", "id": 1}{"execute": "x-echo", "arguments": {"value": "b"}, "id": 2}');
    await c.session.drain();
    expect(c.out.slice(-2)).toEqual(['{"return": {"done": true}, "id": 1}', '{"return": {"count": 1, "value": "b"}, "id": 2}']);
  });

  it("drops queued requests when the connection closes mid-command", async () => {
    const c = open(monitor);
    c.send('{"execute": "qmp_capabilities"}');
    c.send('{"execute": "x-slow", "id": 1}{"execute": "x-echo", "arguments": {"value": "b"}, "id": 2}{"execute": "x-ec');
    monitor.disconnect(c.session);
    await c.session.drain();
    await Promise.resolve();
    expect(c.out).toHaveLength(2);
    expect(monitor.sessionCount).toBe(0);
  });
});
