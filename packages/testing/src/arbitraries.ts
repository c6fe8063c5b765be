/**
 * fast-check arbitraries for driver-model tests. They produce plain data (names, kinds,
 * registration orders, probe plans) that a test turns into devices and drivers, so the same
 * scenario can drive a bare `DriverCore`, a host, or a subsystem built on top of them.
 */
import fc from "fast-check";

/** A kernel-style name: lower case, digits and `_`, starting with a letter (valid in sysfs). */
export function kernelName(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
}

/** `count` distinct kernel names, in a random order. */
export function uniqueNames(minLength: number, maxLength: number): fc.Arbitrary<string[]> {
  return fc.uniqueArray(kernelName(), { minLength, maxLength });
}

/** A random permutation of `items` (every item exactly once). */
export function permutation<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

/** How a scripted probe ends. `defer` means "defer until my supplier is bound". */
export type ProbePlan = "ok" | "defer" | "reject" | "fail";

export function probePlan(): fc.Arbitrary<ProbePlan> {
  return fc.constantFrom<ProbePlan>("ok", "defer", "reject", "fail");
}

/** A device in a scenario: it matches the drivers of its `kind`, unless `override` names one. */
export interface ScenarioDevice {
  readonly name: string;
  readonly kind: number;
  readonly override?: string;
}

/** A driver in a scenario: it matches devices of its `kind`. */
export interface ScenarioDriver {
  readonly name: string;
  readonly kind: number;
}

/** One registration step: add device `index` or register driver `index`. */
export type RegistrationStep = { readonly add: "device"; readonly index: number } | { readonly add: "driver"; readonly index: number };

/** Devices, drivers (one per kind, so the final binding of a device does not depend on order) and an order. */
export interface BindingScenario {
  readonly devices: readonly ScenarioDevice[];
  readonly drivers: readonly ScenarioDriver[];
  readonly order: readonly RegistrationStep[];
}

/**
 * A bus population and a registration order. Driver kinds are distinct, and a device matches
 * one kind or none; some devices carry a `driver_override` naming a driver (possibly of another
 * kind) or nothing that exists.
 */
export function bindingScenario(options: { maxDevices?: number; maxDrivers?: number } = {}): fc.Arbitrary<BindingScenario> {
  const maxDevices = options.maxDevices ?? 8;
  const maxDrivers = options.maxDrivers ?? 4;
  return fc
    .record({
      driverCount: fc.integer({ min: 0, max: maxDrivers }),
      deviceCount: fc.integer({ min: 0, max: maxDevices }),
    })
    .chain(({ driverCount, deviceCount }) =>
      fc
        .record({
          kinds: fc.array(fc.integer({ min: 0, max: driverCount }), { minLength: deviceCount, maxLength: deviceCount }),
          overrides: fc.array(fc.option(fc.integer({ min: 0, max: driverCount }), { freq: 4 }), { minLength: deviceCount, maxLength: deviceCount }),
        })
        .chain(({ kinds, overrides }) => {
          const drivers = Array.from({ length: driverCount }, (_, i) => ({ name: `drv${i}`, kind: i }));
          const devices = kinds.map((kind, i): ScenarioDevice => {
            const o = overrides[i];
            // An override index equal to driverCount names a driver that never registers.
            return o === null || o === undefined ? { name: `dev${i}`, kind } : { name: `dev${i}`, kind, override: `drv${o}` };
          });
          const steps: RegistrationStep[] = [
            ...devices.map((_, index) => ({ add: "device" as const, index })),
            ...drivers.map((_, index) => ({ add: "driver" as const, index })),
          ];
          return permutation(steps).map((order) => ({ devices, drivers, order }));
        }),
    );
}

/** Per probe attempt: how many devres actions it registers, then how it ends. */
export interface DevresStep {
  readonly actions: number;
  readonly outcome: Exclude<ProbePlan, "defer">;
}

/** A sequence of probe attempts with their devres registrations and outcomes. */
export function devresPlan(maxAttempts = 6, maxActions = 5): fc.Arbitrary<DevresStep[]> {
  return fc.array(
    fc.record({
      actions: fc.integer({ min: 0, max: maxActions }),
      outcome: fc.constantFrom<DevresStep["outcome"]>("ok", "reject", "fail"),
    }),
    { minLength: 1, maxLength: maxAttempts },
  );
}
