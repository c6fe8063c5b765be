/**
 * One binding of a device to a driver, from the start of its probe to its unbind: the probe
 * context the driver sees (devres stack, drvdata). A new binding, with a fresh devres stack, is
 * made for every probe attempt, so nothing of a failed attempt survives into the next.
 */
import { DEVICE_STATE, type Device } from "./device.js";
import { Devres, type Devm } from "./devres.js";
import { type Driver, type ProbeContext } from "./driver.js";

export class Binding implements ProbeContext {
  readonly devres: Devres;

  constructor(
    readonly device: Device,
    readonly driver: Driver,
  ) {
    this.devres = new Devres(`${device.toString()} ${driver.name}`);
  }

  get devm(): Devm {
    return this.devres;
  }

  get drvdata(): unknown {
    return this.device[DEVICE_STATE].drvdata;
  }

  /** Ignored once the binding is over, so a late write cannot leak into the next binding. */
  set drvdata(value: unknown) {
    const state = this.device[DEVICE_STATE];
    if (state.binding === this) state.drvdata = value;
  }
}
