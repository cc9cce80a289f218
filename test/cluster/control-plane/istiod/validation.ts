/**
 * Istio's own validation in the local cluster's admission chain: a ValidatingWebhookConfiguration
 * that sends every write of Istio's config kinds to the local istiod's `/validate`, trusted
 * through the root certificate istiod publishes (the `istio-ca-root-cert` ConfigMap). What
 * Istio's chart installs as `istio-validator-istio-system`, with failurePolicy Fail from the
 * start (the chart starts with Ignore and lets istiod switch it once it serves).
 */
import {
  AdmissionregistrationV1Api,
  ApiException,
  CoreV1Api,
  type KubeConfig,
  type V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { ISTIO_NAMESPACE, type Istiod } from "./istiod.js";

/** The name of the registered configuration. */
export const ISTIO_VALIDATOR = "tranquil-local-istio-validator";

/** Istio's config API groups, the ones its chart's validator covers. */
const GROUPS = ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"];

/** istiod's root certificate (PEM), once it has published it; rejects after `timeoutMs`. */
export async function istioRootCert(kc: KubeConfig, timeoutMs = 30_000): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const cm = await core.readNamespacedConfigMap({
        name: "istio-ca-root-cert",
        namespace: ISTIO_NAMESPACE,
      });
      const pem = cm.data?.["root-cert.pem"];
      if (pem !== undefined && pem.includes("BEGIN CERTIFICATE")) return pem;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `istiod did not publish istio-ca-root-cert in ${ISTIO_NAMESPACE} within ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The configuration that sends Istio's config writes to `istiod`. */
export function validatorFor(
  istiod: Pick<Istiod, "webhookPort">,
  caPem: string,
): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: ISTIO_VALIDATOR },
    webhooks: [
      {
        name: "validation.istio.io",
        clientConfig: {
          url: `https://localhost:${istiod.webhookPort}/validate`,
          caBundle: Buffer.from(caPem).toString("base64"),
        },
        rules: [
          {
            apiGroups: GROUPS,
            apiVersions: ["*"],
            operations: ["CREATE", "UPDATE"],
            resources: ["*"],
          },
        ],
        failurePolicy: "Fail",
        sideEffects: "None",
        admissionReviewVersions: ["v1", "v1beta1"],
        timeoutSeconds: 10,
      },
    ],
  };
}

/** Registers (or replaces) the validator for `istiod`; returns the root certificate it trusts. */
export async function registerIstioValidation(
  kc: KubeConfig,
  istiod: Pick<Istiod, "webhookPort">,
): Promise<string> {
  const caPem = await istioRootCert(kc);
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const body = validatorFor(istiod, caPem);
  try {
    await api.createValidatingWebhookConfiguration({ body });
  } catch (err) {
    if (!(err instanceof ApiException && err.code === 409)) throw err;
    await api.replaceValidatingWebhookConfiguration({ name: ISTIO_VALIDATOR, body });
  }
  return caPem;
}
