/**
 * The API server's request counters, on two real scrapes of the local control plane's
 * kube-apiserver /metrics taken around three LISTs and one GET of namespaces (the rest of the
 * traffic between them is the control plane's own).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  byVerb,
  diffCounts,
  isControllerResource,
  lessBaseline,
  parseRequestCounts,
  requestKey,
} from "../../bench/scale/apiserver-metrics.js";
import { clusterRows } from "../../bench/scale/cluster-rows.js";

const sample = (which: string): string =>
  readFileSync(new URL(`./scale-apiserver-metrics-${which}.sample.txt`, import.meta.url), "utf8");

describe("scale: API server request counters", () => {
  it("keys a sample by verb, resource, group and subresource", () => {
    const line =
      'apiserver_request_total{code="200",component="apiserver",dry_run="",group="tranquil.dev",resource="upgrades",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} 7';
    expect(requestKey(line)).toBe("PUT upgrades.tranquil.dev/status");
  });

  it("sums response codes and ignores every other metric", () => {
    const counts = parseRequestCounts(sample("after"));
    // 200 and 404 answers of GET namespaces, in the sample.
    expect(counts["GET namespaces"]).toBe(27);
    expect(counts["LIST namespaces"]).toBe(3);
    // The duration histogram's _count lines in the sample are not requests counted twice.
    const totals = sample("after")
      .split("\n")
      .filter((l) => l.startsWith("apiserver_request_total{"))
      .reduce((n, l) => n + Number(l.split(" ").at(-1)), 0);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(totals);
  });

  it("the difference of two scrapes holds the requests made between them", () => {
    const d = diffCounts(parseRequestCounts(sample("before")), parseRequestCounts(sample("after")));
    expect(d["LIST namespaces"]).toBe(3);
    expect(d["GET namespaces"]).toBeGreaterThanOrEqual(1);
    expect(Object.values(d).every((v) => v > 0)).toBe(true);
  });

  it("takes off the idle rate scaled to the upgrade's length", () => {
    const during = { "PUT leases.coordination.k8s.io": 25, "PUT virtualservices.networking.istio.io": 9 };
    const idle = { "PUT leases.coordination.k8s.io": 10 };
    expect(lessBaseline(during, idle, 20_000, 10_000)).toEqual({
      "PUT virtualservices.networking.istio.io": 9,
      "PUT leases.coordination.k8s.io": 5,
    });
  });

  it("counts by verb only the controller's resources, and grades each verb against its budget", () => {
    const perUpgrade = {
      "GET upgrades.tranquil.dev": 82,
      "PUT upgrades.tranquil.dev/status": 30,
      "PUT virtualservices.networking.istio.io": 9,
      "PUT replicasets.apps/status": 8,
      "PUT deployments.apps/status": 10,
      "POST deployments.apps": 1,
    };
    expect(isControllerResource("deployments.apps/status")).toBe(false);
    expect(byVerb(perUpgrade, isControllerResource)).toEqual({ GET: 82, PUT: 39, POST: 1 });
    const rows = clusterRows({
      phase: "Succeeded",
      upgradeMs: 26_000,
      idleMs: 15_000,
      perUpgrade,
      idlePerMinute: {},
    });
    const met = (verb: string): number | undefined =>
      rows.find((r) => r.metric === `${verb} within budget (1 = met)`)?.value;
    expect(met("GET")).toBe(0);
    expect(met("PUT")).toBe(1);
  });
});
