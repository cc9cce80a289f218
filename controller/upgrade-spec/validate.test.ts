import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { upgradeCrdSchema } from "./crd-schema.js";
import { formatDuration, parseDuration } from "./duration.js";
import { InvalidSpecError, parseUpgradeSpec, validateUpgradeSpec } from "./validate.js";

const good = {
  services: [{ name: "reviews", from: "v1", to: "v2", image: "registry/reviews:2.0" }],
  strategy: {
    steps: [10, 50, 100],
    stepInterval: "30s",
    analysis: {
      successRate: { min: 99 },
      latencyP99: { maxMs: 300 },
      prometheus: [
        { query: "sum(x)", max: 1 },
        { name: "success", metric: "request-success-rate", min: 99, window: "1m" },
        { query: 'sum(rate(y{ns="{{ namespace }}",v="{{ version }}"}[{{ window }}]))', min: 0 },
      ],
      prometheusAddress: "http://prometheus.istio-system:9090",
      onMissingData: "wait",
      missingDataLimit: 4,
    },
    failureLimit: 2,
    webhooks: [
      { name: "qa-signoff", type: "confirm-promotion", url: "https://qa.ops.example/approve?team=shop" },
      {
        name: "load-test",
        type: "rollout",
        url: "http://loadtester.test/",
        timeout: "5s",
        retries: 1,
        metadata: { cmd: "hey -z 1m http://reviews-canary:9080/" },
        secretRef: { name: "loadtester-token", key: "bearer.txt" },
      },
    ],
  },
  drain: { maxTransactionAge: "10m", timeout: "30m", onTimeout: "wait", settle: "2s" },
  paused: false,
  gitOpsAcknowledged: true,
};

const svc = (over: Record<string, unknown> = {}) => ({
  services: [{ name: "reviews", from: "v1", to: "v2", ...over }],
});

