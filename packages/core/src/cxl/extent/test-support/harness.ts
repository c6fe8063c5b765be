/**
 * A small host for the extent pipeline: a real `DcdDevice` (one logical device per memdev), the
 * cxl bus, memdev and region devices standing in for the CXL core's, the host's `CxlExtentCore`
 * attached to them, the `cxl_dax_region` driver, and collectors for every stream.
 *
 * Layout (per device): RAM 2 GiB; DC partition 0 at 0x8000_0000, 1 GiB, 64 KiB blocks
 * (non-sharable); DC partition 1 at 0xc000_0000, 512 MiB, 2 MiB blocks, sharable. Regions map
 * decoder windows of either to HPA windows at 64 GiB + 1 GiB × regionId.
 */
import { DcdDevice, type DcdDeviceConfig } from "@dcd/fabric";
import { type Subscription } from "rxjs";
import { Device } from "../../../driver-model/device.js";
import { createHost, type Host } from "../../../host/host.js";
import type { DriverModule } from "../../../host/tokens.js";
import { VirtualClock } from "../../../time/clock.js";
import { NULL_UUID } from "../../../uuid.js";
import { cxlBusType } from "../../bus.js";
import { type CxlDaxRegion } from "../../dax-region/cxl-dax-region.js";
import { daxCxlModule } from "../../dax-region/cxl-dax-region-driver.js";
import { CxlMailbox } from "../../mbox/mailbox.js";
import type { CxlMailboxTransport } from "../../mbox/transport.js";
import type { ExtentGroup, RegionExtentPolicy, ReleaseCause, ReleaseVerdict } from "../../region-driver.js";
import type { DcEventBody } from "../../wire/dc-event.js";
import type { DcExtent } from "../../wire/extent.js";
import { OPCODE } from "../../wire/opcodes.js";
import type { DcEvent, ExtentLifecycleEvent, KernelLogLine } from "../events.js";
import { CxlExtentCore, type DcMemdevHandle, HOST_POLICY } from "../extent-core.js";
import type { HostPolicy } from "../host-policy.js";
import type { DcExtentPartition } from "../model.js";

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;
export const P0 = 0x8000_0000;
export const P1 = 0xc000_0000;
export const HPA_BASE = 64 * GIB;
export const TAG_A = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
export const TAG_B = "deadbeef-cafe-baad-f00d-fedcba987654";
export const TAG_C = "0f0f0f0f-1111-4222-8333-444455556666";

export const PARTITION_0: DcExtentPartition = { index: 0, start: P0, size: GIB, sharable: false };
export const PARTITION_1: DcExtentPartition = { index: 1, start: P1, size: 512 * MIB, sharable: true };

export function ext(dpa: number, len: number, tag = NULL_UUID, sharedSeq = 0): DcExtent {
  return { dpa, len, tag, sharedSeq };
}

/** A policy that records every call; `admit`/`release` answers can be scripted per test. */
export class RecordingPolicy implements RegionExtentPolicy {
  readonly calls: string[] = [];
  readonly admitted: ExtentGroup[] = [];
  readonly accepted_: ExtentGroup[] = [];
  readonly released: { group: ExtentGroup; cause: ReleaseCause }[] = [];
  readonly forced: ExtentGroup[] = [];
  refuse: ((g: ExtentGroup) => string | undefined) | undefined;
  defer: ((g: ExtentGroup, cause: ReleaseCause) => string | undefined) | undefined;
  failAccepted: ((g: ExtentGroup) => boolean) | undefined;
  tornDown = false;

  admit(group: ExtentGroup): { admit: true } | { admit: false; reason: string } {
    this.calls.push(`admit ${group.tag}`);
    const reason = this.refuse?.(group);
    if (reason !== undefined) return { admit: false, reason };
    this.admitted.push(group);
    return { admit: true };
  }

