import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { InjectionMetrics } from "./injection-metrics.js";
import { makeReviewHandler } from "./review-handler.js";
import { SIDECAR_DEFAULTS, type SidecarTemplate } from "./sidecar-template.js";

const template: SidecarTemplate = {
  ...SIDECAR_DEFAULTS,
  image: "tm:1",
  traceStore: { url: "redis://r:6379" },
};

function review(object: unknown, kind = "Pod", operation = "CREATE"): unknown {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "3f1c-42",
      kind: { group: "", version: "v1", kind },
      operation,
      namespace: "shop",
      object,
    },
  };
}
const orderPod = {
  metadata: { labels: { app: "order", version: "v1" } },
  spec: { containers: [{ name: "order" }] },
};

function setup(decide?: () => never) {
  const metrics = new InjectionMetrics();
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (l: string) => lines.push(l) });
  const handle = makeReviewHandler({
    template,
    injectorVersion: "0.1.0",
    metrics,
    logger,
    ...(decide ? { decide } : {}),
  });
  return { handle, metrics, lines };
}

describe("the review handler", () => {
  it("echoes the uid and answers a JSONPatch, base64-encoded, for a pod to inject", async () => {
    const { handle, metrics } = setup();
    const answer = handle(review(orderPod));
    expect(answer).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
    expect(answer.response).toMatchObject({ uid: "3f1c-42", allowed: true, patchType: "JSONPatch" });
    const ops = JSON.parse(Buffer.from(answer.response.patch ?? "", "base64").toString("utf8")) as {
      path: string;
    }[];
    expect(ops.map((o) => o.path)).toContain("/spec/containers/-");
    expect(await metrics.countOf("injected", "")).toBe(1);
  });

  it.each([
    [
      "a pod that is already injected",
      review({ ...orderPod, spec: { containers: [{ name: "order" }, { name: "tranquil-trace-manager" }] } }),
      "skipped",
      "already-injected",
    ],
    [
      "a pod without identity labels",
      review({ spec: { containers: [{ name: "a" }] } }),
      "skipped",
      "no-identity",
    ],
    ["a Deployment", review({}, "Deployment"), "skipped", "not-a-pod-create"],
    ["a pod UPDATE", review(orderPod, "Pod", "UPDATE"), "skipped", "not-a-pod-create"],
    ["a body that is no review", { hello: "world" }, "error", "bad-review"],
    ["no body at all", undefined, "error", "bad-review"],
  ])("allows %s without a patch, and counts it", async (_what, body, result, reason) => {
    const { handle, metrics } = setup();
    const answer = handle(body);
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.patch).toBeUndefined();
    expect(answer.response.patchType).toBeUndefined();
    expect(await metrics.countOf(result as "skipped" | "error", reason)).toBe(1);
  });

  it("warns the client when a pod it should inject lacks its identity labels", () => {
    const { handle } = setup();
    const answer = handle(
      review({ metadata: { labels: { app: "order" } }, spec: { containers: [{ name: "a" }] } }),
    );
    expect(answer.response.warnings).toEqual([
      "Tranquil did not inject the TraceManager: the pod needs a DNS-label app or app.kubernetes.io/name label and a version or app.kubernetes.io/version label",
    ]);
    expect(answer.response.patch).toBeUndefined();
  });

  it("keeps the uid of a review whose apiVersion is wrong, so the API server can match the answer", () => {
    const { handle } = setup();
    const body = { apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: { uid: "u-1" } };
    expect(handle(body).response).toEqual({ uid: "u-1", allowed: true });
  });

  it("answers allowed without a patch when the decision throws, and logs and counts the error", async () => {
    const { handle, metrics, lines } = setup(() => {
      throw new Error("boom");
    });
    expect(handle(review(orderPod)).response).toEqual({ uid: "3f1c-42", allowed: true });
    expect(await metrics.countOf("error", "internal")).toBe(1);
    expect(lines.join("")).toContain("boom");
  });
});
