/**
 * The scenarios' backend on the local mesh: {@link bootE2e}'s mesh and in-process controller,
 * driven through the controller's HTTP API as the CLI drives it, with routes read from and
 * written to the mesh's config store.
 */
import { api, bootE2e, E2eTopology, freezableTraceStore } from "../harness.js";
import { ScenarioTopology, type BackendNeeds, type E2eBackend, type Submission } from "./e2e-backend.js";

/** Boots the local mesh and its controller for a scenario. */
export async function bootLocalBackend(needs: BackendNeeds = {}): Promise<E2eBackend> {
  const freezer = needs.freezable === true ? freezableTraceStore() : undefined;
  const env = await bootE2e({
    topology: needs.topology === ScenarioTopology.BadRelease ? E2eTopology.BadRelease : E2eTopology.Demo,
    ...(freezer !== undefined ? { controllerTraceStore: freezer.wrap } : {}),
  });
  const { mesh } = env;
  const namespace = mesh.topology.namespace;
  return {
    name: "local",
    mesh,
    namespace,
    timings: env.timings,
    upgrades: () => env.ctl().store,
    submit: async (name, spec): Promise<Submission> => {
      const answer = await api(env.ctl(), "/v1/upgrades", { name, spec });
      if (answer.status === 201) return { refused: false };
      return { refused: true, status: answer.status, message: JSON.stringify(answer.body) };
    },
    command: async (name, kind) => {
      const answer = await api(env.ctl(), `/v1/upgrades/${name}/${kind}`);
      return { status: answer.status, message: answer.body.error ?? "" };
    },
    virtualServices: () =>
      Promise.resolve(
        mesh.configStore.list("VirtualService").filter((v) => v.metadata.namespace === namespace),
      ),
    destinationRules: () =>
      Promise.resolve(
        mesh.configStore.list("DestinationRule").filter((d) => d.metadata.namespace === namespace),
      ),
    editVirtualService: (name, edit) => {
      const vs = mesh.configStore.get("VirtualService", namespace, name);
      if (vs === undefined) return Promise.reject(new Error(`e2e: no VirtualService ${name}`));
      const written = mesh.configStore.update({ ...vs, spec: edit(structuredClone(vs.spec)) });
      return Promise.resolve(written.spec);
    },
    versionsOf: (service) =>
      Promise.resolve(
        mesh
          .instances()
          .filter((i) => i.service === service)
          .map((i) => i.version)
          .sort(),
      ),
    removals: () => env.ctl().workloads.removals(),
    freezer: freezer?.control,
    stop: () => env.stop(),
  };
}
