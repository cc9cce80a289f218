/** The new version's Deployment and HPA as computed from the old ones (pure). */
import type { V1Deployment, V2HorizontalPodAutoscaler } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { hpaCopy, targets } from "./hpa-copies.js";
import {
  deriveImage,
  selectorHasVersion,
  versionDeployment,
  versionDifferences,
  versionName,
  versionSelector,
} from "./version-template.js";

const request = { service: "item", version: "v2", fromVersion: "v1" };

function old(overrides: Partial<V1Deployment["spec"]> = {}): V1Deployment {
  return {
    metadata: {
      name: "item-v1",
      namespace: "shop",
      labels: {
        app: "item",
        version: "v1",
        "app.kubernetes.io/instance": "shop",
        "argocd.argoproj.io/instance": "shop",
        "kustomize.toolkit.fluxcd.io/name": "apps",
        "app.kubernetes.io/managed-by": "Helm",
      },
      annotations: { "meta.helm.sh/release-name": "shop", "deployment.kubernetes.io/revision": "4" },
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          name: "release",
          uid: "u-1",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      uid: "old-uid",
      resourceVersion: "42",
    },
    spec: {
      replicas: 4,
      paused: true,
      revisionHistoryLimit: 3,
      selector: { matchLabels: { app: "item", version: "v1" } },
      template: {
        metadata: { labels: { app: "item", version: "v1", "pod-template-hash": "abc" } },
        spec: {
          initContainers: [{ name: "migrate", image: "tranquil/item-migrate:v1" }],
          containers: [
            { name: "istio-proxy", image: "proxyv2:1.27" },
            { name: "app", image: "tranquil/item:v1", env: [{ name: "MODE", value: "x" }] },
            { name: "tranquil-trace-manager", image: "tranquil/trace-manager:1" },
          ],
        },
      },
      ...overrides,
    },
  };
}

describe("versionName", () => {
  it.each([
    ["item-v1", "item-v2"],
    ["item-blue-v1", "item-blue-v2"],
    ["item", "item-v2"],
    ["v1", "item-v2"],
    ["item-v10", "item-v2"],
  ])("%s → %s", (from, to) => {
    expect(versionName(from, request)).toBe(to);
  });
});

describe("deriveImage", () => {
  it.each([
    ["tranquil/item:v1", { ok: true, image: "tranquil/item:v2" }],
    ["registry.local:5000/shop/item:v1", { ok: true, image: "registry.local:5000/shop/item:v2" }],
    [
      "registry.local:5000/shop/item",
      { ok: false, reason: 'registry.local:5000/shop/item has no tag, not the version "v1"' },
    ],
    [
      "tranquil/item:1.4.2",
      { ok: false, reason: 'tranquil/item:1.4.2 has tag "1.4.2", not the version "v1"' },
    ],
    [
      "tranquil/item:v1@sha256:00ff",
      { ok: false, reason: "tranquil/item:v1@sha256:00ff is pinned by digest" },
    ],
  ])("%s", (image, expected) => {
    expect(deriveImage(image, "v1", "v2")).toEqual(expected);
  });
});

describe("selectorHasVersion", () => {
  it.each([
    [{ matchLabels: { app: "item", version: "v1" } }, true],
    [{ matchLabels: { app: "item" } }, false],
    [{ matchLabels: { app: "item", version: "v0" } }, false],
    [{ matchExpressions: [{ key: "version", operator: "In", values: ["v1"] }] }, true],
    [{ matchExpressions: [{ key: "version", operator: "In", values: ["v1", "v2"] }] }, false],
    [{ matchExpressions: [{ key: "version", operator: "Exists" }] }, false],
    [undefined, false],
  ])("%j → %s", (selector, expected) => {
    expect(selectorHasVersion(selector, "v1")).toBe(expected);
  });

  it("pins the new version in place of a version expression", () => {
    const selector = versionSelector(
      {
        matchLabels: { app: "item" },
        matchExpressions: [
          { key: "version", operator: "In", values: ["v1"] },
          { key: "tier", operator: "NotIn", values: ["batch"] },
        ],
      },
      "v2",
    );
    expect(selector).toEqual({
      matchLabels: { app: "item", version: "v2" },
      matchExpressions: [{ key: "tier", operator: "NotIn", values: ["batch"] }],
    });
  });
});

