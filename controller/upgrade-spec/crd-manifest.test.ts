import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { initialStatus } from "../engine/status.js";
import { parseInstant } from "../kubernetes/upgrades/instant.js";
import { encodeStatus } from "../kubernetes/upgrades/status-codec.js";
import {
  CRD_MANIFEST_HEADER,
  CRD_MANIFEST_PATH,
  renderUpgradeCrdYaml,
  upgradeCrd,
  writeUpgradeCrd,
} from "./crd-manifest.js";
import { validateUpgradeSpec } from "./validate.js";

type Node = Record<string, unknown>;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The CRD's one version and its root schema. */
function versionOf(crd: Node): { version: Node; root: Node } {
  const spec = crd.spec as Node;
  const version = (spec.versions as Node[])[0]!;
  const root = (version.schema as Node).openAPIV3Schema as Node;
  return { version, root };
}

/**
 * Kubernetes' structural-schema rules, as far as they can be checked on the schema alone
 * ("Specifying a structural schema",
 * https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema):
 * 1. a non-empty `type` on the root, on every field of an object node (`properties`,
 *    `additionalProperties`) and on every array item (`items`), except nodes with
 *    `x-kubernetes-int-or-string: true` or `x-kubernetes-preserve-unknown-fields: true`;
 * 2. within `allOf`/`anyOf`/`oneOf`/`not`, no `description`, `type`, `default`,
 *    `additionalProperties` or `nullable` (we go further: none of these junctors at all at the root);
 * 3. `metadata` may only restrict `name` and `generateName`.
 * The API server also refuses `$ref`, and `properties` together with `additionalProperties`.
 * Returns every breach found, as `path: rule`.
 */
function structuralProblems(root: Node): string[] {
  const problems: string[] = [];
  const junctors = ["allOf", "anyOf", "oneOf", "not"] as const;
  const forbiddenInJunctors = ["description", "type", "default", "additionalProperties", "nullable"];
  for (const j of junctors) if (j in root) problems.push(`<root>: ${j} at the root`);

  const visit = (node: Node, path: string): void => {
    const exempt =
      node["x-kubernetes-int-or-string"] === true || node["x-kubernetes-preserve-unknown-fields"] === true;
    if (!exempt && (typeof node.type !== "string" || node.type === ""))
      problems.push(`${path}: no type (rule 1)`);
    if ("$ref" in node) problems.push(`${path}: $ref`);
    if ("properties" in node && "additionalProperties" in node)
      problems.push(`${path}: properties with additionalProperties`);
    if (node.additionalProperties === false) problems.push(`${path}: additionalProperties: false`);
    for (const j of junctors) {
      const subs = node[j];
      const list: Node[] = Array.isArray(subs) ? (subs as Node[]) : subs === undefined ? [] : [subs as Node];
      for (const sub of list)
        for (const key of forbiddenInJunctors)
          if (JSON.stringify(sub).includes(`"${key}"`)) problems.push(`${path}.${j}: sets ${key} (rule 2)`);
    }
    const props = (node.properties ?? {}) as Record<string, Node>;
    for (const req of (node.required ?? []) as string[])
      if (!(req in props) && !exempt) problems.push(`${path}: required ${req} is not a property`);
    for (const [name, child] of Object.entries(props)) visit(child, `${path}.${name}`);
    if (typeof node.additionalProperties === "object") visit(node.additionalProperties as Node, `${path}.*`);
    if (node.items !== undefined) visit(node.items as Node, `${path}[]`);
  };
  visit(root, "<root>");

  const metadata = (root.properties as Record<string, Node> | undefined)?.metadata;
  for (const key of Object.keys(metadata?.properties ?? {}))
    if (key !== "name" && key !== "generateName") problems.push(`metadata.${key}: restricted (rule 3)`);
  return problems;
}

/**
 * The schema as ajv (JSON Schema draft-07) reads it. ajv checks the OpenAPI v3 subset the API
 * server enforces (types, bounds, patterns, enums, required), after two translations:
 * OpenAPI 3.0 spells an exclusive bound as `exclusiveMinimum: true` beside `minimum`, and the
 * API server with strict field validation (kubectl's default) rejects unknown fields, which we
 * model as `additionalProperties: false` on every node that lists properties and does not
 * preserve unknown fields.
 */
