/**
 * A small description language for QAPI types, enough to state QEMU's command schemas
 * (`qapi/cxl.json`, `qapi/control.json`) and to derive the TypeScript type a handler receives.
 * Struct members are written as in QAPI: an object whose key order is the visit order, with a
 * leading `*` marking an optional member (`{ path: qapi.str, "*tag": qapi.str }`).
 */

/** A QAPI builtin scalar. `uint64`/`int` come out as bigint, the narrower integers as number. */
export interface QapiBuiltin<K extends QapiBuiltinKind = QapiBuiltinKind> {
  readonly kind: K;
}
export type QapiBuiltinKind = "str" | "bool" | "int" | "uint8" | "uint16" | "uint32" | "uint64";

/** A QAPI enum: the value is one of `values`. */
export interface QapiEnum<V extends string = string> {
  readonly kind: "enum";
  readonly name: string;
  readonly values: readonly V[];
}

/** A QAPI array `[T]`. */
export interface QapiList<E extends QapiType = QapiType> {
  readonly kind: "list";
  readonly element: E;
}

/** Struct members keyed by name in visit order; `*name` is optional. */
export type QapiMembers = Readonly<Record<string, QapiType>>;

/** A QAPI struct (also the implicit argument struct of a command). */
export interface QapiStruct<M extends QapiMembers = QapiMembers> {
  readonly kind: "struct";
  readonly name: string;
  readonly members: M;
}

export type QapiType = QapiBuiltin | QapiEnum | QapiList | QapiStruct;

type RequiredKeys<M> = { [K in keyof M]: K extends `*${string}` ? never : K }[keyof M];
type OptionalKeys<M> = { [K in keyof M]: K extends `*${infer N}` ? N : never }[keyof M];
type OptionalType<M, N extends string> = `*${N}` extends keyof M ? M[`*${N}`] : never;

/** The JS value the input visitor produces for a QAPI type. */
export type QapiValue<T> =
  T extends QapiBuiltin<infer K>
    ? K extends "str"
      ? string
      : K extends "bool"
        ? boolean
        : K extends "int" | "uint64"
          ? bigint
          : number
    : T extends QapiEnum<infer V>
      ? V
      : T extends QapiList<infer E>
        ? QapiValue<E>[]
        : T extends QapiStruct<infer M>
          ? { -readonly [K in RequiredKeys<M> & string]: QapiValue<M[K]> } & {
              -readonly [N in OptionalKeys<M> & string]?: QapiValue<OptionalType<M, N>>;
            }
          : never;

/** Constructors for schema types. */
export const qapi = {
  str: { kind: "str" } as QapiBuiltin<"str">,
  bool: { kind: "bool" } as QapiBuiltin<"bool">,
  int: { kind: "int" } as QapiBuiltin<"int">,
  uint8: { kind: "uint8" } as QapiBuiltin<"uint8">,
  uint16: { kind: "uint16" } as QapiBuiltin<"uint16">,
  uint32: { kind: "uint32" } as QapiBuiltin<"uint32">,
  uint64: { kind: "uint64" } as QapiBuiltin<"uint64">,
  enum<const V extends string>(name: string, values: readonly V[]): QapiEnum<V> {
    return { kind: "enum", name, values };
  },
  list<E extends QapiType>(element: E): QapiList<E> {
    return { kind: "list", element };
  },
  struct<const M extends QapiMembers>(name: string, members: M): QapiStruct<M> {
    return { kind: "struct", name, members };
  },
} as const;
