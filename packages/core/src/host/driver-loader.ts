/**
 * Gathers what the driver modules registered, through explicit multi-injection at the plugin
 * boundary (the interfaces would otherwise reach tsyringe as `Object`). Optional, so a host
 * without modules, or a module with only drivers, resolves to empty lists.
 */
import { injectAll, injectable } from "tsyringe";
import { type BusType } from "../driver-model/bus-type.js";
import { type Driver } from "../driver-model/driver.js";
import { BUS_TYPE, DRIVER } from "./tokens.js";

@injectable()
export class DriverLoader {
  constructor(
    @injectAll(BUS_TYPE, { isOptional: true }) readonly buses: BusType<never, never>[],
    @injectAll(DRIVER, { isOptional: true }) readonly drivers: Driver<never>[],
  ) {}
}
