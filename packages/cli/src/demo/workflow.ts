/**
 * The DCD workflow of the cover letter (seed 004), run for real against one region driver:
 * orchestrator → FM → device → host kernel → host user. Every arrow in the resulting diagram is
 * drawn from an event the fabric or the host actually emitted, and every step is checked against
 * the kernel rules it exercises; a step that did not behave fails the demo.
 */
import {
  createHost,
  cxlCoreModule,
  cxlCreateRegion,
  cxlDestroyRegion,
  CxlExtentCore,
  cxlOf,
  type DcEvent,
  type DriverModule,
  type ExtentLifecycleEvent,
  type Host,
  type CxlRegion,
  MBOX_RC,
  mboxRcName,
} from "@dcd/core";
import { attachDcd, DcdDevice, type DeviceEvent, encodeInitiateDcAddIn, encodeInitiateDcReleaseIn, FmApi } from "@dcd/fabric";
import { type Subscription } from "rxjs";
import { type SequenceStep } from "./sequence-diagram.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The five actors of the cover letter's diagram. */
export const ACTORS = ["Orchestrator", "FM", "Device", "Host Kernel", "Host User"] as const;

/** How the host user consumes capacity with one region driver, and stops. */
export interface DemoDriver {
  /** Shown in headings (`sysram`, `devdax`, `example`). */
  readonly label: string;
  /** The region driver `create-region --driver` binds. */
  readonly driver: string;
  /** Driver packages to load next to the CXL core. */
  readonly modules: readonly DriverModule[];
  /** Prepare the host before any region exists (sysram needs the memory-hotplug model). */
  prepare?(host: Host): Promise<void>;
  /** Set the driver's policy after the region is bound, before capacity arrives (sysram's `online_type`). */
  configure?(ctx: Omit<DemoContext, "tag">): Promise<string>;
  /** Start using the accepted group (the host user's "Create DAX dev / Use memory"). */
  use(ctx: DemoContext): Promise<string>;
  /** Stop using it, so that the next release can proceed. */
  stopUsing(ctx: DemoContext): Promise<string>;
}

/** What a driver's use/stopUsing may touch. */
export interface DemoContext {
  readonly host: Host;
  readonly region: CxlRegion;
  readonly tag: string;
}

