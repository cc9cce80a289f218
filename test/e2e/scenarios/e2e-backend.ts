/**
 * What an end-to-end scenario needs of a backend, whatever runs it: the local mesh with the
 * in-process controller, or the local cluster with the Kubernetes controller. Scenarios are
 * written once against this interface, so a guarantee cannot hold on one backend and go
 * untested on the other. Everything here acts as a user or a foreign tool would (the API or
 * `kubectl`, a GitOps writer) and reads from outside the controller (routes as stored, pods
 * as running, removals as seen by the mesh).
 */
import type { DestinationRule, VirtualService, VirtualServiceSpec } from "../../../istio/api/types.js";
import type { MeshHandle } from "../../../istio/local-mesh/runtime/mesh-runtime.js";
import type { Removal } from "../../../controller/local/mesh-workloads.js";
import type { UpgradeStore } from "../../../controller/ports/upgrade-store.js";
import type { E2eTimings, FreezeSwitch } from "../harness.js";

/** The topology a scenario boots: the logistics services, or those with a faulty auth-service v2. */
export const ScenarioTopology = { Demo: "demo", BadRelease: "bad-release" } as const;
/** A topology name. */
export type ScenarioTopology = (typeof ScenarioTopology)[keyof typeof ScenarioTopology];

/** What a scenario asks of the boot. */
export interface BackendNeeds {
  readonly topology?: ScenarioTopology;
  /** Let the scenario freeze a pod's reports as the controller sees them (G4). */
  readonly freezable?: boolean;
}

/** How a submitted Upgrade was received. */
export type Submission =
  { readonly refused: false } | { readonly refused: true; readonly status: number; readonly message: string };

/** A command's answer (an HTTP status, and the refusal's message when it was refused). */
export interface CommandAnswer {
  readonly status: number;
  readonly message: string;
}

/** A booted backend with the logistics services at v1 and a controller running. */
export interface E2eBackend {
  /** Which backend this is (for log lines only; scenarios must not branch on it). */
  readonly name: "local" | "cluster";
  /** The mesh users reach through its ingress (load generator), and its instances. */
  readonly mesh: MeshHandle;
  readonly namespace: string;
  readonly timings: E2eTimings;
  /** The users' view of the Upgrades (read, watch). */
  upgrades(): UpgradeStore;
  /**
   * Submits an Upgrade as a user would (local: the HTTP API, as the CLI; cluster: the custom
   * object created as `kubectl apply` would). A refusal is an answer, not an error.
   */
  submit(name: string, spec: unknown): Promise<Submission>;
  /** Gives `abort` or `promote` as a user would (local: the HTTP API; cluster: the command annotation). */
  command(name: string, kind: "abort" | "promote"): Promise<CommandAnswer>;
  /** Every VirtualService of the namespace as stored (local: the config store; cluster: the API server). */
  virtualServices(): Promise<readonly VirtualService[]>;
  /** Every DestinationRule of the namespace as stored. */
  destinationRules(): Promise<readonly DestinationRule[]>;
  /**
   * Rewrites a VirtualService's spec as another writer of the routes would (a user's own
   * apply, a GitOps tool): local, a config-store update; cluster, a replace through the API
   * server under a field manager of its own. Returns the spec written.
   */
  editVirtualService(
    name: string,
    edit: (spec: VirtualServiceSpec) => VirtualServiceSpec,
    writer: string,
  ): Promise<VirtualServiceSpec>;
  /** Versions of a service's pods that exist now (running or terminating), sorted. */
  versionsOf(service: string): Promise<string[]>;
  /** Every removal of a version seen so far, graded against its instances' last served request (G3). */
  removals(): readonly Removal[];
  /** Freezes one pod's reports as the controller sees them; only with `needs.freezable`. */
  readonly freezer: FreezeSwitch | undefined;
  /** Stops the controller and everything booted. */
  stop(): Promise<void>;
}

/** Boots a backend for a scenario. */
export type BootBackend = (needs: BackendNeeds) => Promise<E2eBackend>;
