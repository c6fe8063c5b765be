/**
 * The order of events on the pipeline's streams, written as marble-like timelines: `dc:` is the
 * memdev's DC stream (records read = the `cxl_dynamic_capacity` trace point; responses and
 * Release DC sent), `life:` the region's extent lifecycle. Both are merged in emission order, so
 * each test documents which happens before which.
 */
import { useLeakCheck } from "@dcd/testing";
import { map, merge, type Observable } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import type { DcEvent, ExtentLifecycleEvent } from "./events.js";
import { ext, Harness, MIB, OP, P0, TAG_A } from "./test-support/harness.js";

function dcMarble(e: DcEvent): string {
  switch (e.type) {
    case "record":
      return `dc:${["add", "release", "forced", "config"][e.eventType] ?? e.eventType}${e.more ? "+" : ""}`;
    case "add-response":
      return `dc:response(${e.extents.length}${e.errno === undefined ? "" : ` ${e.errno}`})`;
    case "release-dc":
      return "dc:release-dc";
    case "event-failed":
      return `dc:failed(${e.errno})`;
    case "chain-refused":
      return `dc:refused(${e.rule})`;
    case "log-error":
      return `dc:log-error(${e.op})`;
  }
}

function lifeMarble(e: ExtentLifecycleEvent): string {
  switch (e.type) {
    case "rejected":
      return `life:rejected(${e.rule})`;
    case "release-deferred":
    case "released":
    case "release-requested":
      return `life:${e.type}(${e.cause})`;
    default:
      return `life:${e.type}`;
  }
}

/** Everything both streams emit, in order, as marbles; `|` marks completion. */
function timeline(dc$: Observable<DcEvent>, life$: Observable<ExtentLifecycleEvent>): string[] {
  const out: string[] = [];
  merge(dc$.pipe(map(dcMarble)), life$.pipe(map(lifeMarble))).subscribe({
    next: (m) => out.push(m),
    error: () => out.push("#"),
    complete: () => out.push("|"),
  });
  return out;
}

describe("extent streams", () => {
  useLeakCheck();
  let h: Harness;
  afterEach(async () => {
    await h.dispose();
  });

  async function setup(): Promise<string[]> {
    h = await Harness.create();
    const dax = await h.region({ id: 0, dpaStart: P0, dpaSize: 512 * MIB });
    return timeline(h.memdevs[0]!.handle.dcEvents$, dax.extents$);
  }

  it("a chain: every record is traced first, then each group is offered and accepted, then one response", async () => {
    const t = await setup();
    await h.add([ext(P0, 2 * MIB), ext(P0 + 2 * MIB, 2 * MIB, TAG_A), ext(P0 + 4 * MIB, 2 * MIB)]);
    expect(t).toEqual(["dc:add+", "dc:add+", "dc:add", "life:offered", "life:accepted", "life:offered", "life:accepted", "dc:response(3)"]);
  });

  it("a rejected group: offered, rejected with its rule, and answered with an empty response", async () => {
    const t = await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A)]);
    t.length = 0;
    await h.add([ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
    expect(t).toEqual(["dc:add", "life:offered", "life:rejected(R24)", "dc:response(0)"]);
    const rejected = h.events("rejected")[0];
    expect(rejected?.reason).toBe(`Tag ${TAG_A}: dropping group, tag already committed (firmware/orchestrator bug)`);
  });

  it("a deferred release: requested and deferred, nothing sent; a later request is released with one Release DC per member", async () => {
    const t = await setup();
    await h.add([ext(P0, 2 * MIB, TAG_A), ext(P0 + 2 * MIB, 2 * MIB, TAG_A)]);
    t.length = 0;
    h.policy().defer = () => "in use";
    await h.release([{ dpa: P0, len: 2 * MIB }]);
    expect(t).toEqual(["dc:release", "life:release-requested(device)", "life:release-deferred(device)"]);
    t.length = 0;
    h.policy().defer = undefined;
    await h.inject([{ eventType: 1, extent: ext(P0 + 2 * MIB, 2 * MIB, TAG_A) }]);
    expect(t).toEqual(["dc:release", "life:release-requested(device)", "dc:release-dc", "dc:release-dc", "life:released(device)"]);
  });

  it("errors travel in payloads: a refused response and a failed event never error the streams", async () => {
    const t = await setup();
    h.memdevs[0]!.intercept = (op) => (op === OP.ADD_DC_RESPONSE ? { rc: 0x1e, payload: new Uint8Array(0) } : undefined);
    await h.add([ext(P0, 2 * MIB)]);
    expect(t).toEqual(["dc:add", "life:offered", "life:accepted", "dc:response(1 ENXIO)", "dc:failed(ENXIO)"]);
  });

  it("streams complete with their owners: the region's on detach, the memdev's on dispose, the host's on host dispose", async () => {
    const t = await setup();
    const host: string[] = [];
    const done = (name: string) => ({ error: () => host.push("#"), complete: () => host.push(name) });
    h.core.log$.subscribe(done("log|"));
    h.core.lifecycle$.subscribe(done("life|"));
    h.core.dcEvents$.subscribe(done("dc|"));
    await h.add([ext(P0, 2 * MIB)]);
    const regionDone: string[] = [];
    h.dax().extents$.subscribe({ error: () => regionDone.push("#"), complete: () => regionDone.push("|") });
    await h.core.detachDcRegion(h.dax());
    expect(regionDone).toEqual(["|"]);
    expect(t.slice(-2)).toEqual(["dc:release-dc", "life:released(teardown)"]);
    h.memdevs[0]!.handle.dispose();
    expect(t.at(-1)).toBe("|");
    expect(host).toEqual([]);
    await h.host.dispose();
    expect(host.sort()).toEqual(["dc|", "life|", "log|"]);
  });
});
