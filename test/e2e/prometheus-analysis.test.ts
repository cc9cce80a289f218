/**
 * The analysis judged by a real Prometheus: Debian's prometheus scrapes the local mesh's
 * proxies (Istio's standard metrics), its TraceManagers and the controller through file-based
 * discovery; upgrades carry only Prometheus checks, so what decides is what Prometheus says.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { UpgradeRecord } from "../../controller/ports/upgrade-store.js";
import { freePort } from "../support/redis-server.js";
import { startTestPrometheus, type TestPrometheus } from "../support/prometheus-server.js";
import {
  bootE2e,
  createUpgrade,
  E2eTopology,
  startUsers,
  versionsOf,
  waitForEnd,
  waitUntil,
  type E2eEnv,
} from "./harness.js";
import { syncMeshTargets, type TargetSync } from "./prometheus-targets.js";

/** A strategy judged only by Prometheus: two steps, 4 s windows, the given checks. */
function promStrategy(analysis: Record<string, unknown>, failureLimit = 1) {
  return { steps: [50, 100], stepInterval: "4s", failureLimit, analysis };
}

/** The number of series `promql` returns. */
async function seriesCount(prom: TestPrometheus, promql: string): Promise<number> {
  return ((await prom.query(promql)) as unknown[]).length;
}

describe("the analysis on a real Prometheus", { concurrent: false }, () => {
  let prom: TestPrometheus;
  let env: E2eEnv | undefined;
  let sync: TargetSync | undefined;

  beforeAll(async () => {
    prom = await startTestPrometheus();
  }, 30_000);
  afterAll(async () => {
    await prom?.stop();
  });
  afterEach(async () => {
    sync?.stop();
    sync = undefined;
    await env?.stop();
    env = undefined;
  });

  /** Boots a mesh whose proxies, TraceManagers and controller Prometheus scrapes. */
  async function boot(topology: E2eTopology, withInstallPrometheus: boolean): Promise<E2eEnv> {
    const booted = await bootE2e({
      topology,
      ...(withInstallPrometheus ? { prometheusAddress: prom.url } : {}),
    });
    env = booted;
    sync = syncMeshTargets(prom, booted.mesh, () => booted.ctl().apiUrl);
    await sync.refresh();
    await prom.waitForTargets("proxies", booted.mesh.instances().length + 1);
    return booted;
  }

  it("rolls the bad release back on the built-in request-success-rate over Istio's metrics", async () => {
    const e = await boot(E2eTopology.BadRelease, true);
    const users = startUsers(e.mesh);
    await createUpgrade(e.ctl(), "auth-v2-bad", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: promStrategy({ prometheus: [{ metric: "request-success-rate", min: 95 }] }, 0),
    });
    const final = await waitForEnd(e.ctl(), "auth-v2-bad", 60_000);
    await users.finish();
    console.log(`[prometheus e2e bad release] ${final.status.phase}: ${final.status.engine.reason ?? ""}`);
    expect(final.status.phase).toBe("RolledBack");
    expect(final.status.engine.reason).toMatch(
      /^analysis failed: prometheus request-success-rate of auth-service@v2 "100 \* sum\(rate\(istio_requests_total\{reporter="destination",destination_workload_namespace="default",destination_service_name="auth-service",destination_version="v2".*" = [0-9.]+ < 95$/,
    );
    expect(versionsOf(e.mesh, "auth-service")).toEqual(["v1", "v1"]);
    // What Prometheus judged came from v2's own sidecars: gRPC errors answered HTTP 200 (the
    // pods are gone by now and their series stale, so look back over the upgrade).
    expect(
      await seriesCount(
        prom,
        'last_over_time(istio_requests_total{reporter="destination",destination_workload="auth-service-v2",response_code="200",grpc_response_status="13"}[2m])',
      ),
    ).toBeGreaterThan(0);
  }, 90_000);

  it("passes a good release on its Prometheus checks, this upgrade naming its own Prometheus", async () => {
    const e = await boot(E2eTopology.Demo, false);
    const users = startUsers(e.mesh);
    await createUpgrade(e.ctl(), "auth-v2", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: promStrategy({
        prometheusAddress: prom.url,
        // The first window may start before Prometheus has two scrapes of v2's new series.
        onMissingData: "wait",
        missingDataLimit: 4,
        prometheus: [
          { metric: "request-success-rate", min: 95 },
          { metric: "request-duration", max: 5_000 },
          {
            name: "v2-serves",
            query:
              'sum(increase(istio_requests_total{reporter="destination",destination_workload_namespace="{{ namespace }}",destination_service_name="{{ service }}",destination_version="{{ version }}"}[{{ window }}]))',
            min: 1,
          },
        ],
      }),
    });
    const final = await waitForEnd(e.ctl(), "auth-v2", 60_000);
    await users.finish();
    console.log(`[prometheus e2e good release] ${final.status.phase}: ${final.status.engine.reason ?? ""}`);
    expect(final.status.phase).toBe("Succeeded");
    expect(versionsOf(e.mesh, "auth-service")).toEqual(["v2", "v2"]);
    // Every job was scraped: Istio's metrics, the TraceManagers' and the controller's own.
    expect(await seriesCount(prom, 'up{job="controller"} == 1')).toBe(1);
    // The gateway's TraceManager and every pod's that is still running.
    expect(await seriesCount(prom, 'up{job="traceManagers"} == 1')).toBe(
      e.mesh.instances().filter((i) => i.traceManagerAdminPort !== null).length + 1,
    );
    expect(
      await seriesCount(
        prom,
        'istio_requests_total{reporter="source",source_workload="istio-ingressgateway"}',
      ),
    ).toBeGreaterThan(0);
  }, 90_000);

  it("waits on a Prometheus that is down, then fails the analysis naming the query", async () => {
    const e = await boot(E2eTopology.Demo, false);
    const down = `http://127.0.0.1:${await freePort()}`;
    const users = startUsers(e.mesh);
    await createUpgrade(e.ctl(), "auth-v2-blind", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: promStrategy(
        {
          prometheusAddress: down,
          onMissingData: "wait",
          missingDataLimit: 2,
          prometheus: [{ metric: "request-success-rate", min: 95 }],
        },
        0,
      ),
    });
    const waiting: UpgradeRecord = await waitUntil(
      e.ctl,
      "auth-v2-blind",
      (u) => u.status.conditions.some((c) => c.type === "Analysis" && c.reason === "Inconclusive"),
      30_000,
    );
    expect(waiting.status.phase).toBe("Shifting");
    const final = await waitForEnd(e.ctl(), "auth-v2-blind", 60_000);
    await users.finish();
    console.log(`[prometheus e2e down] ${final.status.phase}: ${final.status.engine.reason ?? ""}`);
    expect(final.status.phase).toBe("RolledBack");
    expect(final.status.engine.reason).toMatch(
      new RegExp(
        `^analysis failed: no data after 2 inconclusive window\\(s\\); prometheus request-success-rate of auth-service@v2 "100 \\* sum\\(rate\\(istio_requests_total\\{.*\\}\\[4s\\]\\)\\)" failed: Prometheus at ${down}: ECONNREFUSED`,
      ),
    );
    expect(versionsOf(e.mesh, "auth-service")).toEqual(["v1", "v1"]);
  }, 90_000);
});
