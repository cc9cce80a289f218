import type { ObjectMeta } from "../api/types.js";

/**
 * Whether a config object is visible to a proxy in `proxyNamespace` under its `exportTo`
 * (absent or `*`: everywhere; `.`: own namespace; `~`: nowhere; else the listed namespaces).
 */
export function isExportedTo(
  meta: ObjectMeta,
  exportTo: readonly string[] | undefined,
  proxyNamespace: string,
): boolean {
  if (exportTo === undefined || exportTo.length === 0) return true;
  return exportTo.some(
    (e) => e === "*" || e === proxyNamespace || (e === "." && meta.namespace === proxyNamespace),
  );
}

/**
 * Istio's config order: oldest first (creationTimestamp), then namespace and name. When two
 * objects conflict, the first in this order wins.
 */
export function byCreation(a: { metadata: ObjectMeta }, b: { metadata: ObjectMeta }): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
