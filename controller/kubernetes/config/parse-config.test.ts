import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_DELIVERY_POLICY } from "../../notify/target-queue.js";
import { OPTIONS } from "./config-schema.js";
import { readApiToken } from "./api-token.js";
import { ConfigError } from "./config-problems.js";
import { isHelpRequest, parseControllerConfig, type ConfigInputs } from "./parse-config.js";
import { controllerUsage } from "./usage.js";

const BASE_ENV = { TRANQUIL_REDIS_URL: "redis://redis:6379", TRANQUIL_API_TOKEN: "s3cret" };
const noPod = () => undefined;

const parse = (argv: string[], env: ConfigInputs["env"] = BASE_ENV, sa: () => string | undefined = noPod) =>
  parseControllerConfig({ argv, env, serviceAccountNamespace: sa });

/** The problems parsing reports, as `option: message` lines. */
function problems(argv: string[], env: ConfigInputs["env"] = BASE_ENV): string[] {
  try {
    parse(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.option}: ${p.message}`);
    throw err;
  }
  throw new Error("the configuration was accepted");
}

describe("the cluster controller's configuration", () => {
  it("fills every default around the two required inputs", () => {
    expect(parse([])).toEqual({
      kube: {},
      namespaces: "all",
      controllerNamespace: "tranquil-system",
      redisUrl: "redis://redis:6379",
      api: {
        address: "0.0.0.0",
        port: 7070,
        token: { kind: "env", variable: "TRANQUIL_API_TOKEN", value: "s3cret" },
        allowedHosts: ["localhost", "127.0.0.1", "[::1]"],
        maxStreams: 256,
      },
      lease: {
        name: "tranquil-controller",
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2_000,
      },
      prometheus: { timeoutMs: 5_000 },
      notify: {
        webhooks: [],
        slack: [],
        events: ["phase", "rollback", "abort", "wait"],
        waitAfterMs: 600_000,
        policy: DEFAULT_DELIVERY_POLICY,
      },
      logLevel: "info",
    });
  });

  it("takes a flag over its variable, a variable over the default, and ignores an empty variable", () => {
    const config = parse(
      ["--api-port", "8080", "--namespaces=shop, billing", "--context", "prod", "--lease-duration", "30s"],
      {
        ...BASE_ENV,
        TRANQUIL_API_PORT: "9090",
        TRANQUIL_API_ADDRESS: "127.0.0.1",
        TRANQUIL_API_MAX_STREAMS: "40",
        TRANQUIL_LOG_LEVEL: "",
        TRANQUIL_RENEW_DEADLINE: "20s",
        TRANQUIL_RETRY_PERIOD: "500ms",
        TRANQUIL_KUBECONFIG: "/etc/tranquil/kubeconfig",
      },
    );
    expect(config.api).toMatchObject({ address: "127.0.0.1", port: 8080, maxStreams: 40 });
    expect(config.namespaces).toEqual(["shop", "billing"]);
    expect(config.kube).toEqual({ kubeconfig: "/etc/tranquil/kubeconfig", context: "prod" });
    expect(config.lease).toMatchObject({
      leaseDurationMs: 30_000,
      renewDeadlineMs: 20_000,
      retryPeriodMs: 500,
    });
    expect(config.logLevel).toBe("info");
  });

  it("takes the install's Prometheus and its query budget", () => {
    const config = parse(["--prometheus-address", "http://prometheus.istio-system:9090"], {
      ...BASE_ENV,
      TRANQUIL_PROMETHEUS_TIMEOUT: "2s",
    });
    expect(config.prometheus).toEqual({ address: "http://prometheus.istio-system:9090", timeoutMs: 2_000 });
  });

  it("takes a Redis Sentinel URL for the trace store", () => {
    const url = "redis-sentinel://sentinel-0:26379,sentinel-1:26379/tranquil";
    expect(parse(["--redis-url", url]).redisUrl).toBe(url);
  });

  it("takes a Redis Cluster URL for the trace store, and says which node address is wrong", () => {
    const url = "redis-cluster://redis-0:6379,redis-1:6379,redis-2:6379";
    expect(parse(["--redis-url", url]).redisUrl).toBe(url);
    expect(() => parse(["--redis-url", "redis-cluster://:pw@redis-0:6379,redis-1:0"])).toThrow(
      /cluster node address "redis-1:0" is not host:port/,
    );
  });

  it("takes the API's allowed host names as a comma-separated list", () => {
    const config = parse(["--api-allowed-hosts", "tranquil.tranquil-system.svc, localhost,::1"]);
    expect(config.api.allowedHosts).toEqual(["tranquil.tranquil-system.svc", "localhost", "::1"]);
  });

  it("finds its own namespace in the pod's service account, unless a flag or variable names one", () => {
    expect(parse([], BASE_ENV, () => "platform\n").controllerNamespace).toBe("platform");
    expect(
      parse([], { ...BASE_ENV, TRANQUIL_CONTROLLER_NAMESPACE: "ops" }, () => "platform").controllerNamespace,
    ).toBe("ops");
    expect(parse(["--controller-namespace", "mine"], BASE_ENV, () => "platform").controllerNamespace).toBe(
      "mine",
    );
  });

  it("reads the API token from a file instead of the environment", () => {
    const { TRANQUIL_REDIS_URL } = BASE_ENV;
    expect(parse(["--api-token-file", "/var/run/tranquil/token"], { TRANQUIL_REDIS_URL }).api.token).toEqual({
      kind: "file",
      path: "/var/run/tranquil/token",
    });
  });

  it.each([
    [
      ["--api-port", "abc"],
      {},
      '--api-port (TRANQUIL_API_PORT): must be a whole number (got "abc" from --api-port)',
    ],
    [
      [],
      { TRANQUIL_API_PORT: "70000" },
      '--api-port (TRANQUIL_API_PORT): must be <= 65535 (got "70000" from TRANQUIL_API_PORT)',
    ],
    [
      ["--lease-duration", "15"],
      {},
      '--lease-duration (TRANQUIL_LEASE_DURATION): not a duration; write a whole number and a unit, e.g. "15s", "500ms", "1m" (got "15" from --lease-duration)',
    ],
    [
      ["--namespaces", "shop,Bad_NS"],
      {},
      '--namespaces (TRANQUIL_NAMESPACES): write "all", or namespace names separated by commas; "Bad_NS" is not one (got "shop,Bad_NS" from --namespaces)',
    ],
    [
      [],
      { TRANQUIL_API_ALLOWED_HOSTS: "tranquil.svc,http://evil.example/" },
      '--api-allowed-hosts (TRANQUIL_API_ALLOWED_HOSTS): write host names or addresses separated by commas (a port is not needed); "http://evil.example/" is not one (got "tranquil.svc,http://evil.example/" from TRANQUIL_API_ALLOWED_HOSTS)',
    ],
    [
      ["--api-max-streams", "0"],
      {},
      '--api-max-streams (TRANQUIL_API_MAX_STREAMS): must be >= 1 (got "0" from --api-max-streams)',
    ],
    [
      ["--namespaces", "shop,shop"],
      {},
      '--namespaces (TRANQUIL_NAMESPACES): names shop more than once (got "shop,shop" from --namespaces)',
    ],
    [
      [],
      { TRANQUIL_CONTROLLER_NAMESPACE: "Tranquil" },
      "--controller-namespace (TRANQUIL_CONTROLLER_NAMESPACE): not a namespace name (a DNS-1123 label: lower-case letters, digits and '-') (got \"Tranquil\" from TRANQUIL_CONTROLLER_NAMESPACE)",
    ],
    [
      ["--log-level", "loud"],
      {},
      '--log-level (TRANQUIL_LOG_LEVEL): must be one of fatal, error, warn, info, debug, trace, silent (got "loud" from --log-level)',
    ],
    [
      ["--redis-url", "http://redis:6379"],
      {},
      '--redis-url (TRANQUIL_REDIS_URL): not a Redis URL; write redis://host:port, rediss://host:port, redis-sentinel://host:26379[,host:26379…]/<master name> or redis-cluster://host:6379[,host:6379…] (got "http://redis:6379" from --redis-url)',
    ],
    [
      ["--redis-url", "redis-sentinel://sentinel-0:26379,sentinel-1:99999/tranquil"],
      {},
      '--redis-url (TRANQUIL_REDIS_URL): sentinel address "sentinel-1:99999" is not host:port; write redis-sentinel://[:password@]host:26379[,host:26379…]/<master name>[/<db>] (got "redis-sentinel://sentinel-0:26379,sentinel-1:99999/tranquil" from --redis-url)',
    ],
    [
      ["--lease-name", "Leader!"],
      {},
      "--lease-name (TRANQUIL_LEASE_NAME): not a valid name (lower-case letters, digits, '-' and '.') (got \"Leader!\" from --lease-name)",
    ],
    [
      ["--renew-deadline", "15s"],
      {},
      "--lease-duration (TRANQUIL_LEASE_DURATION), --renew-deadline (TRANQUIL_RENEW_DEADLINE), --retry-period (TRANQUIL_RETRY_PERIOD): the renew deadline must be shorter than the lease duration, so a leader stops acting before a standby may take over: --lease-duration=15s (from the default), --renew-deadline=15s (from --renew-deadline), --retry-period=2s (from the default)",
    ],
    [
      ["--prometheus-address", "prometheus:9090"],
      {},
      '--prometheus-address (TRANQUIL_PROMETHEUS_ADDRESS): not an http(s) URL; write e.g. http://prometheus.istio-system:9090 (got "prometheus:9090" from --prometheus-address)',
    ],
    [["--nope"], {}, "arguments: unknown flag --nope"],
    [
      ["shop"],
      {},
      'arguments: unexpected argument "shop": every option is a flag with a value (--flag value)',
    ],
    [["--api-port"], {}, "arguments: Option '--api-port <value>' argument missing"],
  ] as const)("refuses %j %j, naming the flag and the variable", (argv, env, expected) => {
    expect(problems([...argv], { ...BASE_ENV, ...env })[0]).toBe(expected);
  });

  it("requires the Redis URL and exactly one source of the API token, reporting every problem at once", () => {
    expect(problems(["--api-port=-1"], {})).toEqual([
      '--api-port (TRANQUIL_API_PORT): must be >= 0 (got "-1" from --api-port)',
      "--redis-url (TRANQUIL_REDIS_URL): is required: the Redis URL of the trace store, e.g. redis://redis.tranquil-system:6379",
      "--api-token-file (TRANQUIL_API_TOKEN_FILE), TRANQUIL_API_TOKEN: the HTTP API needs a bearer token: name a file that holds it (e.g. a mounted Secret), or set TRANQUIL_API_TOKEN",
    ]);
    expect(problems(["--api-token-file", "/t"])).toEqual([
      "--api-token-file (TRANQUIL_API_TOKEN_FILE), TRANQUIL_API_TOKEN: give the API token one way, not both (a file from --api-token-file, and TRANQUIL_API_TOKEN)",
    ]);
    expect(problems(["--api-port", "x", "--log-level", "loud", "--retry-period", "20s"])).toHaveLength(3);
  });

  describe("the API token file", () => {
    const dir = mkdtemp(join(tmpdir(), "tranquil-token-"));
    afterAll(async () => rm(await dir, { recursive: true, force: true }));

    it("is read trimmed, and an empty or missing file is an error naming it", async () => {
      const path = join(await dir, "token");
      await writeFile(path, "abc123\n");
      expect(readApiToken({ kind: "file", path })).toBe("abc123");
      await writeFile(path, "\n");
      expect(() => readApiToken({ kind: "file", path })).toThrow(`${path} is empty`);
      const absent = join(await dir, "absent");
      expect(() => readApiToken({ kind: "file", path: absent })).toThrow(
        /--api-token-file \(TRANQUIL_API_TOKEN_FILE\): cannot read .*absent: ENOENT/,
      );
      expect(readApiToken({ kind: "env", variable: "TRANQUIL_API_TOKEN", value: "v" })).toBe("v");
    });
  });

  it("documents every option with its flag, its variable and its default in --help", () => {
    const usage = controllerUsage();
    for (const o of OPTIONS) {
      expect(usage).toContain(o.source.env);
      if (o.source.flag !== undefined) expect(usage).toContain(o.source.flag);
    }
    expect(OPTIONS.every((o) => o.source.env.startsWith("TRANQUIL_"))).toBe(true);
    expect(usage).toMatch(/--lease-duration <value> +TRANQUIL_LEASE_DURATION +how long .*\(default 15s\)/);
    expect(usage).not.toMatch(/--api-token </);
    expect([isHelpRequest(["--help"]), isHelpRequest(["-h"]), isHelpRequest(["--api-port", "1"])]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