  accepted(group: ExtentGroup): void {
    this.calls.push(`accepted ${group.tag}`);
    if (this.failAccepted?.(group) === true) throw new Error("no memory for the group");
    this.accepted_.push(group);
  }

  release(group: ExtentGroup, cause: ReleaseCause): ReleaseVerdict {
    this.calls.push(`release ${group.tag} ${cause}`);
    const reason = this.defer?.(group, cause);
    if (reason !== undefined) return { result: "deferred", reason };
    this.released.push({ group, cause });
    return { result: "released" };
  }

  forcedRelease(group: ExtentGroup): void {
    this.calls.push(`forced ${group.tag}`);
    this.forced.push(group);
  }

  teardown(): void {
    this.calls.push("teardown");
    this.tornDown = true;
  }
}

export interface MemdevFixture {
  readonly index: number;
  readonly device: DcdDevice;
  readonly memdev: Device;
  readonly mailbox: CxlMailbox;
  readonly handle: DcMemdevHandle;
  /** Opcodes the host sent, in order. */
  readonly sent: number[];
  /** Runs before each mailbox command reaches the device (test hook). */
  intercept: ((opcode: number, payload: Uint8Array) => { rc: number; payload: Uint8Array } | undefined) | undefined;
}

export interface HarnessOptions {
  readonly policy?: HostPolicy;
  /** Memdevs (one device each); default 1. */
  readonly memdevs?: number;
  /** Load the `dax_cxl` module (default true). */
  readonly daxCxl?: boolean;
  /** DC partitions the host knows (default: partition 0 only, as Linux uses the first, R4). */
  readonly partitions?: readonly DcExtentPartition[];
  readonly device?: Partial<DcdDeviceConfig>;
  /** Host mailbox payload size (default 2048). */
  readonly payloadSize?: number;
  /** Extents accepted on the device before the host attaches (memdev 0). */
  readonly seed?: readonly DcExtent[];
  /** Subscribe to interrupts (default true). */
  readonly interrupts?: boolean;
}

export interface RegionSpec {
  readonly id: number;
  readonly memdev?: number;
  readonly dpaStart: number;
  readonly dpaSize: number;
  readonly policy?: RegionExtentPolicy;
}

export class Harness {
  readonly logs: KernelLogLine[] = [];
  readonly dc: DcEvent[] = [];
  readonly life: ExtentLifecycleEvent[] = [];
  readonly memdevs: MemdevFixture[] = [];
  readonly regionDevices = new Map<number, Device>();
  readonly daxRegions = new Map<number, CxlDaxRegion>();
  readonly policies = new Map<number, RecordingPolicy>();
  private readonly subs: Subscription[] = [];
  private root!: Device;

  private constructor(
    readonly host: Host,
    readonly core: CxlExtentCore,
    readonly clock: VirtualClock,
  ) {}

  static async create(options: HarnessOptions = {}): Promise<Harness> {
    const clock = new VirtualClock();
    const modules: DriverModule[] = [];
    if (options.policy !== undefined) {
      const policy = options.policy;
      modules.push({ name: "policy", register: (c) => c.register(HOST_POLICY, { useValue: policy }) });
    }
    if (options.daxCxl !== false) modules.push(daxCxlModule);
    const host = await createHost({ name: "host0", clock, buses: [cxlBusType()], drivers: modules });
    const core = CxlExtentCore.of(host.container);
    const h = new Harness(host, core, clock);
    const ignore = (): void => undefined;
    h.subs.push(
      core.log$.subscribe({ next: (l) => h.logs.push(l), error: ignore }),
      core.dcEvents$.subscribe({ next: (e) => h.dc.push(e), error: ignore }),
      core.lifecycle$.subscribe({ next: (e) => h.life.push(e), error: ignore }),
    );
    h.root = new Device({ name: "root0", bus: "cxl" });
    await host.core.deviceAdd(h.root);
    for (let i = 0; i < (options.memdevs ?? 1); i++) await h.addMemdev(i, options, i === 0 ? options.seed : undefined);
    return h;
  }

