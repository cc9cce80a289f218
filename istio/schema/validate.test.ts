/**
 * Mirrors the Kubernetes API server's handling of Istio's CRDs (structural schema, pruning,
 * OpenAPI validation, CEL rules, 422 Invalid with field paths).
 */
import { describe, expect, it } from "vitest";
import { destinationRule, virtualService } from "../api/builders.js";
import type { VirtualService } from "../api/types.js";
import { ValidationError } from "./errors.js";
import { validateIstioObject } from "./validate.js";

function refusal(obj: unknown, fieldValidation?: "Strict" | "Warn"): string {
  try {
    validateIstioObject(obj as VirtualService, fieldValidation === undefined ? {} : { fieldValidation });
  } catch (e) {
    if (e instanceof ValidationError) return e.message;
    throw e;
  }
  return "accepted";
}

const good = virtualService("reviews", {
  hosts: ["reviews"],
  http: [
    {
      name: "r",
      match: [{ headers: { "end-user": { exact: "jason" } }, uri: { prefix: "/" } }],
      route: [{ destination: { host: "reviews", subset: "v2", port: { number: 9080 } }, weight: 100 }],
      timeout: "10s",
      retries: { attempts: 3, perTryTimeout: "2s" },
    },
  ],
});

describe("accepted objects", () => {
  it("a well-formed VirtualService is stored unchanged", () => {
    expect(validateIstioObject(good)).toEqual({ object: good, warnings: [] });
  });
  it("a well-formed DestinationRule is accepted", () => {
    const dr = destinationRule("reviews", {
      host: "reviews",
      trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } },
      subsets: [{ name: "v1", labels: { version: "v1" } }],
    });
    expect(validateIstioObject(dr).object).toEqual(dr);
  });
  it("presence matches ({}) are valid StringMatches", () => {
    const vs = virtualService("p", {
      hosts: ["a"],
      http: [{ match: [{ headers: { x: {} } }], route: [{ destination: { host: "a" } }] }],
    });
    expect(refusal(vs)).toBe("accepted");
  });
});

describe("refusals name the field path as the API server does", () => {
  const vs = (spec: unknown): unknown => ({ ...good, spec });
  it.each<[string, unknown, string]>([
    [
      "missing destination host",
      vs({ hosts: ["a"], http: [{ route: [{ destination: { subset: "v1" } }] }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].route[0].destination.host: Required value',
    ],
    [
      "missing destination",
      vs({ http: [{ route: [{ weight: 1 }] }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].route[0].destination: Required value',
    ],
    [
      "hosts of the wrong type",
      vs({ hosts: "reviews" }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.hosts: Invalid value: "string": spec.hosts in body must be of type array: "string"',
    ],
    [
      "two kinds in one StringMatch (oneOf)",
      vs({ http: [{ match: [{ uri: { exact: "/a", prefix: "/" } }] }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].match[0].uri: Invalid value: "object": spec.http[0].match[0].uri in body must validate one and only one schema (oneOf). Found 2 valid alternatives',
    ],
    [
      "header map keys render in brackets",
      vs({ http: [{ match: [{ headers: { "end-user": { exact: 1 } } }] }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].match[0].headers[end-user].exact: Invalid value: "integer": spec.http[0].match[0].headers[end-user].exact in body must be of type string: "integer"',
    ],
    [
      "CEL duration rule",
      vs({ http: [{ timeout: "0s" }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].timeout: Invalid value: "string": must be a valid duration greater than 1ms',
    ],
    [
      "unparsable duration",
      vs({ http: [{ retries: { perTryTimeout: "soon" } }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].retries.perTryTimeout: Invalid value: "string": must be a valid duration greater than 1ms',
    ],
    [
      "weight outside int32",
      vs({ http: [{ route: [{ destination: { host: "a" }, weight: 2 ** 31 }] }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].route[0].weight: Invalid value: 2147483648: spec.http[0].route[0].weight in body must be of type int32: 2147483648',
    ],
    [
      "port above uint32",
      vs({ http: [{ route: [{ destination: { host: "a", port: { number: -1 } } }] }] }),
      'VirtualService.networking.istio.io "reviews" is invalid: spec.http[0].route[0].destination.port.number: Invalid value: -1: spec.http[0].route[0].destination.port.number in body should be greater than or equal to 0',
    ],
    [
      "several errors are listed together",
      { ...good, metadata: { name: "Bad_Name", namespace: "default" }, spec: { http: [{ route: [{}] }] } },
      "VirtualService.networking.istio.io \"Bad_Name\" is invalid: [metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), spec.http[0].route[0].destination: Required value]",
    ],
  ])("%s", (_n, obj, message) => {
    expect(refusal(obj)).toBe(message);
  });

  it("DestinationRule: host is required, enums are enforced, wildcard labels refused (CEL)", () => {
    const dr = (spec: unknown): unknown => ({ ...destinationRule("r", { host: "r" }), spec });
    expect(refusal(dr({ subsets: [] }))).toBe(
      'DestinationRule.networking.istio.io "r" is invalid: spec.host: Required value',
    );
    expect(refusal(dr({ host: "r", trafficPolicy: { loadBalancer: { simple: "FASTEST" } } }))).toBe(
      'DestinationRule.networking.istio.io "r" is invalid: spec.trafficPolicy.loadBalancer.simple: Unsupported value: "FASTEST": supported values: "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"',
    );
    expect(refusal(dr({ host: "r", workloadSelector: { matchLabels: { "a*": "b" } } }))).toBe(
      'DestinationRule.networking.istio.io "r" is invalid: spec.workloadSelector.matchLabels: Invalid value: "object": wildcard not allowed in label key match',
    );
  });

  it("a ValidationError carries status 422, reason Invalid and the causes", () => {
    try {
      validateIstioObject({ ...good, spec: { http: [{ route: [{}] }] } } as unknown as VirtualService);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const v = e as ValidationError;
      expect([v.status, v.reason, v.kind, v.objectName]).toEqual([
        422,
        "Invalid",
        "VirtualService",
        "reviews",
      ]);
      expect(v.causes).toEqual([{ field: "spec.http[0].route[0].destination", type: "Required value" }]);
    }
  });
});

describe("unknown fields (structural pruning)", () => {
  const withUnknown = {
    ...good,
    metadata: { ...good.metadata, bogus: 1 },
    spec: { ...good.spec, colour: "blue", http: [{ route: [{ destination: { host: "a", extra: true } }] }] },
    status: { observedGeneration: 1 },
  };
  it("are pruned with warnings by default (the API server's Warn)", () => {
    const r = validateIstioObject(withUnknown as unknown as VirtualService);
    expect(r.object.spec).toEqual({
      hosts: ["reviews"],
      http: [{ route: [{ destination: { host: "a" } }] }],
    });
    expect(r.object.metadata).toEqual(good.metadata);
    expect(r.object).not.toHaveProperty("status");
    expect(r.warnings).toEqual([
      'unknown field "metadata.bogus"',
      'unknown field "spec.colour"',
      'unknown field "spec.http[0].route[0].destination.extra"',
    ]);
  });
  it("are refused under Strict field validation", () => {
    expect(refusal(withUnknown, "Strict")).toMatch(
      /spec\.colour: Invalid value: unknown field "spec\.colour"/,
    );
  });
});
