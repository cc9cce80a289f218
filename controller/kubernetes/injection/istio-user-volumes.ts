/**
 * Istio's `sidecar.istio.io/userVolume` and `sidecar.istio.io/userVolumeMount` annotations: what
 * Istio's injector adds to the pod's volumes and to its proxy's mounts. Istio's injection
 * template ranges over the parsed JSON and names each entry by its key, so the form Istio's own
 * tests use is an object keyed by volume name (`{"certs":{"mountPath":"/etc/certs"}}`); an
 * array of named entries is also met in the wild. Injection adds its entry to either form and
 * leaves a value it cannot parse as it is (the proxy then gets the mount from the patch alone).
 */

type Entry = Readonly<Record<string, unknown>>;

/** `current` with `entry` under `name`; undefined when nothing is to be written. */
function withEntry(current: string | undefined, name: string, entry: Entry): string | undefined {
  if (current === undefined || current.trim() === "") return JSON.stringify({ [name]: entry });
  let parsed: unknown;
  try {
    parsed = JSON.parse(current);
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) {
    const named = parsed as unknown[];
    if (named.some((e) => typeof e === "object" && e !== null && (e as Entry)["name"] === name))
      return undefined;
    return JSON.stringify([...named, { name, ...entry }]);
  }
  if (typeof parsed === "object" && parsed !== null) {
    if (Object.hasOwn(parsed, name)) return undefined;
    return JSON.stringify({ ...parsed, [name]: entry });
  }
  return undefined;
}

/** The `userVolume` value with `name` → `source` added, or undefined to leave it. */
export function withUserVolume(current: string | undefined, name: string, source: Entry): string | undefined {
  return withEntry(current, name, source);
}

/** The `userVolumeMount` value with `mount` added (keyed by its name), or undefined to leave it. */
export function withUserVolumeMount(
  current: string | undefined,
  mount: { readonly name: string; readonly mountPath: string },
): string | undefined {
  const { name, ...rest } = mount;
  return withEntry(current, name, rest);
}