describe("versionDeployment", () => {
  const built = versionDeployment(old(), {
    ...request,
    image: "tranquil/item:v2",
    replicas: 2,
    upgrade: "up-1",
  });

  it("replaces only the app container's image and the version label of the template", () => {
    const spec = built.spec?.template.spec;
    expect(spec?.containers.map((c) => c.image)).toEqual([
      "proxyv2:1.27",
      "tranquil/item:v2",
      "tranquil/trace-manager:1",
    ]);
    expect(spec?.containers[1]?.env).toEqual([{ name: "MODE", value: "x" }]);
    expect(spec?.initContainers?.[0]?.image).toBe("tranquil/item-migrate:v1");
    expect(built.spec?.template.metadata?.labels).toEqual({ app: "item", version: "v2" });
    expect(built.spec?.selector).toEqual({ matchLabels: { app: "item", version: "v2" } });
  });

  it("keeps the Deployment's own settings but never starts paused, with the replicas asked for", () => {
    expect(built.spec?.replicas).toBe(2);
    expect(built.spec?.revisionHistoryLimit).toBe(3);
    expect(built.spec?.paused).toBeUndefined();
  });

  it("copies the owners without blockOwnerDeletion, and no identity of the old object", () => {
    expect(built.metadata?.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", name: "release", uid: "u-1", controller: true },
    ]);
    expect(built.metadata?.uid).toBeUndefined();
    expect(built.metadata?.resourceVersion).toBeUndefined();
    expect(built.metadata?.name).toBe("item-v2");
    expect(built.metadata?.namespace).toBe("shop");
  });

  it("drops GitOps tracking labels and foreign annotations, and says who made it from what", () => {
    expect(built.metadata?.labels).toEqual({
      app: "item",
      version: "v2",
      "app.kubernetes.io/managed-by": "tranquil",
      "tranquil.dev/upgrade": "up-1",
    });
    expect(built.metadata?.annotations).toEqual({
      "tranquil.dev/from-deployment": "item-v1",
      "tranquil.dev/from-version": "v1",
    });
  });

  it("does not change the old Deployment it was built from", () => {
    const source = old();
    const before = JSON.stringify(source);
    versionDeployment(source, { ...request, image: "x:v2", replicas: 1 });
    expect(JSON.stringify(source)).toBe(before);
  });
});

describe("versionDifferences", () => {
  const existing = versionDeployment(old(), { ...request, image: "tranquil/item:v2", replicas: 1 });
  it.each([
    [{ version: "v2" }, []],
    [{ version: "v2", image: "tranquil/item:v2" }, []],
    [
      { version: "v2", image: "tranquil/item:v3" },
      ["its image is tranquil/item:v2, the upgrade asks for tranquil/item:v3"],
    ],
    [{ version: "v3" }, ["its selector does not pin version=v3"]],
  ])("%j", (asked, expected) => {
    expect(versionDifferences(existing, asked)).toEqual(expected);
  });
});

describe("hpaCopy", () => {
  const target: V1Deployment = { metadata: { name: "item-v2", namespace: "shop", uid: "new-uid" } };
  const hpa = (name: string): V2HorizontalPodAutoscaler => ({
    metadata: { name, namespace: "shop", labels: { "argocd.argoproj.io/instance": "shop", version: "v1" } },
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "item-v1" },
      minReplicas: 2,
      maxReplicas: 9,
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    },
  });

  it.each([
    ["item-v1", "item-v2"],
    ["item", "item-v2"],
    ["item-hpa", "item-hpa-v2"],
  ])("names the copy of %s %s", (from, to) => {
    expect(hpaCopy(hpa(from), target, "v1", "v2").metadata?.name).toBe(to);
  });

  it("targets the new Deployment, is owned by it, and keeps bounds and behaviour", () => {
    const copy = hpaCopy(hpa("item-v1"), target, "v1", "v2");
    expect(copy.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "item-v2" },
      minReplicas: 2,
      maxReplicas: 9,
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
    });
    expect(copy.metadata?.ownerReferences).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", name: "item-v2", uid: "new-uid" },
    ]);
    expect(copy.metadata?.labels).toEqual({ version: "v2", "app.kubernetes.io/managed-by": "tranquil" });
    expect(targets(copy, "item-v2")).toBe(true);
    expect(targets(copy, "item-v1")).toBe(false);
  });
});
