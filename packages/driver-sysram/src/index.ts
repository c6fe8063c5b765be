/**
 * @packageDocumentation
 * `@dcd/driver-sysram`. The region driver itself lands with its issue; this package already builds,
 * tests and documents inside the workspace so that adding the driver is a matter of `src/`.
 */
export {};
