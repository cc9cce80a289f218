/**
 * Gateways and ServiceEntries are checked as the API server checks Istio's CRDs: the v1 schema
 * and its CEL rules (implemented natively in cel.ts), with the API server's 422 wording.
 */
import { describe, expect, it } from "vitest";
import { gateway, serviceEntry } from "../api/builders.js";
import type { IstioObject } from "../api/types.js";
import { ValidationError } from "./errors.js";
import { validateIstioObject } from "./validate.js";

function refusal(obj: IstioObject): string {
  try {
    validateIstioObject(obj);
  } catch (e) {
    if (e instanceof ValidationError) return e.message;
    throw e;
  }
  return "accepted";
}

const http80 = { number: 80, name: "http", protocol: "HTTP" };
const shopGateway = gateway("shop", {
  selector: { istio: "ingressgateway" },
  servers: [{ port: http80, hosts: ["*"] }],
});
const carrier = serviceEntry("carrier", {
  hosts: ["api.carrier.example"],
  ports: [{ number: 443, name: "https", protocol: "HTTPS" }],
  location: "MESH_EXTERNAL",
  resolution: "DNS",
});

describe("Gateway validation", () => {
  it("stores a well-formed Gateway unchanged", () => {
    expect(validateIstioObject(shopGateway)).toEqual({ object: shopGateway, warnings: [] });
  });
  it("refuses a server without hosts or port, naming the fields", () => {
    const bad = { ...shopGateway, spec: { servers: [{ port: http80 }] } } as unknown as IstioObject;
    expect(refusal(bad)).toMatch(
      /Gateway.networking.istio.io "shop" is invalid: spec.servers\[0\].hosts: Required value/,
    );
  });
  it("refuses TLS settings with two kinds of credentials (CEL rule)", () => {
    const bad = gateway("shop", {
      selector: { istio: "ingressgateway" },
      servers: [
        {
          port: { number: 443, name: "https", protocol: "HTTPS" },
          hosts: ["*"],
          tls: { mode: "SIMPLE", credentialName: "a", credentialNames: ["b"] },
        },
      ],
    });
    expect(refusal(bad)).toMatch(/only one of credentialName or credentialNames can be set/);
  });
});

describe("ServiceEntry validation", () => {
  it("stores a well-formed ServiceEntry unchanged", () => {
    expect(validateIstioObject(carrier)).toEqual({ object: carrier, warnings: [] });
  });
  it.each([
    [{ ...carrier.spec, hosts: ["*"] }, /hostname cannot be wildcard/],
    [{ ...carrier.spec, ports: [{ number: 0, name: "x" }] }, /port must be between 1-65535/],
    [
      {
        ...carrier.spec,
        ports: [
          { number: 443, name: "a" },
          { number: 443, name: "b" },
        ],
      },
      /port number cannot be duplicated/,
    ],
    [
      {
        ...carrier.spec,
        resolution: "STATIC",
        endpoints: [{ address: "127.0.0.1" }],
        workloadSelector: { labels: { app: "x" } },
      },
      /only one of WorkloadSelector or Endpoints can be set/,
    ],
    [
      { ...carrier.spec, resolution: "NONE", endpoints: [{ address: "127.0.0.1" }] },
      /NONE mode cannot set endpoints/,
    ],
    [
      {
        ...carrier.spec,
        resolution: "DNS_ROUND_ROBIN",
        endpoints: [{ address: "a.example" }, { address: "b.example" }],
      },
      /DNS_ROUND_ROBIN mode cannot have multiple endpoints/,
    ],
    [
      { ...carrier.spec, addresses: ["10.0.0.0/24"] },
      /CIDR addresses are allowed only for NONE\/STATIC resolution types/,
    ],
    [
      { ...carrier.spec, resolution: "STATIC", endpoints: [{ ports: { https: 443 } }] },
      /Address is required/,
    ],
    [
      { ...carrier.spec, resolution: "STATIC", endpoints: [{ address: "unix://relative" }] },
      /UDS must be an absolute path or abstract socket/,
    ],
    [
      { ...carrier.spec, resolution: "STATIC", endpoints: [{ address: "unix:///run/x/" }] },
      /UDS may not be a dir/,
    ],
    [
      {
        ...carrier.spec,
        resolution: "STATIC",
        endpoints: [{ address: "unix:///run/x.sock", ports: { https: 443 } }],
      },
      /UDS may not include ports/,
    ],
    [
      {
        ...carrier.spec,
        resolution: "STATIC",
        endpoints: [{ address: "127.0.0.1", ports: { "-bad": 443 } }],
      },
      /port name must be valid/,
    ],
    [
      {
        ...carrier.spec,
        resolution: "STATIC",
        endpoints: [{ address: "127.0.0.1", ports: { https: 70000 } }],
      },
      /port must be between 1-65535/,
    ],
    [
      { ...carrier.spec, workloadSelector: { labels: { app: "x*" } } },
      /wildcard is not supported in selector/,
    ],
  ])("refuses %j", (spec, message) => {
    expect(refusal(serviceEntry("carrier", spec as never))).toMatch(message);
  });
  it("accepts the rules' allowed cases: STATIC endpoints with a CIDR, an absolute socket without ports", () => {
    for (const spec of [
      {
        ...carrier.spec,
        resolution: "STATIC" as const,
        addresses: ["10.0.0.0/24"],
        endpoints: [{ address: "127.0.0.1" }],
      },
      {
        ...carrier.spec,
        resolution: "STATIC" as const,
        endpoints: [{ address: "unix:///run/carrier.sock" }],
      },
      { ...carrier.spec, resolution: "DNS_ROUND_ROBIN" as const, endpoints: [{ address: "a.example" }] },
    ]) {
      expect(refusal(serviceEntry("carrier", spec))).toBe("accepted");
    }
  });
});
