/**
 * Upgrade uids for Events: `kubectl describe` finds an object's Events by its uid, so each Event
 * must carry the uid of the Upgrade as it exists now. Looked up with a get of the resource and
 * kept for a short while; an Upgrade deleted and made again under its name gets its new uid
 * once the entry expires.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { keyString, type UpgradeKey } from "../../ports/upgrade-store.js";
import { UPGRADE_API } from "../../upgrade-spec/crd-manifest.js";
import { apiStatusOf, describeKubeError } from "../kube-errors.js";

/** Looks up and caches uids. */
export class UpgradeUids {
  private readonly api: CustomObjectsApi;
  private readonly known = new Map<string, { uid: string; at: number }>();

  constructor(
    kc: KubeConfig,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** The uid of the Upgrade, or undefined when it does not exist; rejects on any other failure. */
  async uidOf(key: UpgradeKey): Promise<string | undefined> {
    const k = keyString(key);
    const cached = this.known.get(k);
    const now = this.clock();
    if (cached !== undefined && now - cached.at < this.ttlMs) return cached.uid;
    try {
      const obj = (await this.api.getNamespacedCustomObject({
        group: UPGRADE_API.group,
        version: UPGRADE_API.version,
        plural: UPGRADE_API.plural,
        namespace: key.namespace,
        name: key.name,
      })) as { metadata?: { uid?: string } };
      const uid = obj.metadata?.uid;
      if (uid === undefined) return undefined;
      this.known.set(k, { uid, at: now });
      return uid;
    } catch (err) {
      const status = apiStatusOf(err);
      if (status?.code === 404 && status.details?.name !== undefined) {
        this.known.delete(k);
        return undefined;
      }
      throw describeKubeError(err, {
        verb: "get",
        resource: `${UPGRADE_API.plural}.${UPGRADE_API.group}`,
        ...key,
      });
    }
  }
}
