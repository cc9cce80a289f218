/**
 * Keeps a test Prometheus's file-based discovery in step with the local mesh: every proxy's
 * admin port (Istio's metrics on `/stats/prometheus`: the ingress gateway and each sidecar),
 * every TraceManager (the gateway's and each pod's) and the controller's `/metrics`, rewritten as pods come and go
 * (the new version's pods start during the upgrade).
 */
import type { MeshHandle } from "../../istio/local-mesh/runtime/mesh-runtime.js";
import type { ScrapeJob, ScrapeTarget, TestPrometheus } from "../support/prometheus-server.js";

/** A running sync; `stop()` ends it. */
export interface TargetSync {
  /** Writes the targets now (also done every `everyMs`). */
  refresh(): Promise<void>;
  stop(): void;
}

const hostPort = (url: string): string => new URL(url).host;

/** The targets of each job for the mesh as it is now. */
export function meshTargets(mesh: MeshHandle, controllerUrl?: string): Record<ScrapeJob, ScrapeTarget[]> {
  const instances = mesh.instances();
  return {
    proxies: [
      { address: hostPort(mesh.ingressAdminUrl), labels: { pod: mesh.gatewayPod } },
      ...instances.map((i) => ({
        address: hostPort(i.adminUrl),
        labels: { pod: i.pod, service: i.service, version: i.version },
      })),
    ],
    traceManagers: [
      { address: `127.0.0.1:${mesh.ingressTraceManagerAdminPort}`, labels: { pod: mesh.gatewayPod } },
      ...instances.flatMap((i) =>
        i.traceManagerAdminPort === null
          ? []
          : [{ address: `127.0.0.1:${i.traceManagerAdminPort}`, labels: { pod: i.pod } }],
      ),
    ],
    controller: controllerUrl === undefined ? [] : [{ address: hostPort(controllerUrl) }],
  };
}

/** Starts syncing the mesh's targets into `prom` every `everyMs` (writes only on change). */
export function syncMeshTargets(
  prom: TestPrometheus,
  mesh: MeshHandle,
  controllerUrl: () => string | undefined,
  everyMs = 250,
): TargetSync {
  let written = "";
  let busy: Promise<void> = Promise.resolve();
  const refresh = (): Promise<void> =>
    (busy = busy.then(async () => {
      const targets = meshTargets(mesh, controllerUrl());
      const text = JSON.stringify(targets);
      if (text === written) return;
      for (const job of Object.keys(targets) as ScrapeJob[]) await prom.setTargets(job, targets[job]);
      written = text;
    }));
  const timer = setInterval(() => void refresh().catch(() => undefined), everyMs);
  return { refresh, stop: () => clearInterval(timer) };
}
