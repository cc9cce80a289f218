/**
 * The shipped manifest (`manifests/injection/tranquil-injector.yaml`) agrees with the code: the
 * names the webhook defaults to, the path it serves, the label it selects by, and the
 * never-block policy. The API server's own acceptance is tested in test/cluster/injection.test.ts.
 */
import { readFileSync } from "node:fs";
import {
  loadAllYaml,
  type KubernetesObject,
  type V1ClusterRole,
  type V1Deployment,
  type V1MutatingWebhookConfiguration,
  type V1Role,
  type V1Service,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { INJECTOR_DEFAULTS } from "./injector-config.js";
import { INJECT_LABEL, InjectValue } from "./injection-names.js";
import { INJECT_PATH } from "./webhook-server.js";

const MANIFEST = new URL("../../../manifests/injection/tranquil-injector.yaml", import.meta.url);
const objects = loadAllYaml(readFileSync(MANIFEST, "utf8")) as KubernetesObject[];
const one = (kind: string): unknown => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};

describe("the injection manifest", () => {
  it("calls the webhook's Service on the path it serves, with the names the code defaults to", () => {
    const config = one("MutatingWebhookConfiguration") as V1MutatingWebhookConfiguration;
    expect(config.metadata?.name).toBe(INJECTOR_DEFAULTS.webhookConfigName);
    for (const w of config.webhooks ?? []) {
      expect(w.clientConfig.service).toEqual({
        name: INJECTOR_DEFAULTS.service,
        namespace: "tranquil-system",
        path: INJECT_PATH,
        port: 443,
      });
      expect(w.clientConfig.caBundle).toBeUndefined();
    }
    const service = one("Service") as V1Service;
    expect(service.metadata?.name).toBe(INJECTOR_DEFAULTS.service);
    const container = (one("Deployment") as V1Deployment).spec?.template.spec?.containers[0];
    expect(container?.ports?.[0]?.containerPort).toBe(INJECTOR_DEFAULTS.port);
    expect(service.spec?.ports?.[0]?.targetPort).toBe(container?.ports?.[0]?.name);
  });

  it("never blocks a pod: Ignore, 2 s, no side effects, v1 reviews, pod CREATE only, run again when needed", () => {
    for (const w of (one("MutatingWebhookConfiguration") as V1MutatingWebhookConfiguration).webhooks ?? []) {
      expect(w).toMatchObject({
        failurePolicy: "Ignore",
        timeoutSeconds: 2,
        sideEffects: "None",
        admissionReviewVersions: ["v1"],
        reinvocationPolicy: "IfNeeded",
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
      });
    }
  });

  it("selects by the label the handler reads, in two disjoint webhooks, and never injects the injector", () => {
    const [byNamespace, byPod] =
      (one("MutatingWebhookConfiguration") as V1MutatingWebhookConfiguration).webhooks ?? [];
    expect(byNamespace?.namespaceSelector?.matchLabels).toEqual({ [INJECT_LABEL]: InjectValue.enabled });
    expect(byNamespace?.objectSelector?.matchExpressions).toEqual([
      { key: INJECT_LABEL, operator: "NotIn", values: [InjectValue.disabled] },
    ]);
    expect(byPod?.namespaceSelector?.matchExpressions?.[0]).toEqual({
      key: INJECT_LABEL,
      operator: "NotIn",
      values: [InjectValue.enabled],
    });
    expect(byPod?.objectSelector?.matchLabels).toEqual({ [INJECT_LABEL]: InjectValue.enabled });
    const labels = (one("Deployment") as V1Deployment).spec?.template.metadata?.labels ?? {};
    expect(labels[INJECT_LABEL]).toBe(InjectValue.disabled);
  });

  it("grants only its own configuration and Secret by name", () => {
    expect((one("ClusterRole") as V1ClusterRole).rules).toEqual([
      {
        apiGroups: ["admissionregistration.k8s.io"],
        resources: ["mutatingwebhookconfigurations"],
        resourceNames: [INJECTOR_DEFAULTS.webhookConfigName],
        verbs: ["get", "update"],
      },
    ]);
    expect((one("Role") as V1Role).rules).toEqual([
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: [INJECTOR_DEFAULTS.secretName],
        verbs: ["get", "update"],
      },
      { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
    ]);
  });
});
