/**
 * QEMU's QObject input visitor (`qapi/qobject-input-visitor.c` with `qapi/qapi-visit-core.c`),
 * driven by a {@link QapiType} the way QAPI's generated `visit_type_*` functions drive it. It
 * checks members in schema order and reports the first problem with QEMU's exact text:
 *
 * | problem | text |
 * |---|---|
 * | member missing | `Parameter 'extents[0].len' is missing` |
 * | str/bool/object/array of the wrong type | `Invalid parameter type for 'path', expected: string` |
 * | int of the wrong type | `Invalid parameter type for 'x', expected: integer` |
 * | uint64 not a non-negative integer | `Parameter 'extents[0].offset' expects uint64` |
 * | uint8/uint16/uint32 out of range | `Parameter 'region' expects uint8_t` (plain member name) |
 * | unknown enum value | `Parameter 'selection-policy' does not accept value 'x'` |
 * | unexpected member | `Parameter 'extents[1].foo' is unexpected` |
 *
 * Two QEMU quirks are kept: a negative integer is accepted for a uint64 and wraps modulo 2^64
 * ("for backward compatibility"), and range/enum errors name the member without its path.
 */
import { genericError } from "../qmp-error.js";
import { QDict, qnumTryInt, qnumTryUint, type QList, type QObject } from "../json/qobject.js";
import type { QapiStruct, QapiType, QapiValue } from "./qapi-types.js";

interface StackObject {
  /** Name of the container in its parent (null for the root and for list elements). */
  readonly name: string | null;
  readonly obj: QDict | QList;
  /** Dict keys not visited yet (QEMU's GHashTable `h`). */
  readonly unvisited: Set<string>;
  /** List: index of the element last taken (starts at -1). */
  index: number;
}

const UINT_MAX = { uint8: [0xffn, "uint8_t"], uint16: [0xffffn, "uint16_t"], uint32: [0xffffffffn, "uint32_t"] } as const;

/** Visit `args` (a command's `arguments`) against the command's argument struct. */
export function visitCommandArgs<S extends QapiStruct>(schema: S, args: QDict): QapiValue<S> {
  return new QObjectInputVisitor(args).visitStruct(null, schema) as QapiValue<S>;
}

class QObjectInputVisitor {
  private readonly stack: StackObject[] = [];

  constructor(private readonly root: QObject) {}

  /** `full_name_nth(qiv, name, 0)`. */
  private fullName(name: string | null): string {
    let errname = "";
    let current = name;
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const so = this.stack[i];
      if (!so) continue;
      if (so.obj instanceof QDict) errname = `.${current ?? "<anonymous>"}${errname}`;
      else errname = `[${so.index}]${errname}`;
      current = so.name;
    }
    if (current !== null) return current + errname;
    if (errname.startsWith(".")) return errname.slice(1);
    return errname === "" ? "<anonymous>" : errname;
  }

  /** `qobject_input_try_get_object`. */
  private tryGet(name: string | null, consume: boolean): QObject | undefined {
    const tos = this.stack[this.stack.length - 1];
    if (!tos) return this.root;
    if (tos.obj instanceof QDict) {
      const ret = tos.obj.get(name ?? "");
      if (ret !== undefined && consume) tos.unvisited.delete(name ?? "");
      return ret;
    }
    const ret = tos.obj.items[tos.index + 1];
    if (consume) tos.index++;
    return ret;
  }

  /** `qobject_input_get_object`: missing → `Parameter '%s' is missing`. */
  private get(name: string | null): QObject {
    const obj = this.tryGet(name, true);
    if (obj === undefined) throw genericError(`Parameter '${this.fullName(name)}' is missing`);
    return obj;
  }

  private typeError(name: string | null, expected: string): Error {
    return genericError(`Invalid parameter type for '${this.fullName(name)}', expected: ${expected}`);
  }

  private push(name: string | null, obj: QDict | QList): void {
    this.stack.push({ name, obj, unvisited: new Set(obj instanceof QDict ? obj.keys() : []), index: -1 });
  }

  visit(type: QapiType, name: string | null): unknown {
    switch (type.kind) {
      case "str":
        return this.visitStr(name);
      case "bool": {
        const q = this.get(name);
        if (q.type !== "bool") throw this.typeError(name, "boolean");
        return q.value;
      }
      case "int": {
        const q = this.get(name);
        const v = q.type === "num" ? qnumTryInt(q) : undefined;
        if (v === undefined) throw this.typeError(name, "integer");
        return v;
      }
      case "uint64":
        return this.visitUint64(name);
      case "uint8":
      case "uint16":
      case "uint32": {
        // visit_type_uintN: the uint64 visit first, then the range, named without its path.
        const v = this.visitUint64(name);
        const [max, ctype] = UINT_MAX[type.kind];
        if (v > max) throw genericError(`Parameter '${name ?? "null"}' expects ${ctype}`);
        return Number(v);
      }
      case "enum": {
        const s = this.visitStr(name);
        if (!type.values.includes(s)) {
          throw genericError(`Parameter '${name ?? "null"}' does not accept value '${s}'`);
        }
        return s;
      }
      case "list": {
        const q = this.get(name);
        if (q.type !== "list") throw this.typeError(name, "array");
        this.push(name, q);
        const out = q.items.map(() => this.visit(type.element, null));
        this.stack.pop();
        return out;
      }
      case "struct":
        return this.visitStruct(name, type);
    }
  }

  private visitStr(name: string | null): string {
    const q = this.get(name);
    if (q.type !== "string") throw this.typeError(name, "string");
    return q.value;
  }

  /** `qobject_input_type_uint64`: uint64, or a negative int64 wrapped modulo 2^64. */
  private visitUint64(name: string | null): bigint {
    const q = this.get(name);
    if (q.type === "num") {
      const u = qnumTryUint(q);
      if (u !== undefined) return u;
      const i = qnumTryInt(q);
      if (i !== undefined) return BigInt.asUintN(64, i);
    }
    throw genericError(`Parameter '${this.fullName(name)}' expects uint64`);
  }

  visitStruct(name: string | null, type: QapiStruct): Record<string, unknown> {
    const q = this.get(name);
    if (!(q instanceof QDict)) throw this.typeError(name, "object");
    this.push(name, q);
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(type.members)) {
      const optional = key.startsWith("*");
      const memberName = optional ? key.slice(1) : key;
      // visit_optional(): present when the key exists, whatever its value.
      if (optional && this.tryGet(memberName, false) === undefined) continue;
      out[memberName] = this.visit(member, memberName);
    }
    // visit_check_struct(): any member nobody asked for. QEMU iterates a GHashTable here; with
    // several such members the one reported first follows QDict order instead.
    const tos = this.stack[this.stack.length - 1];
    const extra = tos && q.keys().find((k) => tos.unvisited.has(k));
    if (extra !== undefined) throw genericError(`Parameter '${this.fullName(extra)}' is unexpected`);
    this.stack.pop();
    return out;
  }
}
