/**
 * QMP errors: an error class name (`QapiErrorClass`) and the human-readable `desc`, which is the
 * part clients match on. A `QmpError` is a `DcdError` (one error family), so code that only
 * knows `DcdError` still sees a code and a message.
 */
import { DcdError } from "@dcd/core";

/** QEMU's `QapiErrorClass` values (`qapi/control.json`). */
export type QapiErrorClass = "GenericError" | "CommandNotFound" | "DeviceNotActive" | "DeviceNotFound" | "KVMMissingCap";

/** One QMP error, as `{"error": {"class": ..., "desc": ...}}` carries it. */
export class QmpError extends DcdError {
  readonly errorClass: QapiErrorClass;

  constructor(errorClass: QapiErrorClass, desc: string, options?: ErrorOptions) {
    super(errorClass === "CommandNotFound" ? "ENOENT" : "EINVAL", desc, { ...options, detail: { class: errorClass } });
    this.errorClass = errorClass;
  }

  /** The `desc` member: exactly the message. */
  get desc(): string {
    return this.message;
  }
}

/** `error_setg()`: a GenericError. */
export function genericError(desc: string): QmpError {
  return new QmpError("GenericError", desc);
}