describe("validateUpgradeSpec", () => {
  it("accepts a full spec and a minimal one", () => {
    expect(validateUpgradeSpec(good)).toEqual({ ok: true, spec: good });
    expect(validateUpgradeSpec(svc()).ok).toBe(true);
  });

  it.each<[string, unknown, string, RegExp]>([
    ["an unknown top-level field", { ...svc(), replicas: 3 }, "replicas", /unknown field "replicas"/],
    [
      "an unknown nested field",
      { ...svc(), strategy: { stepz: [100] } },
      "strategy.stepz",
      /unknown field "stepz"/,
    ],
    ["an unknown service field", svc({ port: 80 }), "services.0.port", /unknown field "port"/],
    ["no services", { services: [] }, "services", /at least 1/],
    [
      "a missing field",
      { services: [{ name: "reviews", from: "v1" }] },
      "services.0",
      /missing required field "to"/,
    ],
    ["an upper-case name", svc({ name: "Reviews" }), "services.0.name", /DNS-1123 label/],
    ["a name with a dot", svc({ name: "reviews.default" }), "services.0.name", /DNS-1123 label/],
    ["a version ending in '-'", svc({ to: "v2-" }), "services.0.to", /DNS-1123 label/],
    ["a name over 63 characters", svc({ name: "a".repeat(64) }), "services.0.name", /at most 63/],
    ["from equal to to", svc({ to: "v1" }), "services.0.to", /"to" equals "from" \(v1\)/],
    [
      "a service listed twice",
      {
        services: [
          { name: "reviews", from: "v1", to: "v2" },
          { name: "reviews", from: "v2", to: "v3" },
        ],
      },
      "services.1.name",
      /listed twice/,
    ],
    [
      "steps not increasing",
      { ...svc(), strategy: { steps: [10, 10, 100] } },
      "strategy.steps.1",
      /strictly increasing; 10 follows 10/,
    ],
    [
      "steps not ending at 100",
      { ...svc(), strategy: { steps: [10, 50] } },
      "strategy.steps",
      /last step must be 100/,
    ],
    ["a step of 0", { ...svc(), strategy: { steps: [0, 100] } }, "strategy.steps.0", /must be >= 1/],
    ["a step above 100", { ...svc(), strategy: { steps: [50, 101] } }, "strategy.steps.1", /must be <= 100/],
    [
      "a fractional step",
      { ...svc(), strategy: { steps: [12.5, 100] } },
      "strategy.steps.0",
      /must be integer/,
    ],
    [
      "a malformed duration",
      { ...svc(), strategy: { stepInterval: "30 seconds" } },
      "strategy.stepInterval",
      /not a duration.*"30s"/,
    ],
    ["a duration without unit", { ...svc(), drain: { settle: "5" } }, "drain.settle", /not a duration/],
    [
      "a duration too short",
      { ...svc(), drain: { settle: "10ms" } },
      "drain.settle",
      /out of range; use between 100ms and 10m/,
    ],
    ["a duration too long", { ...svc(), drain: { timeout: "200h" } }, "drain.timeout", /between 1s and 168h/],
    [
      "an unknown onTimeout",
      { ...svc(), drain: { onTimeout: "panic" } },
      "drain.onTimeout",
      /must be one of "wait", "force"/,
    ],
    [
      "a negative failure limit",
      { ...svc(), strategy: { failureLimit: -1 } },
      "strategy.failureLimit",
      />= 0/,
    ],
    [
      "a success rate above 100",
      { ...svc(), strategy: { analysis: { successRate: { min: 101 } } } },
      "strategy.analysis.successRate.min",
      /<= 100/,
    ],
    [
      "a Prometheus check without bounds",
      { ...svc(), strategy: { analysis: { prometheus: [{ query: "q" }] } } },
      "strategy.analysis.prometheus.0",
      /set min, max or both/,
    ],
    [
      "a Prometheus check with neither metric nor query",
      { ...svc(), strategy: { analysis: { prometheus: [{ min: 1 }] } } },
      "strategy.analysis.prometheus.0",
      /set metric \(request-success-rate, request-duration\) or query/,
    ],
    [
      "a Prometheus check with both metric and query",
      {
        ...svc(),
        strategy: { analysis: { prometheus: [{ metric: "request-duration", query: "q", max: 1 }] } },
      },
      "strategy.analysis.prometheus.0",
      /not both/,
    ],
    [
      "an unknown built-in check",
      { ...svc(), strategy: { analysis: { prometheus: [{ metric: "error-rate", max: 1 }] } } },
      "strategy.analysis.prometheus.0.metric",
      /must be one of "request-success-rate", "request-duration"/,
    ],
    [
      "a query naming an unknown template variable",
      { ...svc(), strategy: { analysis: { prometheus: [{ query: 'x{w="{{ target }}"}', max: 1 }] } } },
      "strategy.analysis.prometheus.0.query",
      /unknown template variable\(s\) \{\{ target \}\}; use namespace, service, version, oldVersion, window/,
    ],
    [
      "a check window below a second",
      { ...svc(), strategy: { analysis: { prometheus: [{ query: "q", max: 1, window: "500ms" }] } } },
      "strategy.analysis.prometheus.0.window",
      /between 1s and 24h/,
    ],
    [
      "a Prometheus address that is not a URL",
      { ...svc(), strategy: { analysis: { prometheusAddress: "prometheus:9090" } } },
      "strategy.analysis.prometheusAddress",
      /not an http\(s\) URL/,
    ],
    [
      "an unknown onMissingData",
      { ...svc(), strategy: { analysis: { onMissingData: "ignore" } } },
      "strategy.analysis.onMissingData",
      /must be one of "fail", "wait"/,
    ],
    ["paused not a boolean", { ...svc(), paused: "yes" }, "paused", /must be boolean/],
    [
      "a webhook URL that is not absolute",
      { ...svc(), strategy: { webhooks: [{ name: "a", type: "rollout", url: "/approve" }] } },
      "strategy.webhooks.0.url",
      /not an absolute http\(s\) URL/,
    ],
    [
      "a webhook of an unknown type",
      { ...svc(), strategy: { webhooks: [{ name: "a", type: "pre-promotion", url: "http://x/" }] } },
      "strategy.webhooks.0.type",
      /must be one of "confirm-rollout", "pre-rollout", "rollout"/,
    ],
    [
      "two webhooks of one name",
      {
        ...svc(),
        strategy: {
          webhooks: [
            { name: "a", type: "rollout", url: "http://x/" },
            { name: "a", type: "rollback", url: "http://y/" },
          ],
        },
      },
      "strategy.webhooks.1.name",
      /named twice \(also at strategy.webhooks.0\)/,
    ],
    [
      "a webhook timeout out of range",
      { ...svc(), strategy: { webhooks: [{ name: "a", type: "rollout", url: "http://x/", timeout: "1h" }] } },
      "strategy.webhooks.0.timeout",
      /between 100ms and 5m/,
    ],
    [
      "a secretRef that is not a Secret name",
      {
        ...svc(),
        strategy: {
          webhooks: [{ name: "a", type: "event", url: "http://x/", secretRef: { name: "../etc" } }],
        },
      },
      "strategy.webhooks.0.secretRef.name",
      /not a Secret name/,
    ],
    [
      "metadata that is not strings",
      {
        ...svc(),
        strategy: { webhooks: [{ name: "a", type: "event", url: "http://x/", metadata: { n: 1 } }] },
      },
      "strategy.webhooks.0.metadata.n",
      /must be string/,
    ],
  ])("refuses %s, naming where and what to fix", (_name, input, path, message) => {
    const result = validateUpgradeSpec(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(problem?.message).toMatch(message);
  });

  it("reports every problem, once", () => {
    const result = validateUpgradeSpec({ services: [{ name: "A", from: "v1", to: "v2", x: 1, y: 2 }] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path).sort()).toEqual([
      "services.0.name",
      "services.0.x",
      "services.0.y",
    ]);
  });

  it("parseUpgradeSpec throws an error listing the problems", () => {
    expect(() => parseUpgradeSpec(svc({ to: "v1" }))).toThrow(InvalidSpecError);
    expect(() => parseUpgradeSpec(svc({ to: "v1" }))).toThrow(/services\.0\.to: "to" equals "from"/);
    expect(parseUpgradeSpec(good)).toEqual(good);
  });

  it("refuses what is not an object", () => {
    expect(validateUpgradeSpec(null).ok).toBe(false);
    expect(validateUpgradeSpec("reviews").ok).toBe(false);
  });
});

describe("durations", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
  ])("parses %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(text);
  });
  it.each(["", "s", "1.5s", "-1s", "1d", "1 s", "1S"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("upgradeCrdSchema", () => {
  const schema = upgradeCrdSchema();

  /** Kubernetes structural-schema rules the generator must respect. */
  function walk(
    node: Record<string, unknown>,
    path: string,
    visit: (n: Record<string, unknown>, p: string) => void,
  ): void {
    visit(node, path);
    for (const [name, child] of Object.entries(
      (node.properties ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      walk(child, `${path}.${name}`, visit);
    }
    if (node.items !== undefined) walk(node.items as Record<string, unknown>, `${path}[]`, visit);
  }

  it("is structural: every node typed, no $ref, no TypeBox keys, no additionalProperties: false", () => {
    const json = JSON.stringify(schema);
    expect(json).not.toMatch(/\$ref|\$id|anyOf|oneOf|"additionalProperties":false|patternProperties/);
    // The one map of the spec (a webhook's metadata) is said the structural way.
    expect(json).toContain(
      '"metadata":{"description":"strings sent as the payload\'s metadata","type":"object","additionalProperties":{',
    );
    walk(schema, "spec", (node, path) => {
      expect(typeof node.type, path).toBe("string");
      for (const k of Object.keys(node))
        expect(k.startsWith("[") || k === "kind", `${path}.${k}`).toBe(false);
    });
  });

  it("carries the same constraints as the runtime validator", () => {
    const props = schema.properties as Record<string, Record<string, unknown>>;
    expect(schema.required).toEqual(["services"]);
    const item = (props.services!.items as Record<string, unknown>).properties as Record<
      string,
      Record<string, unknown>
    >;
    expect(item.name!.pattern).toBe("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    const drain = props.drain!.properties as Record<string, Record<string, unknown>>;
    expect(drain.onTimeout!.enum).toEqual(["wait", "force"]);
  });

  it("validates with a plain OpenAPI-compatible validator the way the spec schema does", () => {
    // OpenAPI 3.0's boolean exclusiveMinimum is not JSON Schema 2020; drop it for this check.
    const plain = JSON.parse(JSON.stringify(schema).replace(/,"exclusiveMinimum":true/g, "")) as object;
    const check = new Ajv({ strict: false }).compile(plain);
    expect(check(good)).toBe(true);
    expect(check(svc({ name: "Bad" }))).toBe(false);
    expect(check({ ...svc(), strategy: { steps: [0] } })).toBe(false);
  });
});
