import "reflect-metadata";
import { inject, injectable } from "tsyringe";
import { describe, expect, it } from "vitest";

const TOKEN = Symbol("canary");

@injectable()
class Canary {
  constructor(@inject(TOKEN) readonly value: string) {}
}

describe("decorator metadata canary", () => {
  // vite 7 (esbuild) drops decorator metadata silently; this fails loudly if the transform is lost.
  it("emits design:paramtypes for decorated classes", () => {
    expect(Reflect.getMetadata("design:paramtypes", Canary)).toBeDefined();
  });
});
