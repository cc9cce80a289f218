import { LOCAL_MESH_V1, type ConfigStore, type Endpoint, type EndpointRecord } from "./types.js";

/** Namespace of the local mesh's workloads. */
export const MESH_NAMESPACE = "default";

/** Wraps an Endpoint as the store's record (name = pod). */
export function endpointRecord(ep: Endpoint, namespace = MESH_NAMESPACE): EndpointRecord {
  return { apiVersion: LOCAL_MESH_V1, kind: "Endpoint", metadata: { name: ep.pod, namespace }, spec: ep };
}

/** Creates or replaces an instance's endpoint (what the endpoints controller does on a pod change). */
export function upsertEndpoint(store: ConfigStore, ep: Endpoint, namespace = MESH_NAMESPACE): EndpointRecord {
  const current = store.get("Endpoint", namespace, ep.pod);
  const rec = endpointRecord(ep, namespace);
  if (current === undefined) return store.create(rec);
  const rv = current.metadata.resourceVersion;
  return store.update({
    ...rec,
    metadata: { ...rec.metadata, ...(rv === undefined ? {} : { resourceVersion: rv }) },
  });
}

/** Removes an instance's endpoint; false when it was not there. */
export function removeEndpoint(store: ConfigStore, pod: string, namespace = MESH_NAMESPACE): boolean {
  if (store.get("Endpoint", namespace, pod) === undefined) return false;
  store.delete("Endpoint", namespace, pod);
  return true;
}
