/**
 * Which program an image runs on the local node. A pod's first container image
 * `tranquil/<service>:<version>` runs `<service>` at `<version>` of the local mesh's topology
 * (with its sidecar proxy and TraceManager), e.g. `tranquil/auth-service:v2` → auth-service at
 * v2. Any other image cannot be "pulled": the pod reports ErrImagePull, as a kubelet would.
 */
import type { Topology } from "../../../istio/local-mesh/runtime/topology.js";

/** The program behind an image, or why there is none. */
export type ImageProgram =
  | { readonly ok: true; readonly service: string; readonly version: string }
  | { readonly ok: false; readonly reason: "ErrImagePull"; readonly message: string };

/** Every image the topology can run. */
export function knownImages(topology: Topology): string[] {
  return topology.services.flatMap((s) => s.versions.map((v) => `tranquil/${s.name}:${v.name}`));
}

/** Resolves `image` against the topology. */
export function programOf(image: string | undefined, topology: Topology): ImageProgram {
  const known = knownImages(topology);
  const match = /^tranquil\/([a-z0-9-]+):([A-Za-z0-9._-]+)$/.exec(image ?? "");
  const service = match?.[1];
  const version = match?.[2];
  if (service !== undefined && version !== undefined && known.includes(`tranquil/${service}:${version}`)) {
    return { ok: true, service, version };
  }
  return {
    ok: false,
    reason: "ErrImagePull",
    message: `image ${JSON.stringify(image ?? "")} is not known on the local node; it runs ${known.join(", ")}`,
  };
}