  private async addMemdev(index: number, options: HarnessOptions, seed: readonly DcExtent[] | undefined): Promise<void> {
    const device = new DcdDevice({
      name: `dcd${index}`,
      ramSize: 2 * GIB,
      partitions: [
        { base: P0, decodeLength: GIB, length: GIB, blockSize: 64 * 1024, dsmadHandle: 0 },
        { base: P1, decodeLength: 512 * MIB, length: 512 * MIB, blockSize: 2 * MIB, dsmadHandle: 1, sharable: true },
      ],
      eventLogCapacity: 512,
      extentBudget: 2048,
      quirks: { enforceSharedRules: false },
      clock: this.clock,
      ...options.device,
    });
    if (seed !== undefined) device.seedAccepted(0, seed);
    const ld = device.logicalDevice(0);
    const sent: number[] = [];
    const fixture: MemdevFixture = { index, device, memdev: new Device({ name: `mem${index}`, bus: "cxl", parent: this.root }), mailbox: undefined as never, handle: undefined as never, sent, intercept: undefined };
    const transport: CxlMailboxTransport = {
      execute: (opcode, payload) => {
        sent.push(opcode);
        return fixture.intercept?.(opcode, payload) ?? ld.execute(opcode, payload);
      },
      interrupt$: ld.interrupt$,
    };
    await this.host.core.deviceAdd(fixture.memdev);
    const mailbox = new CxlMailbox(transport, { name: `mem${index}`, payloadSize: options.payloadSize ?? 2048 });
    const handle = this.core.attachMemdev({
      memdev: fixture.memdev,
      mailbox,
      partitions: options.partitions ?? [PARTITION_0],
      ...(options.interrupts === false ? {} : { interrupt$: ld.interrupt$ }),
    });
    Object.assign(fixture, { mailbox, handle });
    this.memdevs.push(fixture);
  }

  get device(): DcdDevice {
    return (this.memdevs[0] as MemdevFixture).device;
  }

  /** Create `regionZ` and attach it as a DC region (its `dax_regionZ` probes if dax_cxl is loaded). */
  async region(spec: RegionSpec): Promise<CxlDaxRegion> {
    const m = this.memdevs[spec.memdev ?? 0] as MemdevFixture;
    const regionDev = new Device({ name: `region${spec.id}`, bus: "cxl", parent: this.root });
    await this.host.core.deviceAdd(regionDev);
    this.regionDevices.set(spec.id, regionDev);
    const policy = spec.policy ?? new RecordingPolicy();
    if (policy instanceof RecordingPolicy) this.policies.set(spec.id, policy);
    const dax = await this.core.attachDcRegion({
      region: regionDev,
      regionId: spec.id,
      hpaStart: HPA_BASE + spec.id * GIB,
      size: spec.dpaSize,
      targets: [{ memdev: m.memdev, decoder: `decoder${m.index + 2}.${spec.id}`, dpaStart: spec.dpaStart, dpaSize: spec.dpaSize, hpaStart: HPA_BASE + spec.id * GIB }],
      policy,
    });
    this.daxRegions.set(spec.id, dax);
    await this.idle();
    return dax;
  }

  policy(regionId = 0): RecordingPolicy {
    const p = this.policies.get(regionId);
    if (p === undefined) throw new Error(`no recording policy for region ${regionId}`);
    return p;
  }

  dax(regionId = 0): CxlDaxRegion {
    const d = this.daxRegions.get(regionId);
    if (d === undefined) throw new Error(`no dax_region${regionId}`);
    return d;
  }

