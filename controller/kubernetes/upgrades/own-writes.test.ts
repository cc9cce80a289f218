import { describe, expect, it } from "vitest";
import { SMALL_SPEC } from "../../ports/testing/upgrade-fixtures.js";
import { OwnWrites } from "./own-writes.js";
import type { UpgradeObject } from "./upgrade-codec.js";

function obj(namespace: string, name: string, resourceVersion: string): UpgradeObject {
  return {
    apiVersion: "tranquil.dev/v1alpha1",
    kind: "Upgrade",
    metadata: { namespace, name, resourceVersion },
    spec: SMALL_SPEC,
  };
}

describe("OwnWrites", () => {
  it("keeps a write until the watch delivers that version, not an older one", () => {
    const own = new OwnWrites();
    own.wrote("a/x", obj("a", "x", "5"), obj("a", "x", "4"));
    own.delivered("a/x", obj("a", "x", "4"));
    expect(own.get("a/x")?.metadata.resourceVersion).toBe("5");
    own.delivered("a/x", obj("a", "x", "5"));
    expect(own.get("a/x")).toBeUndefined();
  });

  it("keeps nothing when the cache already has the version written (an unchanged write)", () => {
    const own = new OwnWrites();
    own.wrote("a/x", obj("a", "x", "5"), obj("a", "x", "5"));
    expect(own.current().size).toBe(0);
  });

  it("drops a write on a delete, and on a relist of its namespace started after it", () => {
    const own = new OwnWrites();
    own.wrote("a/x", obj("a", "x", "5"), undefined);
    own.deleted("a/x");
    expect(own.get("a/x")).toBeUndefined();

    own.wrote("a/x", obj("a", "x", "6"), undefined);
    own.wrote("b/y", obj("b", "y", "7"), undefined);
    const mark = own.mark();
    own.wrote("a/z", obj("a", "z", "8"), undefined);
    own.relisted(mark, "a");
    expect([...own.current().keys()].sort()).toEqual(["a/z", "b/y"]);
    own.relisted(own.mark());
    expect(own.current().size).toBe(0);
  });

  it("gives way to the cache after 10 s whatever happened", () => {
    let now = 0;
    const own = new OwnWrites(() => now);
    own.wrote("a/x", obj("a", "x", "5"), undefined);
    now = 10_000;
    expect(own.get("a/x")).toBeDefined();
    now = 10_001;
    expect(own.get("a/x")).toBeUndefined();
  });
});