function forAjv(node: Node): Node {
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-kubernetes-")) continue;
    if (key === "properties")
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Node>).map(([k, v]) => [k, forAjv(v)]),
      );
    else if (key === "items") out.items = forAjv(value as Node);
    else if (key === "exclusiveMinimum" && value === true) out.exclusiveMinimum = node.minimum;
    else if (key === "minimum" && node.exclusiveMinimum === true) continue;
    else out[key] = value;
  }
  // `metadata` has no properties here: the API server checks it as ObjectMeta itself.
  if (node.properties !== undefined && node["x-kubernetes-preserve-unknown-fields"] !== true)
    out.additionalProperties = false;
  return out;
}

const validSpec = {
  services: [
    { name: "order", from: "v1", to: "v2", image: "registry.local/order:2.0" },
    { name: "item", from: "v1", to: "v2" },
  ],
  strategy: {
    steps: [10, 50, 100],
    stepInterval: "30s",
    analysis: { successRate: { min: 99 }, latencyP99: { maxMs: 250 } },
    failureLimit: 1,
  },
  drain: { maxTransactionAge: "10m", timeout: "30m", onTimeout: "wait", settle: "2s" },
  paused: false,
};

describe("upgradeCrd", () => {
  const crd = upgradeCrd();
  const { version, root } = versionOf(crd);

  it("names the Upgrade API and its status subresource and printer columns", () => {
    expect(crd).toMatchObject({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "upgrades.tranquil.dev" },
      spec: {
        group: "tranquil.dev",
        scope: "Namespaced",
        names: { kind: "Upgrade", plural: "upgrades", shortNames: ["upg"] },
      },
    });
    expect(version).toMatchObject({ name: "v1alpha1", served: true, storage: true });
    expect(version.subresources).toEqual({ status: {} });
    expect((version.additionalPrinterColumns as Node[]).map((c) => [c.name, c.type, c.jsonPath])).toEqual([
      ["Phase", "string", ".status.phase"],
      ["Weight", "integer", ".status.weight"],
      ["Step", "integer", ".status.step"],
      ["Age", "date", ".metadata.creationTimestamp"],
    ]);
  });

  it("matches the committed manifest, so the two cannot drift", () => {
    const committed = readFileSync(join(repoRoot, CRD_MANIFEST_PATH), "utf8");
    // Compare parsed documents: a formatter may restyle the YAML without changing it.
    expect(parse(committed)).toEqual(crd);
    expect(committed.startsWith(CRD_MANIFEST_HEADER)).toBe(true);
  });

  it("is written by the CLI entry's writer exactly as rendered", () => {
    const dir = mkdtempSync(join(tmpdir(), "tranquil-crd-"));
    try {
      const out = join(dir, "nested", "crd.yaml");
      writeUpgradeCrd(out);
      expect(readFileSync(out, "utf8")).toBe(renderUpgradeCrdYaml());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a structural schema", () => {
    expect(structuralProblems(root)).toEqual([]);
    // The engine's bookkeeping is kept, not pruned; everything else is typed.
    const status = (root.properties as Record<string, Node>).status!;
    expect((status.properties as Record<string, Node>).engine).toMatchObject({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
  });

  it.each<[string, Node, string]>([
    ["an untyped field", { type: "object", properties: { a: {} } }, "<root>.a: no type (rule 1)"],
    ["a $ref", { type: "object", properties: { a: { type: "string", $ref: "#/x" } } }, "<root>.a: $ref"],
    [
      "properties beside additionalProperties",
      { type: "object", properties: { a: { type: "string" } }, additionalProperties: { type: "string" } },
      "<root>: properties with additionalProperties",
    ],
    ["anyOf at the root", { type: "object", anyOf: [{ required: ["a"] }] }, "<root>: anyOf at the root"],
    [
      "a type inside oneOf",
      { type: "object", properties: { a: { type: "string", oneOf: [{ type: "string" }] } } },
      "<root>.a.oneOf: sets type (rule 2)",
    ],
    [
      "a restricted metadata field",
      {
        type: "object",
        properties: { metadata: { type: "object", properties: { labels: { type: "object" } } } },
      },
      "metadata.labels: restricted (rule 3)",
    ],
  ])("the structural check catches %s", (_name, schema, problem) => {
    expect(structuralProblems(schema)).toContain(problem);
  });

  describe("validates Upgrade objects the way the API server would", () => {
    // `date-time` as the API server checks it: an RFC 3339 instant.
    const dateTime = (text: string): boolean => {
      try {
        parseInstant(text, "");
        return true;
      } catch {
        return false;
      }
    };
    const ajv = new Ajv({ allErrors: true, formats: { "date-time": dateTime } });
    const checkObject = ajv.compile(forAjv(root));
    const upgrade = (spec: unknown, status?: unknown): Node => ({
      apiVersion: "tranquil.dev/v1alpha1",
      kind: "Upgrade",
      metadata: { name: "order-v2", namespace: "shop" },
      spec,
      ...(status === undefined ? {} : { status }),
    });

    it("accepts a valid Upgrade, which the runtime validator accepts too", () => {
      expect(checkObject(upgrade(validSpec)), JSON.stringify(checkObject.errors)).toBe(true);
      expect(validateUpgradeSpec(validSpec).ok).toBe(true);
      expect(checkObject(upgrade({ services: [{ name: "order", from: "v1", to: "v2" }] }))).toBe(true);
    });

    it("accepts the status the engine starts from, as the Kubernetes backend stores it (JSON, RFC 3339)", () => {
      const status = JSON.parse(JSON.stringify(encodeStatus(initialStatus(1_700_000_000_000)))) as unknown;
      expect(checkObject(upgrade(validSpec, status)), JSON.stringify(checkObject.errors)).toBe(true);
    });

    it("refuses epoch milliseconds where the status has an instant", () => {
      const status = JSON.parse(JSON.stringify(initialStatus(1_700_000_000_000))) as unknown;
      expect(checkObject(upgrade(validSpec, status))).toBe(false);
      expect(checkObject.errors?.map((e) => e.instancePath)).toContain("/status/history/0/at");
      const stored = JSON.parse(JSON.stringify(encodeStatus(initialStatus(0)))) as Node;
      const history = [{ ...(stored.history as Node[])[0], at: "yesterday" }];
      expect(checkObject(upgrade(validSpec, { ...stored, history }))).toBe(false);
    });

    it.each<[string, unknown, string]>([
      ["an unknown top-level field", { ...validSpec, replicas: 3 }, "/spec"],
      ["an unknown nested field", { ...validSpec, strategy: { stepz: [100] } }, "/spec/strategy"],
      ["a step over 100", { ...validSpec, strategy: { steps: [50, 101] } }, "/spec/strategy/steps/1"],
      [
        "a zero maxMs (exclusive bound)",
        { ...validSpec, strategy: { analysis: { latencyP99: { maxMs: 0 } } } },
        "/spec/strategy/analysis/latencyP99/maxMs",
      ],
      [
        "an upper-case service name",
        { services: [{ name: "Order", from: "v1", to: "v2" }] },
        "/spec/services/0/name",
      ],
      ["no services", { services: [] }, "/spec/services"],
      ["a bad onTimeout", { ...validSpec, drain: { onTimeout: "later" } }, "/spec/drain/onTimeout"],
    ])("refuses %s", (_name, spec, at) => {
      expect(checkObject(upgrade(spec))).toBe(false);
      expect(checkObject.errors?.map((e) => e.instancePath)).toContain(at);
      // The runtime validator, built from the same schema, refuses it too.
      expect(validateUpgradeSpec(spec).ok).toBe(false);
    });

    it("refuses a status with an unknown phase but keeps any engine bookkeeping", () => {
      const status = JSON.parse(JSON.stringify(encodeStatus(initialStatus(0)))) as Node;
      expect(checkObject(upgrade(validSpec, { ...status, phase: "Sleeping" }))).toBe(false);
      const engine = { ...(status.engine as Node), futureField: { anything: [1, "two"] } };
      expect(checkObject(upgrade(validSpec, { ...status, engine }))).toBe(true);
    });
  });
});
