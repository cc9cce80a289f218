import { describe, expect, it } from "vitest";
import { parseServiceEnv } from "./env-config.js";

describe("parseServiceEnv", () => {
  it("reads a full configuration", () => {
    expect(
      parseServiceEnv({
        SERVICE: "order-service",
        VERSION: "v2",
        PORT: "7000",
        STORE_URL: "redis://127.0.0.1:6379",
        UPSTREAM_ITEM_SERVICE: "127.0.0.1:7001",
        UPSTREAM_STATION_SERVICE: "127.0.0.1:7002",
        FAULT_ERROR_RATE: "0.5",
        ENROLMENT_HEADER: "x-rel",
      }),
    ).toEqual({
      name: "order-service",
      version: "v2",
      host: "127.0.0.1",
      port: 7000,
      adminPort: 8000,
      storeUrl: "redis://127.0.0.1:6379",
      upstreams: { "item-service": "127.0.0.1:7001", "station-service": "127.0.0.1:7002" },
      enrolmentHeader: "x-rel",
      faults: { errorRate: 0.5 },
      seed: true,
      logLevel: "info",
    });
  });

  it("defaults the port per service and has no admin port for logistics-api", () => {
    const c = parseServiceEnv({
      SERVICE: "logistics-api",
      VERSION: "v1",
      UPSTREAM_AUTH_SERVICE: "a:1",
      UPSTREAM_ORDER_SERVICE: "o:2",
      UPSTREAM_ITEM_SERVICE: "i:3",
      UPSTREAM_STATION_SERVICE: "s:4",
    });
    expect(c.port).toBe(8080);
    expect(c.adminPort).toBeUndefined();
  });

  it.each([
    [{ SERVICE: "nope", VERSION: "v1" }, /SERVICE="nope" is not one of/],
    [{ SERVICE: "auth-service" }, /VERSION="" must be a label/],
    [{ SERVICE: "auth-service", VERSION: "v1", PORT: "70000" }, /PORT=70000 is not a port number/],
    [{ SERVICE: "auth-service", VERSION: "v1", STORE_URL: "mysql://x" }, /STORE_URL=mysql:\/\/x must be/],
    [
      { SERVICE: "order-service", VERSION: "v1" },
      /UPSTREAM_ITEM_SERVICE is required: order-service calls item-service/,
    ],
    [
      {
        SERVICE: "order-service",
        VERSION: "v1",
        UPSTREAM_ITEM_SERVICE: "nohost",
        UPSTREAM_STATION_SERVICE: "a:1",
      },
      /must be host:port/,
    ],
    [{ SERVICE: "auth-service", VERSION: "v1", BEHAVIOUR: "v3" }, /BEHAVIOUR=v3 must be v1 or v2/],
    [{ SERVICE: "auth-service", VERSION: "v1", FAULT_ERROR_RATE: "2" }, /FAULT_ERROR_RATE=2 must be/],
  ])("refuses %j", (env, message) => {
    expect(() => parseServiceEnv(env)).toThrow(message);
  });
});
