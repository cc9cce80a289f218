import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { MemoryTraceStore } from "./store/memory.js";
import { startHarness, eventually, newTxnId, type Harness } from "./testing/harness.js";
import { alsEntry, alsMessage, checkRequest } from "./testing/envoy-messages.js";
import { enrolmentBucket } from "./gateway/enrolment.js";
import type { TxnId } from "./store/port.js";
import type { CheckResponse } from "./proto/types.js";

function enrolmentOf(res: CheckResponse): { set: string | null; removed: boolean } {
  const header = res.ok_response?.headers?.find((h) => h.header?.key === "x-tranquil-release");
  if (header !== undefined) expect(header.append_action).toBe("OVERWRITE_IF_EXISTS_OR_ADD");
  return {
    set: header?.header?.value ?? null,
    removed: res.ok_response?.headers_to_remove?.includes("x-tranquil-release") ?? false,
  };
}

describe("gateway TraceManager", () => {
  let store: MemoryTraceStore;
  let h: Harness;

  beforeAll(async () => {
    store = new MemoryTraceStore();
    await store.putUpgrade({
      id: "up-half",
      hosts: ["reviews"],
      weight: 50,
      watchEpochs: false,
      at: Date.now(),
    });
    await store.putUpgrade({
      id: "up-none",
      hosts: ["ratings"],
      weight: 0,
      watchEpochs: false,
      at: Date.now(),
    });
    h = await startHarness(
      { role: "gateway", service: "ingressgateway", version: "gateway", pod: "gw-0", weightCacheMs: 50 },
      { store },
    );
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });

  it("decides enrolment deterministically from the txn hash vs the weight, and records the start", async () => {
    const txns = Array.from({ length: 60 }, newTxnId);
    let enrolled = 0;
    for (const txn of txns) {
      const want = enrolmentBucket(txn as TxnId, "up-half") < 50;
      const res = await h.check(checkRequest({ requestId: txn }));
      const again = await h.check(checkRequest({ requestId: txn }));
      expect(enrolmentOf(again)).toEqual(enrolmentOf(res));
      if (want) {
        enrolled++;
        expect(enrolmentOf(res)).toEqual({ set: "up-half", removed: false });
      } else {
        expect(enrolmentOf(res)).toEqual({ set: null, removed: true });
      }
    }
    // 60 draws at 50%: both outcomes occur.
    expect(enrolled).toBeGreaterThan(0);
    expect(enrolled).toBeLessThan(60);
    const ingress = await store.ingress("up-half");
    expect(ingress.enrolledInFlight + ingress.nonEnrolledInFlight).toBe(60);
    expect(ingress.enrolledInFlight).toBe(enrolled);
    expect((await store.ingress("up-none")).enrolledInFlight).toBe(0);
  });

  it("overwrites a client-sent enrolment header, or removes it", async () => {
    for (let i = 0; i < 20; i++) {
      const txn = newTxnId();
      const res = await h.check(
        checkRequest({ requestId: txn, extraHeaders: { "x-tranquil-release": "up-none,up-half" } }),
      );
      const e = enrolmentOf(res);
      expect(e.set === "up-half" || e.removed).toBe(true);
      expect(e.set ?? "").not.toContain("up-none");
    }
    // Without a valid id nothing is tracked, and the client's header is still removed.
    const bad = await h.check(
      checkRequest({ requestId: "forged id", extraHeaders: { "x-tranquil-release": "up-half" } }),
    );
    expect(enrolmentOf(bad)).toEqual({ set: null, removed: true });
  });

  it("applies a weight change after the cache expires and reports the weight versions applied", async () => {
    const up = await store.putUpgrade({
      id: "up-none",
      hosts: ["ratings"],
      weight: 100,
      watchEpochs: false,
      at: Date.now(),
    });
    await eventually(
      async () =>
        enrolmentOf(await h.check(checkRequest({ requestId: newTxnId() }))).set?.includes("up-none") === true,
    );
    const res = await h.check(checkRequest({ requestId: newTxnId() }));
    expect(enrolmentOf(res).set?.split(",")).toContain("up-none");
    const report = await h.tm.heartbeat();
    expect(report.weightVersions["up-none"]).toBe(up.weightVersion);
    expect(report.role).toBe("gateway");
  });

  it("ends ingress transactions from ALS (request_id is x-request-id)", async () => {
    await store.putUpgrade({
      id: "up-end",
      hosts: ["details"],
      weight: 100,
      watchEpochs: false,
      at: Date.now(),
    });
    await eventually(
      async () =>
        enrolmentOf(await h.check(checkRequest({ requestId: newTxnId() }))).set?.includes("up-end") === true,
    );
    const before = (await store.ingress("up-end")).enrolledInFlight;
    const txn = newTxnId();
    await h.check(checkRequest({ requestId: txn }));
    expect((await store.ingress("up-end")).enrolledInFlight).toBe(before + 1);
    const als = h.openAls();
    als.write(
      alsMessage(
        [
          alsEntry({
            cluster: "outbound|9080|v1|details.default.svc.cluster.local",
            requestId: txn,
            code: 200,
          }),
        ],
        { id: "router~gw", cluster: "istio-ingressgateway" },
      ),
    );
    await als.end();
    await eventually(async () => (await store.ingress("up-end")).enrolledInFlight === before);
    expect((await store.versionStats("details", "v1", 0)).requests).toBe(1);
  });
});
