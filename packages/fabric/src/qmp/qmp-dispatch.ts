/**
 * `qmp_dispatch()` from `qapi/qmp-dispatch.c`: check the request object, find the command, visit
 * its arguments, run it, and build the response with the request's `id` echoed. Request members
 * are checked in QDict order, so when several are wrong the one QEMU names is the one named here.
 */
import { isDcdError } from "@dcd/core";
import { QDict, toQObject, type QObject } from "./json/qobject.js";
import type { QmpCommandContext, QmpCommandList } from "./qmp-command.js";
import { genericError, QmpError } from "./qmp-error.js";
import { visitCommandArgs } from "./schema/qobject-input-visitor.js";

/** `qmp_error_response()`: `{"error": {"class": ..., "desc": ...}}`. */
export function qmpErrorResponse(err: QmpError): QDict {
  return QDict.of([
    [
      "error",
      QDict.of([
        ["class", { type: "string", value: err.errorClass }],
        ["desc", { type: "string", value: err.desc }],
      ]),
    ],
  ]);
}

/** Any thrown value as a QMP error: handlers' DcdErrors keep their message. */
export function toQmpError(err: unknown): QmpError {
  if (err instanceof QmpError) return err;
  if (isDcdError(err) || err instanceof Error) return genericError(err.message);
  return genericError(String(err));
}

/** `qmp_dispatch_check_obj()`: the name of the member holding the command, or an error. */
function checkObj(dict: QDict, allowOob: boolean): string {
  let execKey: string | undefined;
  for (const [name, value] of dict.entries()) {
    if (name === "execute" || (name === "exec-oob" && allowOob)) {
      if (value.type !== "string") throw genericError(`QMP input member '${name}' must be a string`);
      if (execKey !== undefined) throw genericError(`QMP input member '${name}' clashes with '${execKey}'`);
      execKey = name;
    } else if (name === "arguments") {
      if (!(value instanceof QDict)) throw genericError("QMP input member 'arguments' must be an object");
    } else if (name !== "id") {
      throw genericError(`QMP input member '${name}' is unexpected`);
    }
  }
  if (execKey === undefined) throw genericError("QMP input lacks member 'execute'");
  return execKey;
}

function withId(rsp: QDict, id: QObject | undefined): QDict {
  if (id !== undefined) rsp.put("id", id);
  return rsp;
}

/**
 * Dispatch one parsed request. Returns the response, or a promise of it when the handler is
 * asynchronous (the session keeps responses in request order either way).
 */
export function qmpDispatch(cmds: QmpCommandList, request: QObject, allowOob: boolean, ctx: QmpCommandContext): QDict | Promise<QDict> {
  if (!(request instanceof QDict)) return qmpErrorResponse(genericError("QMP input must be a JSON object"));
  const id = request.get("id");
  try {
    const execKey = checkObj(request, allowOob);
    const oob = !request.has("execute");
    const name = (request.get(execKey) as { value: string }).value;
    const cmd = cmds.find(name);
    if (cmd === undefined) throw new QmpError("CommandNotFound", `The command ${name} has not been found`);
    if (oob && !cmd.allowOob) throw genericError(`The command ${name} does not support OOB`);
    const argsObj = request.get("arguments");
    const args = visitCommandArgs(cmd.args, argsObj instanceof QDict ? argsObj : new QDict());
    const ret = cmd.run(args, ctx);
    if (ret instanceof Promise) {
      return ret.then(
        (value) => withId(QDict.of([["return", toQObject(value ?? {})]]), id),
        (err: unknown) => withId(qmpErrorResponse(toQmpError(err)), id),
      );
    }
    return withId(QDict.of([["return", toQObject(ret ?? {})]]), id);
  } catch (err) {
    return withId(qmpErrorResponse(toQmpError(err)), id);
  }
}
