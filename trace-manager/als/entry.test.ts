import { describe, it, expect } from "vitest";
import { readEntry } from "./entry.js";
import { parseClusterName } from "./cluster-name.js";
import type { HTTPAccessLogEntry } from "../proto/types.js";

const id = "0ac1feff-84ae-4d3a-8b15-890da2b194c5";

function entry(cluster: string, code?: number, extra: Partial<HTTPAccessLogEntry> = {}): HTTPAccessLogEntry {
  return {
    common_properties: {
      upstream_cluster: cluster,
      start_time: { seconds: "1000", nanos: 5_000_000 },
      duration: { seconds: "0", nanos: 7_000_000 },
    },
    request: { request_id: id },
    ...(code === undefined ? {} : { response: { response_code: { value: code } } }),
    ...extra,
  };
}

describe("parseClusterName", () => {
  it.each([
    ["inbound|8080||", { direction: "inbound", port: "8080" }],
    [
      "outbound|80|v1|reviews.default.svc.cluster.local",
      { direction: "outbound", port: "80", subset: "v1", host: "reviews.default.svc.cluster.local" },
    ],
    [
      "outbound|9080||details.default.svc.cluster.local",
      { direction: "outbound", port: "9080", subset: "", host: "details.default.svc.cluster.local" },
    ],
    ["BlackHoleCluster", null],
    ["PassthroughCluster", null],
    ["", null],
    ["outbound|80|v1|", null],
    ["outbound|80|v1|a|b", null],
  ])("%s", (raw, want) => {
    expect(parseClusterName(raw)).toEqual(want);
  });
});

describe("readEntry", () => {
  it("reads an inbound entry as the call's end, timed from Envoy's start + duration", () => {
    expect(readEntry(entry("inbound|8080||", 200), 0)).toEqual({
      kind: "inbound",
      txn: id,
      status: 200,
      durationMs: 7,
      at: 1_000_012,
    });
  });

  it.each([
    [200, undefined, true],
    [404, undefined, true],
    [503, undefined, false],
    [0, undefined, false],
    [200, "0", true],
    [200, "14", false],
  ])("outbound %s grpc-status %s → ok %s", (code, grpc, ok) => {
    const e = entry(
      "outbound|80|v2|reviews.default.svc.cluster.local",
      code,
      grpc === undefined
        ? {}
        : { response: { response_code: { value: code }, response_trailers: { "grpc-status": grpc } } },
    );
    const facts = readEntry(e, 0);
    expect(facts).toMatchObject({ kind: "outbound", ok, target: { service: "reviews", version: "v2" } });
  });

  it("reads grpc-status from headers for trailers-only replies", () => {
    const e = entry("outbound|80|v1|ratings", 200, {
      response: { response_code: { value: 200 }, response_headers: { "grpc-status": "13" } },
    });
    expect(readEntry(e, 0)).toMatchObject({ ok: false });
  });

  it("has no target without a subset, and no txn for an invalid id", () => {
    const e = entry("outbound|9080||details.default.svc.cluster.local", 200, {
      request: { request_id: "not an id" },
    });
    expect(readEntry(e, 0)).toMatchObject({ kind: "outbound", target: null, txn: null });
  });

  it("uses now when Envoy gave no start time; status 0 when no response code", () => {
    expect(readEntry({ common_properties: { upstream_cluster: "BlackHoleCluster" } }, 42)).toEqual({
      kind: "other",
      txn: null,
      status: 0,
      at: 42,
    });
  });
});
