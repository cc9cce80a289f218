import { describe, expect, it } from "vitest";
import { planChecks, unknownVariables } from "./prometheus-plan.js";
import type { PrometheusCheckSpec, UpgradeSpec } from "./schema.js";

const spec = (prometheus: PrometheusCheckSpec[]): UpgradeSpec => ({
  services: [
    { name: "reviews", from: "v1", to: "v2" },
    { name: "ratings", from: "v3", to: "v4" },
  ],
  strategy: { stepInterval: "1m", analysis: { prometheus } },
});

describe("planChecks", () => {
  it("runs a built-in check once per train service, on new's sidecars, over the step interval", () => {
    const planned = planChecks(spec([{ metric: "request-success-rate", min: 99 }]), "shop");
    expect(planned.map((p) => p.label)).toEqual([
      "request-success-rate of reviews@v2",
      "request-success-rate of ratings@v4",
    ]);
    expect(planned[0]).toMatchObject({ index: 0, min: 99 });
    expect(planned[0]?.query).toBe(
      '100 * sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_service_name="reviews",destination_version="v2",response_code!~"5.*",grpc_response_status=~"0|"}[60s]))' +
        ' / sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_service_name="reviews",destination_version="v2"}[60s]))',
    );
  });

  it("renders request-duration as the p99 of Istio's duration histogram, with the check's own window", () => {
    const [p] = planChecks(spec([{ metric: "request-duration", max: 500, window: "20s" }]), "shop");
    expect(p?.query).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="shop",destination_service_name="reviews",destination_version="v2"}[20s])))',
    );
    expect(p?.max).toBe(500);
  });

  it("runs a raw query once unless it names a service or version, and keeps an untemplated query as written", () => {
    const planned = planChecks(
      spec([
        { query: "sum(up)", min: 1 },
        { name: "errors", query: 'sum(x{ns="{{namespace}}", v="{{ oldVersion }}"}[{{ window }}])', max: 0 },
      ]),
      "shop",
    );
    expect(planned.map((p) => [p.label, p.query])).toEqual([
      ["", "sum(up)"],
      ["errors of reviews@v2", 'sum(x{ns="shop", v="v1"}[60s])'],
      ["errors of ratings@v4", 'sum(x{ns="shop", v="v3"}[60s])'],
    ]);
  });

  it("names the variables a template may not use", () => {
    expect(unknownVariables("{{ namespace }} {{ target }} {{interval}}")).toEqual(["target", "interval"]);
  });
});
