import { describe, expect, it } from "vitest";
import {
  allowsMultipleProviders,
  appliesTo,
  customAuthzProblems,
  type AuthorizationPolicyObject,
  type Workload,
} from "./custom-authz.js";

const policy = (
  namespace: string,
  name: string,
  spec: NonNullable<AuthorizationPolicyObject["spec"]>,
): AuthorizationPolicyObject => ({ metadata: { namespace, name }, spec });
const custom = (namespace: string, name: string, provider: string, matchLabels?: Record<string, string>) =>
  policy(namespace, name, {
    action: "CUSTOM",
    provider: { name: provider },
    ...(matchLabels === undefined ? {} : { selector: { matchLabels } }),
  });

const auth: Workload = {
  name: "auth-service@v1",
  namespace: "shop",
  labels: { app: "auth-service", version: "v1" },
};
const gateway: Workload = {
  name: "the ingress gateway",
  namespace: "istio-system",
  labels: { istio: "ingressgateway" },
};

describe("the CUSTOM authorization trap", () => {
  it("knows which pods a policy selects: its namespace (the root one mesh-wide), its labels, never targetRefs", () => {
    expect(appliesTo(custom("shop", "a", "p"), auth)).toBe(true);
    expect(appliesTo(custom("other", "a", "p"), auth)).toBe(false);
    expect(appliesTo(custom("istio-system", "a", "p"), auth)).toBe(true);
    expect(appliesTo(custom("istio-system", "a", "p", { app: "auth-service" }), auth)).toBe(true);
    expect(appliesTo(custom("shop", "a", "p", { app: "auth-service", version: "v2" }), auth)).toBe(false);
    expect(
      appliesTo(
        policy("shop", "a", { action: "CUSTOM", targetRefs: [{ kind: "Gateway", name: "gw" }] }),
        auth,
      ),
    ).toBe(false);
  });

  it("refuses pods that two CUSTOM providers select, naming the policies and the way out", () => {
    const policies = [
      custom("shop", "tranquil-sidecar", "tranquil-sidecar"),
      custom("shop", "oauth", "oauth2-proxy", { app: "auth-service" }),
      policy("shop", "allow", { action: "ALLOW" }),
    ];
    const problems = customAuthzProblems(policies, [auth, gateway], false);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.reason).toBe("ConflictingCustomAuthorization");
    expect(problems[0]?.message).toContain("auth-service@v1 in shop");
    expect(problems[0]?.message).toContain(
      "oauth2-proxy, tranquil-sidecar: shop/oauth, shop/tranquil-sidecar",
    );
    expect(problems[0]?.message).toContain("PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS=true");
    // Two policies of one provider are fine; so is everything when istiod allows several.
    expect(customAuthzProblems([custom("shop", "a", "p"), custom("shop", "b", "p")], [auth], false)).toEqual(
      [],
    );
    expect(customAuthzProblems(policies, [auth], true)).toEqual([]);
  });

  it("finds the trap at the ingress gateway through root-namespace policies", () => {
    const problems = customAuthzProblems(
      [
        custom("istio-system", "tranquil-gateway", "tranquil-gateway", { istio: "ingressgateway" }),
        custom("istio-system", "sso", "sso"),
      ],
      [auth, gateway],
      false,
    );
    // The mesh-wide `sso` meets Tranquil's gateway policy at the gateway only.
    expect(problems.map((p) => p.message.split(" are ")[0])).toEqual([
      "the pods of the ingress gateway in istio-system",
    ]);
  });

  it("reads istiod's switch for several providers", () => {
    expect(
      allowsMultipleProviders([{ name: "PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS", value: "true" }]),
    ).toBe(true);
    expect(
      allowsMultipleProviders([{ name: "PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS", value: "false" }]),
    ).toBe(false);
    expect(allowsMultipleProviders([])).toBe(false);
  });
});
