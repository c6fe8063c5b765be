/**
 * One host's view of the device (a logical device): its mailbox for 4800h-4803h and event
 * records, typed and binary, and its "DC event log has new records" interrupt.
 */
import type { Observable } from "rxjs";
import type { DcInterrupt } from "../device/device-events.js";
import type { DeviceCore } from "../device/device-core.js";
import type { HostState } from "../device/host-state.js";
import type { EventLog } from "../event-log/event-log.js";
import type { DcConfig, GetDcConfigIn } from "@dcd/core";
import type { ClearEventRecordsIn, EventRecordsPage, GetEventRecordsIn } from "@dcd/core";
import type { ExtentListPage, GetExtentListIn } from "@dcd/core";
import type { DcdResult } from "@dcd/core";
import type { UpdatedExtentList } from "@dcd/core";
import { addCapacityResponse } from "./add-response.js";
import { executeBinary, type MailboxResponse } from "./binary-mailbox.js";
import { clearEventRecords, getDcConfig, getEventRecords, getExtentList } from "./queries.js";
import { releaseCapacity } from "./release.js";

export class LogicalDevice {
  readonly interrupt$: Observable<DcInterrupt>;

  /** @internal built by `DcdDevice`. */
  constructor(
    private readonly core: DeviceCore,
    private readonly state: HostState,
  ) {
    this.interrupt$ = core.interrupt$(state.hostId);
  }

  get hostId(): number {
    return this.state.hostId;
  }

  /** This host's Dynamic Capacity event log (04h). */
  get eventLog(): EventLog {
    return this.state.log;
  }

  /** Run a mailbox command from its exact input bytes; the output is its exact bytes. */
  execute(opcode: number, payload: Uint8Array): MailboxResponse {
    return executeBinary(this, this.core, this.state, opcode, payload);
  }

  /** 4800h Get Dynamic Capacity Configuration. */
  getDcConfig(req: GetDcConfigIn): DcdResult<DcConfig> {
    return getDcConfig(this.core, this.state, req);
  }

  /** 4801h Get Dynamic Capacity Extent List. */
  getExtentList(req: GetExtentListIn): DcdResult<ExtentListPage> {
    return getExtentList(this.core, this.state, req);
  }

  /** 4802h Add Dynamic Capacity Response. */
  addCapacityResponse(req: UpdatedExtentList): DcdResult<undefined> {
    return addCapacityResponse(this.core, this.state, req);
  }

  /** 4803h Release Dynamic Capacity. */
  releaseCapacity(req: UpdatedExtentList): DcdResult<undefined> {
    return releaseCapacity(this.core, this.state, req);
  }

  /** 0100h Get Event Records (`maxRecords` further bounds what one payload holds). */
  getEventRecords(req: GetEventRecordsIn & { readonly maxRecords?: number }): DcdResult<EventRecordsPage> {
    return getEventRecords(this.core, this.state, req);
  }

  /** 0101h Clear Event Records. */
  clearEventRecords(req: ClearEventRecordsIn): DcdResult<undefined> {
    return clearEventRecords(this.core, this.state, req);
  }
}
