/** Mirrors istiod's validating webhook (validation.istio.io) for the checks it reproduces. */
import { describe, expect, it } from "vitest";
import { destinationRule, virtualService } from "../api/builders.js";
import type { VirtualService } from "../api/types.js";
import { AdmissionDeniedError } from "./istiod-webhook.js";
import { admitIstioObject } from "./validate.js";

function denial(obj: unknown): string {
  try {
    admitIstioObject(obj as VirtualService);
    return "admitted";
  } catch (e) {
    if (e instanceof AdmissionDeniedError) return e.problems.join("; ");
    throw e;
  }
}

const route = [{ destination: { host: "a" } }];

describe("istiod webhook checks", () => {
  it.each<[string, unknown, string]>([
    ["valid", virtualService("a", { hosts: ["a"], http: [{ route }] }), "admitted"],
    ["no hosts", virtualService("a", { http: [{ route }] }), "virtual service must have at least one host"],
    [
      "no routes at all",
      virtualService("a", { hosts: ["a"] }),
      "http, tcp or tls must be provided in virtual service",
    ],
    [
      "route without action",
      virtualService("a", { hosts: ["a"], http: [{ name: "x" }] }),
      "HTTP route, redirect or direct response is required",
    ],
    [
      "route and directResponse",
      virtualService("a", { hosts: ["a"], http: [{ route, directResponse: { status: 503 } }] }),
      "HTTP route may have only one of route, redirect, direct response or delegate",
    ],
    [
      "invalid RE2 in a header match",
      virtualService("a", {
        hosts: ["a"],
        http: [{ match: [{ headers: { x: { regex: "(a)\\1" } } }], route }],
      }),
      'header x: "(a)\\1" is not a valid regex',
    ],
    [
      "no spec",
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "a", namespace: "d" },
      },
      "spec is required",
    ],
    [
      "duplicate subsets",
      destinationRule("a", { host: "a", subsets: [{ name: "v1" }, { name: "v1" }] }),
      "duplicate subset names: v1",
    ],
  ])("%s", (_n, obj, expected) => {
    expect(denial(obj)).toBe(expected);
  });

  it("answers 400 with the API server's webhook wording", () => {
    try {
      admitIstioObject(virtualService("a", { http: [{ route }] }));
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({
        status: 400,
        reason: "BadRequest",
        message:
          'admission webhook "validation.istio.io" denied the request: configuration is invalid: virtual service must have at least one host',
      });
    }
  });
});