/** One checked expectation. */
export interface DemoCheck {
  readonly step: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** `cxl list` output taken during the run. */
export interface DemoListing {
  readonly when: string;
  readonly text: string;
}

export interface DemoRun {
  readonly driver: string;
  readonly listings: DemoListing[];
  readonly steps: SequenceStep[];
  readonly checks: DemoCheck[];
  /** The host, still alive, for the final `cxl list`; the caller disposes it. */
  readonly host: Host;
  dispose(): Promise<void>;
}

/** A 1 GiB DC partition after 2 GiB of RAM, 2 MiB blocks: extents of 256 MiB suit every driver. */
function demoDevice(): DcdDevice {
  return new DcdDevice({
    name: "cxl-dcd0",
    ramSize: 2 * GiB,
    partitions: [{ base: 2 * GiB, decodeLength: GiB, length: GiB, blockSize: 2 * MiB, dsmadHandle: 1 }],
    serial: 0xdcd0,
  });
}

/** Run the workflow for one driver. Never throws for a misbehaving step: it records a failed check. */
export async function runWorkflow(d: DemoDriver, list?: (host: Host) => string): Promise<DemoRun> {
  const listings: DemoListing[] = [];
  const steps: SequenceStep[] = [];
  const checks: DemoCheck[] = [];
  const step = (from: string, to: string, label: string) => steps.push({ from, to, label });
  const check = (name: string, ok: boolean, detail: string) => checks.push({ step: name, ok, detail });

  const device = demoDevice();
  const fm = new FmApi(device);
  const host = await createHost({ name: "host0", drivers: [cxlCoreModule({ extents: true }), ...d.modules] });
  const subs: Subscription[] = [];
  const dispose = async () => {
    for (const s of subs) s.unsubscribe();
    await host.dispose();
    device.dispose();
  };
  try {
    await attachDcd(host, [device], { windows: [{ base: 0x10_0000_0000, size: 4 * GiB, targets: [0], ram: true }] });
    const cxl = cxlOf(host);
    await cxl.settle();
    await d.prepare?.(host);
    const extents = CxlExtentCore.of(host.container);
    const dc: DcEvent[] = [];
    const life: ExtentLifecycleEvent[] = [];
    const dev: DeviceEvent[] = [];
    // These streams never error by contract; if one did, the demo must say so, not hang.
    const streamError = (name: string) => (err: unknown) => {
      check(`${name} stream`, false, err instanceof Error ? err.message : String(err));
    };
    subs.push(extents.dcEvents$.subscribe({ next: (e) => dc.push(e), error: streamError("DC events") }));
    subs.push(extents.lifecycle$.subscribe({ next: (e) => life.push(e), error: streamError("extent lifecycle") }));
    subs.push(device.events$.subscribe({ next: (e) => dev.push(e), error: streamError("device") }));
    const settle = async () => {
      await cxl.settle();
      await extents.idle();
    };

    // Region creation, driven by the orchestrator, done by the host user.
    step("Orchestrator", "Host User", "Create region");
    const memdev = cxl.memdevs()[0];
    if (memdev === undefined) throw new Error("no memdev enumerated");
    const region = await cxlCreateRegion(cxl, { memdevs: [memdev], size: GiB, driver: d.driver });
    await settle();
    step("Host User", "Host Kernel", "Create Region");
    check("create region", region.driver?.name === d.driver, `${region.name} bound to ${region.driver?.name ?? "nothing"}`);
    if (d.configure) step("Host User", "Host Kernel", await d.configure({ host, region }));
    step("Host User", "Orchestrator", "Signal done");

    // Add capacity: one tagged allocation of two extents, prescriptive.
    const tag = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
    const base = device.partitions[0]?.base ?? 0;
    const offered = [0, 1].map((i) => ({ dpa: base + i * 256 * MiB, len: 256 * MiB, tag, sharedSeq: 0 }));
    step("Orchestrator", "FM", "Add Capacity");
    const add = fm.execute(0x5604, encodeInitiateDcAddIn({ hostId: 0, selectionPolicy: 2, regionNumber: 0, length: 0, tag, extents: offered }));
    step("FM", "Device", "Add Extent");
    check("FM add", add.rc === MBOX_RC.SUCCESS, `Initiate DC Add (5604h) answered ${mboxRcName(add.rc)}`);
    await settle();
    const addRecords = dc.filter((e) => e.type === "record" && e.eventType === 0);
    step("Device", "Host Kernel", "Add Extent");
    check("event records", addRecords.length === 2 && addRecords[0]?.type === "record" && addRecords[0].more, `${addRecords.length} add records, the first with More=1`);
    const response = dc.find((e) => e.type === "add-response");
    const accepted = life.find((e) => e.type === "accepted");
    step("Host Kernel", "Device", "Accept Extent");
    check("one Add DC Response", dc.filter((e) => e.type === "add-response").length === 1 && response?.type === "add-response" && response.extents.length === 2, "exactly one 4802h listing both extents (R12, R34)");
    check("group accepted", accepted?.type === "accepted" && accepted.group.tag === tag && accepted.group.extents.length === 2, `tag group ${tag} realised in ${region.name}`);
    const deviceAccepted = dev.some((e) => e.type === "extents-accepted");
    step("Device", "FM", "Accept Extent");
    check("device accepted", deviceAccepted && device.acceptedExtents(0).length === 2, `device lists ${device.acceptedExtents(0).length} accepted extents; FM sees Add Capacity Response (04h)`);

    // The host user consumes the capacity.
    const ctx: DemoContext = { host, region, tag };
    const used = await d.use(ctx);
    step("Host User", "Host Kernel", used);
    step("Host User", "Host User", "Use memory");
    if (list) listings.push({ when: "while the memory is in use: cxl list -M -R -N", text: list(host) });

    // A release while in use is ignored (deferred), and the FM must ask again.
    const releaseReq = () => fm.execute(0x5605, encodeInitiateDcReleaseIn({ hostId: 0, removalPolicy: 1, forcedRemoval: false, sanitizeOnRelease: false, length: 0, tag, extents: offered.slice(0, 1) }));
    step("Orchestrator", "FM", "Remove Capacity");
    const rel1 = releaseReq();
    step("FM", "Device", "Release Extent");
    step("Device", "Host Kernel", "Release Extent");
    await settle();
    const deferred = life.filter((e) => e.type === "release-deferred");
    step("Host Kernel", "Host Kernel", "(Release Ignored)");
    check(
      "release ignored while in use",
      rel1.rc === MBOX_RC.SUCCESS && deferred.length === 1 && !dc.some((e) => e.type === "release-dc") && device.acceptedExtents(0).length === 2,
      `5605h ${mboxRcName(rel1.rc)}; deferred: ${deferred.length === 1 && deferred[0]?.type === "release-deferred" ? deferred[0].reason : "no"}; no Release DC sent (R43)`,
    );

    const stopped = await d.stopUsing(ctx);
    step("Host User", "Host Kernel", stopped);
    step("Host User", "Orchestrator", "Signal done");

    // The second request releases the whole group: one Release DC per member.
    const rel2 = releaseReq();
    step("FM", "Device", "Release Extent");
    step("Device", "Host Kernel", "Release Extent");
    await settle();
    const releaseDc = dc.filter((e) => e.type === "release-dc");
    step("Host Kernel", "Device", "Release Extent");
    step("Device", "FM", "Release Extent");
    check(
      "whole group released",
      life.some((e) => e.type === "released") && releaseDc.length === 2 && device.acceptedExtents(0).length === 0,
      `FM re-issued 5605h (${mboxRcName(rel2.rc)}); ${releaseDc.length} Release DC (4803h) commands; device holds ${device.acceptedExtents(0).length} extents (R44)`,
    );

    // The host user destroys the region.
    await cxlDestroyRegion(cxl, region);
    await settle();
    step("Host User", "Host Kernel", "Destroy Region");
    check("region destroyed", cxl.regions().length === 0, `${cxl.regions().length} regions left`);
    if (list) listings.push({ when: "final: cxl list -M -R -N", text: list(host) });
    return { driver: d.label, listings, steps, checks, host, dispose };
  } catch (err) {
    check("workflow", false, err instanceof Error ? err.message : String(err));
    return { driver: d.label, listings, steps, checks, host, dispose };
  }
}
