/**
 * A tick-by-tick test harness for decide() (in the style of Flagger's scheduler tests): a
 * small, obedient model of the mesh that executes actions and reports observations, with
 * knobs to make proxies lag, pods go dirty, transactions linger. Not a simulator: no delays
 * unless a test sets them; the simulator lives in test/sim.
 */
import { decide } from "../decide.js";
import { initialStatus } from "../status.js";
import { makeSettings, type Settings } from "../settings.js";
import type {
  Action,
  ActionResult,
  Command,
  Observations,
  PodObservation,
  TransactionObservation,
  UpgradeSpec,
  UpgradeStatus,
  ValidationFacts,
  VersionObservation,
} from "../types.js";

/** Mutable per-version state of the model. */
export interface VersionState {
  desired: number;
  ready: number;
  healthyAt: number;
  listedAt: number;
  activeCalls: number;
  envoyActive: number | null;
  analysis: VersionObservation["analysis"];
}

/** Mutable per-pod state of the model. */
export interface PodState {
  name: string;
  role: "gateway" | "sidecar";
  configEpoch: number | null;
  weightVersion: number | null;
  watermark: number | null;
  dirty: boolean;
  /** As its TraceManager reports them; empty by default. */
  dirtyReasons: string[];
  heldUntil: number | null;
  heartbeatAgeMs: number;
  terminating: boolean;
  /** When true, the pod does not take new epochs or weight versions. */
  frozen: boolean;
  /** When true, a gateway does not take new weight versions. */
  weightFrozen: boolean;
}

/** A spec for one or more services upgrading v1 → v2 with fast settings. */
export function specFor(
  services: readonly string[] = ["reviews"],
  extra: Partial<UpgradeSpec> = {},
): UpgradeSpec {
  return {
    services: services.map((name) => ({ name, from: "v1", to: "v2" })),
    strategy: { steps: [10, 50, 100], stepInterval: "10s" },
    ...extra,
  };
}

/** Settings that keep tests short but distinct: grace 1 s, settle 2 s, pin idle 5 s. */
export const TEST_SETTINGS: Settings = makeSettings({ pinIdleMs: 5_000, pinWriteIntervalMs: 1_000 });

/** Validation facts of a healthy cluster for `services` (v1 deployed, v2 not). */
export function healthyFacts(services: readonly string[]): ValidationFacts {
  return {
    services: Object.fromEntries(
      services.map((s) => [
        s,
        {
          exists: true,
          headless: false,
          tcpPorts: [],
          versions: ["v1"],
          subsets: ["v1"],
          oldSelectorHasVersion: true,
          gitOpsSelfHeal: false,
        },
      ]),
    ),
    otherActiveUpgrades: [],
    meshProblems: [],
  };
}

/** The model plus the engine's status; `tick()` runs one decide() and executes its actions. */
export class Harness {
  now = 1_700_000_000_000;
  status: UpgradeStatus;
  readonly pods: PodState[] = [];
  readonly versions = new Map<string, VersionState>();
  readonly transactions: TransactionObservation[] = [];
  readonly results: Record<string, ActionResult> = {};
  /** Actions executed (or refused by `failKinds`), in order. */
  readonly log: Action[] = [];
  /** Every action decide() issued, executed or not. */
  readonly issued: Action[] = [];
  commands: Command[] = [];
  validation: ValidationFacts | undefined;
  ingress = { enrolledInFlight: 0, nonEnrolledInFlight: 0 };
  epochInTable: number | null = null;
  violations = 0;
  prometheus: Record<string, number | null> = {};
  /** Why a Prometheus query failed, by rendered query. */
  prometheusErrors: Record<string, string> = {};
  /** The Upgrade's namespace, when a test needs one. */
  namespace: string | undefined;
  /** When false, actions are not acknowledged (as if the reconciler died before executing). */
  autoAck = true;
  /** Results to give specific action kinds instead of success. */
  readonly failKinds = new Map<Action["kind"], ActionResult>();
  /** How each webhook gate answers, by name (default: yes); absent from the map and silent = no answer yet. */
  readonly webhookAnswers = new Map<string, ActionResult>();
  /** Webhook gates whose calls get no answer (still in flight). */
  readonly silentWebhooks = new Set<string>();

  constructor(
    public spec: UpgradeSpec,
    readonly settings: Settings = TEST_SETTINGS,
    readonly id = "up1",
  ) {
    this.status = initialStatus(this.now);
    const names = spec.services.map((s) => s.name);
    this.validation = healthyFacts(names);
    this.addPod("gw-1", "gateway");
    for (const svc of spec.services) {
      this.addPod(`${svc.name}-v1-a`, "sidecar");
      this.versions.set(`${svc.name}@${svc.from}`, this.version(2, 2, true));
      this.versions.set(`${svc.name}@${svc.to}`, this.version(0, 0, false));
    }
  }

  private version(desired: number, ready: number, visible: boolean): VersionState {
    const proxies = this.pods.length;
    return {
      desired,
      ready,
      healthyAt: visible ? proxies : 0,
      listedAt: visible ? proxies : 0,
      activeCalls: 0,
      envoyActive: 0,
      analysis: { requests: 100, successRate: 100, p99Ms: 50 },
    };
  }

  /** Add a proxy that is up to date and clean. */
  addPod(name: string, role: "gateway" | "sidecar"): PodState {
    const pod: PodState = {
      name,
      role,
      configEpoch: this.status.configEpoch,
      weightVersion: role === "gateway" ? this.status.weightVersion : null,
      watermark: this.now,
      dirty: false,
      dirtyReasons: [],
      heldUntil: null,
      heartbeatAgeMs: 0,
      terminating: false,
      frozen: false,
      weightFrozen: false,
    };
    this.pods.push(pod);
    return pod;
  }

