/**
 * What the host's mailbox driver talks to: the device's primary mailbox (or a logical device's, on
 * a multi-headed/MLD device) and its event interrupt. `@dcd/fabric`'s `LogicalDevice` satisfies it
 * as is; tests may pass any object with the same shape. The core never imports the fabric.
 */
import type { Observable } from "rxjs";

/** One mailbox command's outcome on the wire: the spec return code and the exact output bytes. */
export interface CxlMailboxReply {
  readonly rc: number;
  readonly payload: Uint8Array;
}

export interface CxlMailboxTransport {
  /**
   * Run one command from its exact input bytes (synchronous: the doorbell model). The input may
   * be the client's reused payload registers: read it during the call, copy it to keep it.
   */
  execute(opcode: number, payload: Uint8Array): CxlMailboxReply;
  /** "An event log has new records" (MSI/MSI-X). Absent: the device has no event interrupts (R6). */
  readonly interrupt$?: Observable<unknown> | undefined;
  /** Mailbox payload size in bytes (the capability register); the client defaults to 2048 (QEMU). */
  readonly payloadSize?: number | undefined;
}
