/**
 * @packageDocumentation
 * `@dcd/fabric`: everything outside the host. Dynamic Capacity devices (DC partitions, per-host
 * logical devices, event log, mailbox 4800h-4803h), the Fabric Manager API (5600h-5608h) and
 * QEMU-compatible QMP.
 */
export {};