  /** FM 5604h prescriptive add to host 0 of memdev `m`; resolves once the host handled it. */
  async add(extents: readonly DcExtent[], opts: { more?: boolean; memdev?: number } = {}): Promise<void> {
    const d = (this.memdevs[opts.memdev ?? 0] as MemdevFixture).device;
    const r = d.initiateAdd({ hostId: 0, selectionPolicy: "prescriptive", extents, ...(opts.more === true ? { more: true } : {}) });
    if (r.rc !== 0) throw new Error(`initiateAdd refused: ${r.reason}`);
    await this.idle();
  }

  /** FM 5605h prescriptive release of `ranges` (absolute DPA). */
  async release(ranges: readonly { dpa: number; len: number }[], opts: { forced?: boolean; memdev?: number } = {}): Promise<void> {
    const d = (this.memdevs[opts.memdev ?? 0] as MemdevFixture).device;
    const r = d.initiateRelease({ hostId: 0, removalPolicy: "prescriptive", extents: ranges, ...(opts.forced === true ? { forcedRemoval: true } : {}) });
    if (r.rc !== 0) throw new Error(`initiateRelease refused: ${r.reason}`);
    await this.idle();
  }

  /** FM 5605h tag-based release. */
  async releaseTag(tag: string, memdev = 0): Promise<void> {
    const r = (this.memdevs[memdev] as MemdevFixture).device.initiateRelease({ hostId: 0, removalPolicy: "tag-based", tag });
    if (r.rc !== 0) throw new Error(`initiateRelease refused: ${r.reason}`);
    await this.idle();
  }

  /** Write raw records into memdev `m`'s DC log (firmware-bug injection) and drain it. */
  async inject(bodies: readonly Partial<DcEventBody>[], memdev = 0): Promise<void> {
    const m = this.memdevs[memdev] as MemdevFixture;
    m.device.logicalDevice(0).eventLog.append(
      bodies.map((b) => ({ eventType: 0, validityFlags: 0, hostId: 0, updatedRegionIndex: 0, more: false, extent: ext(0, 0), numAvailExtents: 0, numAvailTags: 0, ...b })),
    );
    await m.handle.drain();
    await this.idle();
  }

  idle(): Promise<void> {
    return this.core.idle();
  }

  /** Log lines (any level) whose message contains `fragment`. */
  logged(fragment: string): KernelLogLine[] {
    return this.logs.filter((l) => l.message.includes(fragment));
  }

  /** Add DC Responses the host sent (and their payloads), in order. */
  responses(memdev = 0): Extract<DcEvent, { type: "add-response" }>[] {
    const name = `mem${memdev}`;
    return this.dc.filter((e): e is Extract<DcEvent, { type: "add-response" }> => e.type === "add-response" && e.memdev === name);
  }

  releases(memdev = 0): Extract<DcEvent, { type: "release-dc" }>[] {
    const name = `mem${memdev}`;
    return this.dc.filter((e): e is Extract<DcEvent, { type: "release-dc" }> => e.type === "release-dc" && e.memdev === name);
  }

  /** Lifecycle events of one type. */
  events<T extends ExtentLifecycleEvent["type"]>(type: T): Extract<ExtentLifecycleEvent, { type: T }>[] {
    return this.life.filter((e): e is Extract<ExtentLifecycleEvent, { type: T }> => e.type === type);
  }

  /** `ls /sys/bus/cxl/devices/dax_regionZ` filtered to extent devices. */
  extentDirs(regionId = 0): string[] {
    const dir = `/sys/bus/cxl/devices/dax_region${regionId}`;
    return this.host.sysfs.list(dir).filter((n) => n.startsWith("extent"));
  }

  cat(path: string): string {
    return this.host.sysfs.read(path).trimEnd();
  }

  count(opcode: number, memdev = 0): number {
    return (this.memdevs[memdev] as MemdevFixture).sent.filter((o) => o === opcode).length;
  }

  async dispose(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    for (const m of this.memdevs) m.handle.dispose();
    await this.host.dispose();
    for (const m of this.memdevs) m.device.dispose();
  }
}

export const OP = OPCODE;
