export * from "./sysfs-tree.js";
export * from "./attributes.js";
