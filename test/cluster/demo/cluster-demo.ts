/**
 * `npm start -- --cluster`: the demo through the local cluster. The real control plane (built
 * from Go modules the first time, which it says), the local mesh as its node, the logistics
 * services applied as YAML (Deployments, Services, routes), Tranquil's cluster controller with
 * its shipped RBAC behind its Lease, users under load, and the upgrade given as an `Upgrade`
 * resource, as `kubectl apply -f` would. It prints the pods, the upgrade's progress, what
 * `kubectl get upg` and `kubectl describe upg` would show, and the load's verdict.
 */
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { TERMINAL_PHASES } from "../../../controller/engine/phases.js";
import type { UpgradeRecord } from "../../../controller/ports/upgrade-store.js";
import { startUsers, strategy } from "../../e2e/harness.js";
import { bootClusterE2e, type ClusterE2e } from "../e2e/cluster-e2e.js";

const print = (line = ""): void => {
  process.stdout.write(`${line}\n`);
};

async function showPods(c: ClusterE2e): Promise<void> {
  const pods = await c.env.kc.makeApiClient(CoreV1Api).listPodForAllNamespaces();
  print("NAMESPACE        NAME                                     READY   STATUS    NODE        IP");
  for (const p of pods.items) {
    const ready = p.status?.conditions?.find((x) => x.type === "Ready")?.status === "True";
    const containers = p.spec?.containers.length ?? 0;
    print(
      `${(p.metadata?.namespace ?? "").padEnd(16)} ${(p.metadata?.name ?? "").padEnd(40)} ${`${ready ? containers : 0}/${containers}`.padEnd(7)} ${(p.status?.phase ?? "").padEnd(9)} ${(p.spec?.nodeName ?? "").padEnd(11)} ${p.status?.podIP ?? ""}`,
    );
  }
}

function progressLine(u: UpgradeRecord): string {
  const s = u.status;
  return `  ${new Date().toISOString().slice(11, 19)}  ${s.phase.padEnd(11)} weight ${String(s.weight).padStart(3)}%  confirmed ${s.confirmed.ready}/${s.confirmed.total}  active on old ${s.activeOld}`;
}

/** Runs the cluster demo; resolves to the exit status (0 when the upgrade Succeeded with nothing broken). */
export async function runClusterDemo(): Promise<number> {
  const began = Date.now();
  print(
    "Tranquil on the local cluster: starting kube-apiserver, etcd and kube-controller-manager on loopback",
  );
  const c = await bootClusterE2e();
  try {
    print(`control plane ${c.env.cp.server}; the local mesh runs as node "${c.agent.nodeName}"`);
    print(
      `applied test/cluster/demo/logistics.yaml; pods (${((Date.now() - began) / 1000).toFixed(1)} s after start):`,
    );
    print();
    await showPods(c);
    print();
    const replica = await c.startReplica("tranquil-controller-0");
    print(
      `tranquil-controller-0 serving ${replica.controller.apiUrl} as tranquil-system/tranquil-controller (the shipped RBAC)`,
    );
    const users = startUsers(c.mesh);
    await new Promise((r) => setTimeout(r, 1_500));
    const spec = {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([25, 60, 100]),
    };
    print("kubectl apply -f - <<EOF");
    print("apiVersion: tranquil.dev/v1alpha1\nkind: Upgrade\nmetadata:\n  name: auth-v2");
    print(`spec: ${JSON.stringify(spec)}`);
    print("EOF");
    await c.env.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: "tranquil.dev",
      version: "v1alpha1",
      plural: "upgrades",
      namespace: c.namespace,
      body: { apiVersion: "tranquil.dev/v1alpha1", kind: "Upgrade", metadata: { name: "auth-v2" }, spec },
    });
    const key = { namespace: c.namespace, name: "auth-v2" };
    let last = "";
    let printedAt = 0;
    let final: UpgradeRecord;
    for (;;) {
      final = await c.upgrades.get(key);
      // A line when the phase or the weight changes, else every 3 s.
      const now = `${final.status.phase} ${final.status.weight}`;
      if (now !== last || Date.now() - printedAt >= 3_000) {
        print(progressLine(final));
        printedAt = Date.now();
      }
      last = now;
      if (TERMINAL_PHASES.includes(final.status.phase)) break;
      if (Date.now() - began > 240_000) throw new Error("the upgrade did not end within 4 minutes");
      await new Promise((r) => setTimeout(r, 500));
    }
    const load = await users.finish();
    const failed = load.transactions.filter((t) => !t.ok).length;
    const mixed = load.transactions.filter((t) => Object.keys(t.mixed).length > 0).length;
    print();
    print("kubectl get upg auth-v2");
    print("NAME      PHASE       WEIGHT");
    print(`auth-v2   ${final.status.phase.padEnd(11)} ${final.status.weight}`);
    print();
    print("kubectl describe upg auth-v2   (Events)");
    const events = await c.env.kc
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: c.namespace, fieldSelector: "involvedObject.name=auth-v2" });
    for (const e of events.items.slice(-12))
      print(`  ${(e.type ?? "").padEnd(8)} ${(e.reason ?? "").padEnd(16)} ${e.message ?? ""}`);
    print();
    await showPods(c);
    print();
    print(
      `${load.transactions.length} transactions during the upgrade: ${failed} failed, ${mixed} mixed-version; ${final.status.phase} in ${((Date.now() - began) / 1000).toFixed(0)} s`,
    );
    return final.status.phase === "Succeeded" && failed === 0 && mixed === 0 ? 0 : 1;
  } finally {
    await c.stop();
  }
}