  /** A pod by name (throws when missing, to keep tests honest). */
  pod(name: string): PodState {
    const p = this.pods.find((x) => x.name === name);
    if (p === undefined) throw new Error(`no pod ${name}`);
    return p;
  }

  /** A version's state (throws when missing). */
  v(service: string, version: string): VersionState {
    const s = this.versions.get(`${service}@${version}`);
    if (s === undefined) throw new Error(`no version ${service}@${version}`);
    return s;
  }

  /** What the controller would observe now. */
  observations(): Observations {
    const proxies = this.pods.filter((p) => !p.terminating).length;
    const services: Record<string, { versions: Record<string, VersionObservation> }> = {};
    for (const [key, v] of this.versions) {
      const [svc = "", version = ""] = key.split("@");
      services[svc] ??= { versions: {} };
      services[svc].versions[version] = {
        desiredReplicas: v.desired,
        readyReplicas: v.ready,
        endpoints: {
          proxies,
          healthyAt: Math.min(v.healthyAt, proxies),
          listedAt: Math.min(v.listedAt, proxies),
        },
        activeCalls: v.activeCalls,
        activeTransactions: v.activeCalls,
        oldestActiveAgeSeconds: 0,
        envoyActive: v.envoyActive,
        analysis: v.analysis,
      };
    }
    const pods: PodObservation[] = this.pods.map((p) => ({
      name: p.name,
      role: p.role,
      terminating: p.terminating,
      configEpoch: p.configEpoch,
      weightVersion: p.weightVersion,
      watermark: p.watermark,
      dirty: p.dirty,
      dirtyReasons: [...p.dirtyReasons],
      heldUntil: p.heldUntil,
      heartbeatAgeMs: p.heartbeatAgeMs,
    }));
    return {
      upgradeId: this.id,
      ...(this.validation === undefined ? {} : { validation: this.validation }),
      services,
      pods,
      ingress: { ...this.ingress, lastEnrolledStartAt: null, lastNonEnrolledStartAt: null },
      transactions: this.transactions.map((t) => ({ ...t })),
      ...(this.namespace !== undefined ? { namespace: this.namespace } : {}),
      prometheus: { ...this.prometheus },
      ...(Object.keys(this.prometheusErrors).length > 0
        ? { prometheusErrors: { ...this.prometheusErrors } }
        : {}),
      violations: this.violations,
      routes: { epochInTable: this.epochInTable },
      actionResults: { ...this.results },
      commands: [...this.commands],
    };
  }

  /** Advance the clock, let clean pods' watermarks follow it, run decide() and execute its actions. */
  tick(ms = 500): Action[] {
    this.now += ms;
    for (const p of this.pods) if (!p.dirty) p.watermark = this.now - 100;
    const { status, actions } = decide(this.spec, this.status, this.observations(), this.now, this.settings);
    this.status = status;
    this.issued.push(...actions);
    for (const a of actions) this.execute(a);
    this.propagate();
    return [...actions];
  }

  /** Tick until `done` holds or `limit` ticks passed; returns every action issued meanwhile. */
  runUntil(done: (h: Harness) => boolean, limit = 400, ms = 500): Action[] {
    const all: Action[] = [];
    for (let i = 0; i < limit && !done(this); i++) all.push(...this.tick(ms));
    if (!done(this)) {
      const waiting = this.status.conditions.find((c) => c.type === "Waiting");
      throw new Error(
        `not done after ${limit} ticks: ${this.status.phase}/${this.status.engine.stage}: ${waiting?.reason ?? ""} ${waiting?.message ?? ""}`,
      );
    }
    return all;
  }

  /** Execute one action as the reconciler would (records it in `log`, acknowledges it unless `autoAck` is off). */
  execute(a: Action): void {
    if (!this.autoAck) return;
    this.log.push(a);
    if (a.kind === "callWebhook") {
      if (!this.silentWebhooks.has(a.webhook))
        this.results[a.key] = this.webhookAnswers.get(a.webhook) ?? { ok: true };
      return;
    }
    const failure = this.failKinds.get(a.kind);
    if (failure !== undefined) {
      this.results[a.key] = failure;
      return;
    }
    this.results[a.key] = { ok: true };
    const proxies = this.pods.length;
    switch (a.kind) {
      case "writeRoutes":
        this.epochInTable = a.intent.sentinel ? a.epoch : null;
        break;
      case "ensureVersion": {
        const v = this.v(a.service, a.version);
        v.desired = a.replicas;
        v.ready = a.replicas;
        break;
      }
      case "ensureSubset": {
        const v = this.v(a.service, a.version);
        if (v.ready > 0) {
          v.healthyAt = proxies;
          v.listedAt = proxies;
        }
        break;
      }
      case "deleteVersion":
      case "scaleVersion": {
        const v = this.v(a.service, a.version);
        const replicas = a.kind === "scaleVersion" ? a.replicas : 0;
        v.desired = replicas;
        v.ready = replicas;
        if (replicas === 0) {
          v.healthyAt = 0;
          v.listedAt = 0;
        }
        break;
      }
      default:
        break;
    }
  }

  /** Unfrozen proxies take the latest epoch and weight version. */
  private propagate(): void {
    for (const p of this.pods) {
      if (p.frozen) continue;
      if (this.epochInTable !== null) p.configEpoch = this.status.configEpoch;
      if (p.role === "gateway" && !p.weightFrozen) p.weightVersion = this.status.weightVersion;
    }
  }

  /** The current condition of a type. */
  condition(type: string): UpgradeStatus["conditions"][number] | undefined {
    return this.status.conditions.find((c) => c.type === type);
  }
}
