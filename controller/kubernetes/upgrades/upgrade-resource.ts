/**
 * The `Upgrade` resource (tranquil.dev/v1alpha1) as the UpgradeStore's record: the enrolment id
 * derived from namespace and name, commands from the `commands.tranquil.dev/<kind>`
 * annotations, instants in status as RFC 3339 strings. An Upgrade made with `kubectl apply`
 * has no status until the controller writes one; it reads as the initial status.
 */
import { initialStatus } from "../../engine/status.js";
import type { Command, UpgradeSpec } from "../../engine/types.js";
import type { UpgradeRecord } from "../../ports/upgrade-store.js";
import { UPGRADE_API } from "../../upgrade-spec/crd-manifest.js";
import { enrolmentId } from "../../upgrade-spec/enrolment-id.js";
import { statusFromResource } from "./status-instants.js";

/** The API version of the resource, `tranquil.dev/v1alpha1`. */
export const UPGRADE_API_VERSION = `${UPGRADE_API.group}/${UPGRADE_API.version}`;

/** The annotation prefix of commands: `commands.tranquil.dev/promote: <token>`. */
export const COMMAND_ANNOTATION_PREFIX = "commands.tranquil.dev/";

const COMMAND_KINDS: readonly Command["kind"][] = ["promote", "abort"];

/** An Upgrade as the API server returns it. */
export interface UpgradeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    uid?: string;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: UpgradeSpec;
  status?: Record<string, unknown>;
}

/** The annotation that carries a command of `kind`. */
export function commandAnnotation(kind: Command["kind"]): string {
  return `${COMMAND_ANNOTATION_PREFIX}${kind}`;
}

/** Reads a resource as the store's record. */
export function recordOf(obj: UpgradeObject): UpgradeRecord {
  const { name, namespace } = obj.metadata;
  const createdAt = Date.parse(obj.metadata.creationTimestamp ?? "");
  const annotations = obj.metadata.annotations ?? {};
  const commands = COMMAND_KINDS.flatMap((kind): Command[] => {
    const token = annotations[commandAnnotation(kind)];
    return token === undefined || token === "" ? [] : [{ kind, token }];
  });
  const status =
    obj.status === undefined || Object.keys(obj.status).length === 0
      ? initialStatus(Number.isFinite(createdAt) ? createdAt : Date.now())
      : statusFromResource(obj.status);
  return {
    namespace,
    name,
    id: enrolmentId(namespace, name),
    spec: obj.spec,
    status,
    commands,
    resourceVersion: obj.metadata.resourceVersion ?? "",
    createdAt: Number.isFinite(createdAt) ? createdAt : 0,
  };
}
