export * from "./transport.js";
export * from "./rc-errno.js";
export * from "./mailbox.js";
