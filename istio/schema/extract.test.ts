import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractSchemas, SHARED_CRD_PATH, VENDORED_SCHEMA_PATH } from "./extract.js";

// Parsing the 1 MB CRD file takes a while on a shared machine: do it once.
const fromShared = extractSchemas(readFileSync(SHARED_CRD_PATH, "utf8"));

describe("vendored Istio schemas", () => {
  it("equal what extract.ts produces from shared/istio/crd-all.gen.yaml (regenerate with `npx tsx istio/schema/extract.ts`)", () => {
    const vendored: unknown = JSON.parse(readFileSync(VENDORED_SCHEMA_PATH, "utf8"));
    expect(vendored).toEqual(fromShared);
  });
  it("hold the v1 VirtualService, DestinationRule, Gateway and ServiceEntry schemas", () => {
    expect(Object.keys(fromShared.schemas)).toEqual([
      "VirtualService",
      "DestinationRule",
      "Gateway",
      "ServiceEntry",
    ]);
    expect(fromShared.schemas.DestinationRule).toMatchObject({
      properties: { spec: { required: ["host"] } },
    });
  });
  it("refuses a CRD file without the kinds", () => {
    expect(() => extractSchemas("kind: CustomResourceDefinition\n")).toThrow(
      /no networking.istio.io\/v1 VirtualService/,
    );
  });
});
