import { describe, expect, it } from "vitest";
import { DcdAggregateError, DcdError, errno, isDcdError, strerror } from "./index.js";

describe("DcdError", () => {
  it("carries an errno code, a message and a cause", () => {
    const cause = new Error("low level");
    const err = errno("EBUSY", "region0: in use", { cause, detail: { region: "region0" } });
    expect(err).toBeInstanceOf(DcdError);
    expect(err.code).toBe("EBUSY");
    expect(err.message).toBe("region0: in use");
    expect(err.cause).toBe(cause);
    expect(err.detail).toEqual({ region: "region0" });
    expect(err.strerror).toBe("Device or resource busy");
    expect(err.name).toBe("DcdError");
  });

  it("isDcdError filters by code", () => {
    const err = errno("EINVAL", "x");
    expect(isDcdError(err)).toBe(true);
    expect(isDcdError(err, "EINVAL", "EBUSY")).toBe(true);
    expect(isDcdError(err, "ENXIO")).toBe(false);
    expect(isDcdError(new Error("x"))).toBe(false);
  });

  it("strerror matches the C library's text", () => {
    expect(strerror("EINVAL")).toBe("Invalid argument");
    expect(strerror("ENXIO")).toBe("No such device or address");
    expect(strerror("EOPNOTSUPP")).toBe("Operation not supported");
  });

  it("aggregates several failures and keeps the first code", () => {
    const agg = new DcdAggregateError([new Error("a"), errno("EBUSY", "b")], "teardown");
    expect(agg.code).toBe("EBUSY");
    expect(agg.errors).toHaveLength(2);
    expect(agg.message).toBe("teardown: a; b");
  });
});
