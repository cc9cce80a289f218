/** What makes a pod a proxy, a gateway pod, or neither (pure). */
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { isProxyPod, selects, type IstioGateway } from "./proxy-entries.js";

const gateway = (selector?: Record<string, string>): IstioGateway => ({
  metadata: { name: "gw", namespace: "shop" },
  ...(selector !== undefined ? { spec: { selector } } : {}),
});
const pod = (labels: Record<string, string>, extra: Partial<V1Pod> = {}): V1Pod => ({
  metadata: { name: "p", labels },
  spec: { containers: [{ name: "istio-proxy" }] },
  ...extra,
});

describe("selects", () => {
  it.each([
    [{ istio: "ingressgateway" }, { istio: "ingressgateway", app: "x" }, true],
    [{ istio: "ingressgateway", zone: "a" }, { istio: "ingressgateway" }, false],
    [{ istio: "ingressgateway" }, { istio: "egressgateway" }, false],
    [{}, { istio: "ingressgateway" }, false],
    [undefined, { istio: "ingressgateway" }, false],
  ])("selector %j, labels %j → %s", (selector, labels, expected) => {
    expect(selects(gateway(selector), pod(labels))).toBe(expected);
  });
});

describe("isProxyPod", () => {
  it.each([
    ["a running pod with istio-proxy", pod({}, { status: { phase: "Running" } }), true],
    ["a pending pod with istio-proxy", pod({}, { status: { phase: "Pending" } }), true],
    ["a pod that succeeded", pod({}, { status: { phase: "Succeeded" } }), false],
    ["a pod that failed", pod({}, { status: { phase: "Failed" } }), false],
    ["a pod without a proxy", pod({}, { spec: { containers: [{ name: "app" }] } }), false],
    [
      "a pod with istio-proxy as a plain init container",
      pod({}, { spec: { initContainers: [{ name: "istio-proxy" }], containers: [{ name: "app" }] } }),
      false,
    ],
    [
      "a pod with istio-proxy as a native sidecar",
      pod(
        {},
        {
          spec: {
            initContainers: [{ name: "istio-proxy", restartPolicy: "Always" }],
            containers: [{ name: "app" }],
          },
        },
      ),
      true,
    ],
  ])("%s → %s", (_what, p, expected) => {
    expect(isProxyPod(p)).toBe(expected);
  });
});
