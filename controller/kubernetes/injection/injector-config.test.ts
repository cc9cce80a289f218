import { describe, expect, it } from "vitest";
import { INJECTOR_ENV, InjectorConfigError, injectorConfigFromEnv } from "./injector-config.js";

const base = {
  [INJECTOR_ENV.image]: "tranquil/trace-manager:0.1.0",
  [INJECTOR_ENV.traceStore]: "redis://redis.tranquil-system:6379",
  [INJECTOR_ENV.namespace]: "tranquil-system",
};

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    injectorConfigFromEnv(env);
    return [];
  } catch (err) {
    if (err instanceof InjectorConfigError) return err.problems;
    throw err;
  }
};

describe("injectorConfigFromEnv", () => {
  it("fills every default around the image, the store and the namespace", () => {
    const c = injectorConfigFromEnv(base);
    expect(c.template).toMatchObject({
      image: "tranquil/trace-manager:0.1.0",
      traceStore: { url: "redis://redis.tranquil-system:6379" },
      adminPort: 9464,
      nativeSidecar: false,
      runAsUser: 10001,
      resources: { cpuRequest: "20m", memoryRequest: "64Mi", memoryLimit: "128Mi" },
    });
    expect(c.tls).toEqual({
      kind: "managed",
      secretName: "tranquil-injector-tls",
      webhookConfigName: "tranquil-trace-manager-injector",
      service: "tranquil-injector",
      namespace: "tranquil-system",
      ips: [],
    });
    expect([c.host, c.port]).toEqual(["0.0.0.0", 8443]);
  });

  it("names extra IP addresses in a managed certificate, and refuses what is not one", () => {
    const c = injectorConfigFromEnv({ ...base, [INJECTOR_ENV.tlsIps]: "127.0.0.1, ::1" });
    expect(c.tls).toMatchObject({ kind: "managed", ips: ["127.0.0.1", "::1"] });
    expect(() => injectorConfigFromEnv({ ...base, [INJECTOR_ENV.tlsIps]: "127.0.0.1,localhost" })).toThrow(
      /TRANQUIL_INJECT_TLS_IPS: "localhost" is not an IP address/,
    );
  });

  it("serves files (cert-manager's Secret) when both are named", () => {
    const c = injectorConfigFromEnv({
      ...base,
      [INJECTOR_ENV.certFile]: "/tls/tls.crt",
      [INJECTOR_ENV.keyFile]: "/tls/tls.key",
    });
    expect(c.tls).toEqual({ kind: "files", certFile: "/tls/tls.crt", keyFile: "/tls/tls.key" });
  });

  it("reads the store URL from a Secret key", () => {
    const { [INJECTOR_ENV.traceStore]: _, ...rest } = base;
    const c = injectorConfigFromEnv({ ...rest, [INJECTOR_ENV.traceStoreSecret]: "tranquil-redis/url" });
    expect(c.template.traceStore).toEqual({ secret: { name: "tranquil-redis", key: "url" } });
  });

  it.each([
    ["no image", { [INJECTOR_ENV.image]: "" }, INJECTOR_ENV.image],
    ["no store", { [INJECTOR_ENV.traceStore]: "" }, INJECTOR_ENV.traceStore],
    ["a store that is not Redis", { [INJECTOR_ENV.traceStore]: "memory" }, INJECTOR_ENV.traceStore],
    ["both store settings", { [INJECTOR_ENV.traceStoreSecret]: "s/k" }, "not both"],
    [
      "a bad store secret",
      { [INJECTOR_ENV.traceStore]: "", [INJECTOR_ENV.traceStoreSecret]: "s" },
      "<secret name>/<key>",
    ],
    ["Envoy's uid", { [INJECTOR_ENV.runAsUser]: "1337" }, "must not be 1337"],
    ["a bad quantity", { [INJECTOR_ENV.memoryLimit]: "lots" }, INJECTOR_ENV.memoryLimit],
    ["a port out of range", { [INJECTOR_ENV.port]: "70000" }, INJECTOR_ENV.port],
    ["a certificate without its key", { [INJECTOR_ENV.certFile]: "/c" }, "go together"],
    ["no namespace for a managed certificate", { [INJECTOR_ENV.namespace]: "" }, INJECTOR_ENV.namespace],
    ["a bad pull policy", { [INJECTOR_ENV.imagePullPolicy]: "Sometimes" }, INJECTOR_ENV.imagePullPolicy],
    [
      "a native-sidecar switch that is no boolean",
      { [INJECTOR_ENV.nativeSidecar]: "yes" },
      INJECTOR_ENV.nativeSidecar,
    ],
  ])("refuses %s, naming it", (_what, env, named) => {
    const problems = problemsOf({ ...base, ...env });
    expect(problems.join("\n")).toContain(named);
  });

  it("lists every problem at once", () => {
    expect(problemsOf({ [INJECTOR_ENV.runAsUser]: "1337", [INJECTOR_ENV.port]: "x" })).toHaveLength(5);
  });
});
