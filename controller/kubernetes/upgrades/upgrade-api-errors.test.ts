import { ApiException } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { UpgradeConflictError, UpgradeExistsError, UpgradeNotFoundError } from "../../ports/upgrade-store.js";
import {
  upgradeApiError,
  UpgradeApiError,
  UpgradeCrdMissingError,
  UpgradeForbiddenError,
  UpgradeInvalidError,
  UpgradeNamespaceError,
  type UpgradeCall,
} from "./upgrade-api-errors.js";

const key = { namespace: "shop", name: "auth-v2" };
const write: UpgradeCall = {
  verb: "update",
  resource: "upgrades/status",
  namespace: "shop",
  key,
  resourceVersion: "5",
};

/** An ApiException as client-node throws it: the body is the v1 Status as a JSON string. */
function refused(code: number, status: object): ApiException<string> {
  return new ApiException(
    code,
    "Unknown API Status Code!",
    JSON.stringify({ kind: "Status", code, ...status }),
    {},
  );
}

describe("upgradeApiError", () => {
  it.each<[string, ApiException<string>, UpgradeCall, new (...a: never[]) => Error, RegExp]>([
    [
      "a stale resourceVersion",
      refused(409, { reason: "Conflict", message: "modified" }),
      { ...write, currentVersion: () => "7" },
      UpgradeConflictError,
      /resourceVersion 5 is stale \(now 7\)/,
    ],
    [
      "a name taken",
      refused(409, { reason: "AlreadyExists" }),
      { ...write, verb: "create" },
      UpgradeExistsError,
      /already exists/,
    ],
    [
      "a missing Upgrade",
      refused(404, {
        reason: "NotFound",
        details: { name: "auth-v2", group: "tranquil.dev", kind: "upgrades" },
      }),
      write,
      UpgradeNotFoundError,
      /not found/,
    ],
    [
      "a missing namespace",
      refused(404, { reason: "NotFound", details: { name: "shop", kind: "namespaces" } }),
      { ...write, verb: "create" },
      UpgradeNamespaceError,
      /^namespace shop does not exist$/,
    ],
    [
      "a resource not served",
      refused(404, { reason: "NotFound", message: "the server could not find the requested resource" }),
      write,
      UpgradeCrdMissingError,
      /^the Upgrade CRD is not installed: kubectl apply -f manifests\/crd\/upgrades\.tranquil\.dev\.yaml$/,
    ],
    [
      "RBAC",
      refused(403, { reason: "Forbidden", message: "User x cannot update" }),
      write,
      UpgradeForbiddenError,
      /^forbidden to update upgrades\/status in namespace shop: .*\(the API server said: User x cannot update\)$/,
    ],
    [
      "the schema",
      refused(422, {
        reason: "Invalid",
        message: "spec.x: Invalid",
        details: { causes: [{ field: "spec.x", message: "Invalid" }] },
      }),
      write,
      UpgradeInvalidError,
      /^spec\.x: Invalid$/,
    ],
    [
      "anything else",
      refused(500, { message: "etcd is down" }),
      write,
      UpgradeApiError,
      /^update upgrades\/status \(shop\/auth-v2\) failed with HTTP 500: etcd is down$/,
    ],
  ])("maps %s", (_what, err, call, type, message) => {
    const mapped = upgradeApiError(err, call);
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.message).toMatch(message);
  });

  it("keeps the status, the causes and the client's error", () => {
    const err = refused(422, {
      message: "m",
      details: { causes: [{ field: "spec.services[0].name", message: "bad" }] },
    });
    const mapped = upgradeApiError(err, write) as UpgradeInvalidError;
    expect(mapped.status).toBe(422);
    expect(mapped.causes).toEqual([{ field: "spec.services[0].name", message: "bad" }]);
    expect(mapped.cause).toBe(err);
  });

  it("reads a failed watch, which has only an HTTP status, and passes other errors as they are", () => {
    const watchErr = Object.assign(new Error("Forbidden"), { statusCode: 403 });
    const mapped = upgradeApiError(watchErr, { verb: "watch", resource: "upgrades" });
    expect(mapped.message).toMatch(
      /^forbidden to watch upgrades in every namespace: .*the API server said: Forbidden/,
    );
    const other = new TypeError("fetch failed");
    expect(upgradeApiError(other, write)).toBe(other);
  });
});
