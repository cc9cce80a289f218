import { describe, it, expect } from "vitest";
import { ConfigError, configFromEnv, CONFIG_DEFAULTS } from "./config.js";

const base = {
  TM_ROLE: "sidecar",
  TM_SERVICE: "reviews",
  TM_VERSION: "v2",
  POD_NAME: "reviews-v2-7d9c-abcde",
};

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    configFromEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("configFromEnv", () => {
  it("fills defaults for a sidecar", () => {
    const c = configFromEnv(base);
    expect(c).toMatchObject({
      role: "sidecar",
      service: "reviews",
      version: "v2",
      pod: "reviews-v2-7d9c-abcde",
      store: { kind: "memory" },
      socketPath: CONFIG_DEFAULTS.socketPath,
      enrolmentHeader: "x-tranquil-release",
      checkBudgetMs: 20,
      heartbeatMs: 1000,
      weightCacheMs: 500,
      envoyAdminUrl: null,
    });
  });

  it("reads a Redis store, the Envoy admin URL and timings", () => {
    const c = configFromEnv({
      ...base,
      TM_STORE: "redis://127.0.0.1:6380/0",
      TM_ENVOY_ADMIN_URL: "http://127.0.0.1:15000/",
      TM_CHECK_BUDGET_MS: "5",
      TM_ADMIN_PORT: "0",
      TM_ENROLMENT_HEADER: "X-Release",
    });
    expect(c.store).toEqual({ kind: "redis", url: "redis://127.0.0.1:6380/0" });
    expect(c.envoyAdminUrl).toBe("http://127.0.0.1:15000");
    expect(c.checkBudgetMs).toBe(5);
    expect(c.adminPort).toBe(0);
    expect(c.enrolmentHeader).toBe("x-release");
  });

  it("gives a gateway default names", () => {
    const c = configFromEnv({ TM_ROLE: "gateway", POD_NAME: "istio-ingressgateway-5f7c-x1" });
    expect(c.service).toBe("ingressgateway");
    expect(c.version).toBe("gateway");
  });

  it("lists every problem at once, and hides Redis passwords", () => {
    const problems = problemsOf({
      TM_ROLE: "proxy",
      TM_SERVICE: "Reviews",
      TM_STORE: "mysql://u:secret@h/db",
      TM_CHECK_BUDGET_MS: "fast",
      TM_ENVOY_ADMIN_URL: "ftp://x",
    });
    expect(problems.join("\n")).toMatch(/TM_ROLE/);
    expect(problems.join("\n")).toMatch(/TM_SERVICE=.*DNS label/);
    expect(problems.join("\n")).toMatch(/TM_VERSION is required/);
    expect(problems.join("\n")).toMatch(/POD_NAME is required/);
    expect(problems.join("\n")).toMatch(/TM_STORE/);
    expect(problems.join("\n")).not.toMatch(/secret/);
    expect(problems.join("\n")).toMatch(/TM_CHECK_BUDGET_MS/);
    expect(problems.join("\n")).toMatch(/TM_ENVOY_ADMIN_URL/);
  });
});
