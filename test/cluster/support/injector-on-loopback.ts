/**
 * The injection webhook on a test cluster: the shipped manifest (`manifests/injection/`) read
 * as objects, its RBAC applied and a token of its ServiceAccount, and its
 * MutatingWebhookConfiguration rewritten to call a webhook on 127.0.0.1 instead of the Service
 * (the API server dials loopback; the selectors, policies and timeouts stay the shipped ones).
 */
import { readFile } from "node:fs/promises";
import {
  AuthorizationV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
  type V1MutatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { ensureNamespace, tokenKubeConfig } from "./token-kubeconfig.js";

/** The shipped manifest. */
export const INJECTOR_MANIFEST = new URL(
  "../../../manifests/injection/tranquil-injector.yaml",
  import.meta.url,
).pathname;

const RBAC_KINDS = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

/** Every object of the shipped manifest, in order. */
export async function injectorManifest(): Promise<KubernetesObject[]> {
  return loadAllYaml(await readFile(INJECTOR_MANIFEST, "utf8")) as KubernetesObject[];
}

/** The manifest's MutatingWebhookConfiguration, every webhook calling `url` instead of the Service. */
export function onLoopback(
  objects: readonly KubernetesObject[],
  url: string,
): V1MutatingWebhookConfiguration {
  const config = objects.find((o) => o.kind === "MutatingWebhookConfiguration");
  if (config === undefined) throw new Error(`${INJECTOR_MANIFEST} has no MutatingWebhookConfiguration`);
  const copy = structuredClone(config) as V1MutatingWebhookConfiguration;
  for (const w of copy.webhooks ?? []) w.clientConfig = { url };
  return copy;
}

/** Applies (server-side) each object as `kubectl apply --server-side` does. */
export async function applyAll(kc: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects)
    await api.patch(o, undefined, undefined, "tranquil-tests", true, PatchStrategy.ServerSideApply);
}

/**
 * Applies the manifest's RBAC and returns a KubeConfig acting as the injector's ServiceAccount,
 * once the authorizer lets it update its MutatingWebhookConfiguration and its Secret.
 */
export async function injectorKubeConfig(
  adminKc: KubeConfig,
  objects: readonly KubernetesObject[],
): Promise<KubeConfig> {
  const rbac = objects.filter((o) => RBAC_KINDS.includes(o.kind ?? ""));
  const sa = rbac.find((o) => o.kind === "ServiceAccount")?.metadata;
  const role = rbac.find((o) => o.kind === "Role")?.metadata;
  const webhookConfig = objects.find((o) => o.kind === "MutatingWebhookConfiguration")?.metadata?.name;
  if (sa?.name === undefined || sa.namespace === undefined || role?.namespace === undefined)
    throw new Error(`${INJECTOR_MANIFEST} lacks the ServiceAccount or the Role`);
  await ensureNamespace(adminKc, sa.namespace);
  await applyAll(adminKc, rbac);
  const kc = await tokenKubeConfig(adminKc, sa.namespace, sa.name);
  const api = kc.makeApiClient(AuthorizationV1Api);
  const allowed = async (attrs: Record<string, string>): Promise<boolean> =>
    (await api.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs } } })).status
      ?.allowed === true;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok =
      (await allowed({
        verb: "update",
        group: "admissionregistration.k8s.io",
        resource: "mutatingwebhookconfigurations",
        name: webhookConfig ?? "",
      })) && (await allowed({ verb: "create", group: "", resource: "secrets", namespace: role.namespace }));
    if (ok) return kc;
    if (Date.now() > deadline)
      throw new Error("the injector's ServiceAccount was not authorized within 15 s of applying its RBAC");
    await new Promise((r) => setTimeout(r, 100));
  }
}
