/** Which GitOps tool manages an object, and whether it self-heals (pure). */
import { describe, expect, it } from "vitest";
import { gitOpsManager, gitOpsSelfHeal, type MarkedMetadata } from "./gitops-markers.js";

describe("gitOpsManager and gitOpsSelfHeal", () => {
  it.each<[string, MarkedMetadata, string | undefined, boolean]>([
    ["nothing", {}, undefined, false],
    [
      "Argo CD's tracking-id annotation",
      {
        annotations: { "argocd.argoproj.io/tracking-id": "shop:networking.istio.io/VirtualService:shop/vs" },
      },
      "Argo CD",
      true,
    ],
    [
      "Argo CD's custom instance label",
      { labels: { "argocd.argoproj.io/instance": "shop" } },
      "Argo CD",
      true,
    ],
    [
      "app.kubernetes.io/instance alone (every Helm chart sets it)",
      { labels: { "app.kubernetes.io/instance": "shop" } },
      undefined,
      false,
    ],
    [
      "app.kubernetes.io/instance applied by Argo CD's server-side apply",
      { labels: { "app.kubernetes.io/instance": "shop" }, managedFields: [{ manager: "argocd-controller" }] },
      "Argo CD",
      true,
    ],
    [
      "app.kubernetes.io/instance written by Argo CD's client-side apply",
      {
        labels: { "app.kubernetes.io/instance": "shop" },
        managedFields: [{ manager: "argocd-application-controller" }],
      },
      "Argo CD",
      true,
    ],
    ["Flux's Kustomization label", { labels: { "kustomize.toolkit.fluxcd.io/name": "apps" } }, "Flux", true],
    ["Flux's HelmRelease label", { labels: { "helm.toolkit.fluxcd.io/name": "shop" } }, "Flux", true],
    ["Flux's field manager", { managedFields: [{ manager: "kustomize-controller" }] }, "Flux", true],
    [
      "Flux with reconcile disabled",
      {
        labels: { "kustomize.toolkit.fluxcd.io/name": "apps" },
        annotations: { "kustomize.toolkit.fluxcd.io/reconcile": "disabled" },
      },
      "Flux",
      false,
    ],
    [
      "Flux applying only if not present (as a label)",
      {
        labels: {
          "kustomize.toolkit.fluxcd.io/name": "apps",
          "kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent",
        },
      },
      "Flux",
      false,
    ],
    [
      "Flux told to ignore it",
      {
        labels: { "kustomize.toolkit.fluxcd.io/name": "apps" },
        annotations: { "kustomize.toolkit.fluxcd.io/ssa": "Ignore" },
      },
      "Flux",
      false,
    ],
    [
      "Flux merging (still re-applies what it owns)",
      {
        labels: { "kustomize.toolkit.fluxcd.io/name": "apps" },
        annotations: { "kustomize.toolkit.fluxcd.io/ssa": "Merge" },
      },
      "Flux",
      true,
    ],
    ["kubectl only", { managedFields: [{ manager: "kubectl-client-side-apply" }] }, undefined, false],
  ])("%s", (_what, meta, tool, selfHeal) => {
    expect(gitOpsManager(meta)).toBe(tool);
    expect(gitOpsSelfHeal(meta)).toBe(selfHeal);
  });
});
