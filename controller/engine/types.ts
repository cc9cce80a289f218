/**
 * The engine's plain data: the spec, the status it keeps, what the controller observed this
 * tick, and the actions it asks the reconciler to execute. No I/O, no Istio types.
 * Times are milliseconds since the Unix epoch unless a name says otherwise.
 */
import type { Phase, RouteMode, Stage } from "./phases.js";

export type {
  UpgradeSpec,
  ServiceSpec,
  AnalysisSpec,
  OnTimeout,
  WebhookSpec,
  WebhookType,
} from "../upgrade-spec/schema.js";
import type { WebhookType } from "../upgrade-spec/schema.js";
export { Phase, Stage, RouteMode, TERMINAL_PHASES } from "./phases.js";
export type { Settings, OldVersionPolicy } from "./settings.js";
export { DEFAULT_SETTINGS, makeSettings } from "./settings.js";

// ---------------------------------------------------------------- status

/** A Kubernetes-style condition: why the engine waits, failed or refused something. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: "True" | "False" | "Unknown";
  /** CamelCase reason, e.g. `Unconfirmed`, `DirtyPods`. */
  readonly reason: string;
  /** What holds, and what to do about it. */
  readonly message: string;
  /** When the condition last changed status or reason (ms). */
  readonly lastTransitionTime: number;
}

/** Condition types the engine sets. */
export const ConditionType = {
  /** True while the engine waits for something; the reason says what. */
  Waiting: "Waiting",
  /** True when the spec or the mesh shape was refused; the message says what to fix. */
  Invalid: "Invalid",
  /** True while `spec.paused` holds the upgrade. */
  Paused: "Paused",
  /** True when a GitOps revert was detected (lower epoch, or Tranquil's routes vanished). */
  GitOpsRevert: "GitOpsRevert",
  /** The latest analysis verdict. */
  Analysis: "Analysis",
  /** True when a user command was refused (e.g. abort once Finalizing has begun). */
  CommandRefused: "CommandRefused",
  /** True once `drain.timeout` has passed. */
  DrainTimeout: "DrainTimeout",
  /** True when the upgrade failed; the message says why. */
  Failed: "Failed",
  /** True while a webhook gate holds the upgrade; the message names the gate and its answer. */
  Gate: "Gate",
} as const;
/** A condition type. */
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** One line of `status.history`. */
export interface HistoryEntry {
  readonly at: number;
  readonly phase: Phase;
  readonly stage: Stage;
  readonly message: string;
}

/** What the route planner should produce: a route mode, the sentinel, and the pinned transaction ids. */
export interface RoutePlanIntent {
  readonly mode: RouteMode;
  /** Whether the sentinel `tranquil-<id>-e<epoch>` stands first in each affected VirtualService. */
  readonly sentinel: boolean;
  /** Transaction ids (x-request-id values) held on `old`, in pin order. */
  readonly pins: readonly string[];
  /**
   * Gateway stamps (ADR 0090): before every gateway-bound user route, a clone for the gateways
   * only that adds the enrolment header, so an ingress request is enrolled even when the
   * gateway's Check fails open. From the cutover until the flip back or Finalizing; absent = off.
   */
  readonly stamps?: boolean;
}

/** A user route's destination as it was before the one documented edit in Finalizing (G5). */
export interface RouteOriginal {
  readonly namespace: string;
  readonly virtualService: string;
  /** The route's name, or `#<index>` in `http[]` when unnamed. */
  readonly route: string;
  /** Index of the destination within `route[]`. */
  readonly destinationIndex: number;
  readonly host: string;
  /** The subset before the edit (`old`). */
  readonly subset: string;
}

/** A transaction pinned to `old`. */
export interface Pin {
  readonly id: string;
  readonly pinnedAt: number;
  /** Last activity seen for it anywhere in the train. */
  readonly lastSeenAt: number;
  /** True when it was found after the pin snapshot (a straggler). */
  readonly straggler: boolean;
}

/** The engine's own bookkeeping, enough to resume after a restart. */
export interface EngineState {
  readonly stage: Stage;
  /** When the current stage began. */
  readonly stageSince: number;
  /** When the current wait condition started holding continuously (settle windows), else null. */
  readonly waitingSince: number | null;
  /** When every proxy confirmed the current epoch / every gateway the current weight version, else null. */
  readonly confirmedAt: number | null;
  /** Actions issued but not yet acknowledged; re-executed by a restarted reconciler. */
  readonly pending: readonly Action[];
  /** Keys of actions acknowledged during the current stage (cleared on each stage change). */
  readonly acked: readonly string[];
  /** The routing intent written at `status.configEpoch`. */
  readonly routes: RoutePlanIntent;
  /** Highest epoch every proxy has confirmed, grace period included (GitOps revert detection). */
  readonly confirmedEpoch: number;
  /** Originals of user routes edited in Finalizing. */
  readonly originals: readonly RouteOriginal[];
  readonly pins: readonly Pin[];
  /** Transaction ids declared lost: excluded from pins here, and from activity by the observer. */
  readonly lost: readonly string[];
  /** When the last pin write was issued (rate limit). */
  readonly lastPinWriteAt: number | null;
  /** Stragglers found after the flip. */
  readonly stragglers: number;
  /**
   * What the engine waited for from the cutover until the old version's removal (wait-log.ts);
   * absent in statuses written before it existed.
   */
  readonly waitLog?: readonly WaitSegment[];
  /** Instants the guarantees are measured from. */
  readonly instants: {
    readonly preparingAt: number | null;
    readonly newStartedAt: number | null;
    readonly doorOpenAt: number | null;
    readonly stepStartedAt: number | null;
    readonly cutoverAt: number | null;
    readonly drainStartedAt: number | null;
    readonly pinSnapshotAt: number | null;
    /** When the flip was decided; the flip waits until every pod is clean past it. */
    readonly flipDecidedAt: number | null;
    readonly flipAt: number | null;
    readonly tranquilAt: number | null;
    readonly weightZeroAt: number | null;
  };
  /** Consecutive failed analyses at the current step. */
  readonly analysisFailures: number;
  /**
   * Consecutive inconclusive analyses at the current step (`onMissingData: wait`); absent in
   * statuses written before it existed.
   */
  readonly analysisInconclusive?: number;
  /** True once the new Deployment was requested (rollback must scale it down). */
  readonly newStarted: boolean;
  /** True once the `new` subset was requested (rollback must remove it). */
  readonly newSubsetAdded: boolean;
  /**
   * Services whose DestinationRule already had the `to` subset before the upgrade (seen in
   * Validating): the user's own, so a rollback keeps it. Absent in statuses written before it existed.
   */
  readonly userOwnedNewSubsets?: readonly string[];
  /** A promote command arrived before Shifting; Shifting then starts at 100. */
  readonly promoted: boolean;
  /** When a GitOps revert was detected; the engine holds until the user aborts. */
  readonly revertDetectedAt: number | null;
  /** Command tokens already handled (promote/abort act once per token). */
  readonly handledCommands: readonly string[];
  /** Why the engine rolled back or failed, when it did. */
  readonly reason: string | null;
  /** Monotonic counter that makes event keys unique and stable. */
  readonly eventSeq: number;
  /** Transactions broken by a forced drain (`onTimeout: force`). */
  readonly forcedBreaks: number;
  /**
   * Pod → the refused-id total last reported in a `RequestIdsIgnored` event during this drain
   * (ADR 0084). Absent in statuses written before it existed.
   */
  readonly ignoredRequestIdsReported?: Readonly<Record<string, number>>;
  /** The webhook gates' answers and calls in flight (ADR 0098); absent until a gate is asked. */
  readonly gates?: GateState;
}

/** A webhook gate's last answer (ADR 0098). */
export interface GateAnswer {
  /** What it was asked about, e.g. `confirm-rollout`, `step:1`, `rollout:1:<window start>`. */
  readonly context: string;
  readonly passed: boolean;
  /** How it answered, e.g. `said no: HTTP 403`, `did not answer: timed out after 5s (3 attempts)`. */
  readonly message: string;
  readonly at: number;
}

/** What the engine knows of the webhook gates. */
export interface GateState {
  /** The last answer of each gate, by webhook name. */
  readonly answers: Readonly<Record<string, GateAnswer>>;
  /** The action key of each gate's call in flight, by webhook name. */
  readonly asking: Readonly<Record<string, string>>;
  /** Makes the call keys unique. */
  readonly seq: number;
  /** pre-rollout answers that were not a yes (they count against failureLimit). */
  readonly preRolloutFailures: number;
}

/** The Upgrade's status (DESIGN §5), plus the engine's bookkeeping under `engine`. */
export interface UpgradeStatus {
  readonly phase: Phase;
  /** Current enrolment weight, percent. */
  readonly weight: number;
  /** Version of the weight; a step counts once every gateway applies this version. */
  readonly weightVersion: number;
  /** Index into `strategy.steps` of the current step, or -1 before Shifting. */
  readonly step: number;
  /** The config epoch written last (the sentinel is `tranquil-<id>-e<configEpoch>`). */
  readonly configEpoch: number;
  /** Proxies that confirmed the current epoch (or gateways the current weight version). */
  readonly confirmed: { readonly ready: number; readonly total: number };
  /** Calls active at any `old` of the train. */
  readonly activeOld: number;
  readonly oldestActiveAgeSeconds: number;
  /**
   * Per train member, its old and new version as the last tick observed them (for dashboards;
   * absent in statuses written before it).
   */
  readonly versions?: readonly VersionActivity[];
  /** The analyses of the step windows, oldest first (the last {@link ANALYSES_KEPT}; absent in statuses written before it). */
  readonly analyses?: readonly StepAnalysis[];
  readonly pinned: number;
  /** Names of dirty or stale pods. */
  readonly dirtyPods: readonly string[];
  /** Same transaction id seen at two versions of one service (G1). */
  readonly violations: number;
  readonly lostTransactions: number;
  readonly conditions: readonly Condition[];
  readonly history: readonly HistoryEntry[];
  readonly engine: EngineState;
}

/** How many step analyses the status keeps. */
export const ANALYSES_KEPT = 20;

/** One step window's analysis, as the Analysis condition worded it then. */
export interface StepAnalysis {
  /** The step's weight, percent. */
  readonly weight: number;
  readonly passed: boolean;
  readonly message: string;
  readonly at: number;
}

/** One version of a train member in the status: what is active there, and the step window's requests. */
export interface VersionActivity {
  readonly service: string;
  readonly version: string;
  readonly role: "old" | "new";
  readonly activeCalls: number;
  readonly activeTransactions: number;
  readonly oldestActiveAgeSeconds: number;
  /** Requests this version served in the current step window, and how many failed; absent when not analysed. */
  readonly windowRequests?: number;
  readonly windowFailed?: number;
}

// ---------------------------------------------------------------- observations

/** Facts gathered once for Validating (§4.1), per service. */
export interface ServiceFacts {
  /** The Kubernetes Service exists. */
  readonly exists: boolean;
  readonly headless: boolean;
  /** Ports Istio treats as TCP (no L7 routing). */
  readonly tcpPorts: readonly number[];
  /** Versions that have a Deployment (by `version` label). */
  readonly versions: readonly string[];
  /** Subsets present in the host's DestinationRule(s). */
  readonly subsets: readonly string[];
  /** The old Deployment's selector includes the `version` label. */
  readonly oldSelectorHasVersion: boolean;
  /** A VirtualService of this host is managed by a GitOps tool with self-heal. */
  readonly gitOpsSelfHeal: boolean;
}

/** Everything Validating needs; absent until the reconciler gathered it. */
export interface ValidationFacts {
  readonly services: Readonly<Record<string, ServiceFacts>>;
  /** Other non-terminal upgrades and the services they hold. */
  readonly otherActiveUpgrades: readonly { readonly id: string; readonly services: readonly string[] }[];
  /** Unsupported shapes the backend found: Gateway API HTTPRoutes, delegate VirtualServices, ambient mode, conflicting CUSTOM authorization. */
  readonly meshProblems: readonly { readonly reason: string; readonly message: string }[];
  /** `namespace/name` of another active Upgrade that holds the same enrolment id, if any. */
  readonly enrolmentIdHolder?: string;
  /** The configured Prometheus provider (for messages), or null when none is: Prometheus checks are refused. */
  readonly metricsProvider?: string | null;
}

/** Per-version figures for the step window (success rate in percent). */
export interface VersionAnalysis {
  readonly requests: number;
  readonly successRate: number | null;
  readonly p99Ms: number | null;
}

/** What is known of one version of one train service. */
export interface VersionObservation {
  readonly desiredReplicas: number;
  readonly readyReplicas: number;
  /** Proxies expected to route to this host, how many hold a healthy endpoint of this subset, how many list any endpoint. */
  readonly endpoints: { readonly proxies: number; readonly healthyAt: number; readonly listedAt: number };
  /** TraceManager counters at this version (trusted only up to each pod's watermark). */
  readonly activeCalls: number;
  readonly activeTransactions: number;
  readonly oldestActiveAgeSeconds: number;
  /** Envoy's ground truth: inbound downstream_rq_active plus callers' upstream_rq_active/pending where reported; null when not reported. */
  readonly envoyActive: number | null;
  /** Analysis figures over the current step window; null when not gathered. */
  readonly analysis: VersionAnalysis | null;
}

/** Per-service observations, keyed by version label. */
export interface ServiceObservation {
  readonly versions: Readonly<Record<string, VersionObservation>>;
}

/** The role of a pod's proxy. */
export type ProxyRole = "gateway" | "sidecar";

/** One proxy (gateway or sidecar pod) that receives the train's VirtualServices. */
export interface PodObservation {
  readonly name: string;
  readonly role: ProxyRole;
  /** Service and version the pod belongs to (sidecars). */
  readonly service?: string;
  readonly version?: string;
  /** Terminating pods do not count for confirmation. */
  readonly terminating: boolean;
  /** Minimum config epoch over route configurations holding a train host; null = unconfirmed. */
  readonly configEpoch: number | null;
  /** Gateways: the weight version applied for this upgrade; null when not reported. */
  readonly weightVersion: number | null;
  /** Watermark W: every admission up to W is recorded and durable; null when none yet. */
  readonly watermark: number | null;
  readonly dirty: boolean;
  /** Why it is dirty, as its TraceManager reported (absent when not reported). */
  readonly dirtyReasons?: readonly string[];
  /**
   * When its held dirty reasons clear by themselves if no new fault comes (a lost store or an
   * unproven restart holds for maxTransactionAge, ADR 0085); null when none is held.
   */
  readonly heldUntil?: number | null;
  /** Milliseconds since its TraceManager's last heartbeat. */
  readonly heartbeatAgeMs: number;
  /**
   * Checks whose `x-request-id` its TraceManager refused (total since it started, and the last
   * time), so their transactions are invisible to draining and pinning; absent when not reported.
   */
  readonly ignoredRequestIds?: { readonly total: number; readonly lastAt: number | null };
}

/** Gateway counts for this upgrade, summed over gateways. */
export interface IngressObservation {
  readonly enrolledInFlight: number;
  readonly nonEnrolledInFlight: number;
  readonly lastEnrolledStartAt: number | null;
  readonly lastNonEnrolledStartAt: number | null;
}

/** A transaction with activity at an `old` of the train (pin candidates, lost detection, pin idleness). */
export interface TransactionObservation {
  readonly id: string;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  /** Calls of it active at any `old` of the train right now. */
  readonly activeCallsAtOld: number;
}

/** The reconciler's acknowledgement of an action it executed. */
export type ActionResult =
  | { readonly ok: true; readonly recorded?: readonly RouteOriginal[] }
  | { readonly ok: false; readonly permanent: boolean; readonly message: string };

/** A user command (promote/abort) with a token so it acts once. */
export interface Command {
  readonly kind: "promote" | "abort";
  readonly token: string;
}

/** What the controller gathered this tick. */
export interface Observations {
  /** The Upgrade's name; also its enrolment id. */
  readonly upgradeId: string;
  /** Validation facts; absent until gathered (Validating waits). */
  readonly validation?: ValidationFacts;
  /** Per train service. */
  readonly services: Readonly<Record<string, ServiceObservation>>;
  /** Every proxy that receives the train's VirtualServices (gateways and sidecars). */
  readonly pods: readonly PodObservation[];
  readonly ingress: IngressObservation;
  /** Transactions with activity at any `old` of the train. */
  readonly transactions: readonly TransactionObservation[];
  /** The Upgrade's namespace, for the Prometheus checks' `{{ namespace }}` (default "default"). */
  readonly namespace?: string;
  /** Prometheus check values, by rendered query; null when the query returned nothing. */
  readonly prometheus: Readonly<Record<string, number | null>>;
  /** Why a Prometheus check query failed, by query (absent when none failed). */
  readonly prometheusErrors?: Readonly<Record<string, string>>;
  /** Transaction ids seen at two versions of one service, cumulative count (G1). */
  readonly violations: number;
  /** Route table facts. */
  readonly routes: {
    /** The highest Tranquil epoch present in the route table, or null when no Tranquil route exists. */
    readonly epochInTable: number | null;
  };
  /** Acknowledgements of pending actions, by key. */
  readonly actionResults: Readonly<Record<string, ActionResult>>;
  /** User commands not yet handled. */
  readonly commands: readonly Command[];
}

// ---------------------------------------------------------------- actions

/** Kinds of action the reconciler executes. */
export const ActionKind = {
  EnsureSubset: "ensureSubset",
  RemoveSubset: "removeSubset",
  WriteRoutes: "writeRoutes",
  SetWeight: "setWeight",
  EnsureVersion: "ensureVersion",
  ScaleVersion: "scaleVersion",
  DeleteVersion: "deleteVersion",
  DeclareLost: "declareLost",
  RecordEvent: "recordEvent",
  CallWebhook: "callWebhook",
} as const;
/** An action kind. */
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

interface ActionBase {
  /** Stable idempotency key, unique within the upgrade: executing the same key twice has the effect of once. */
  readonly key: string;
}

/** Ensure the DestinationRule of `service` has the subset `version` (create a Tranquil-owned DR if none exists). */
export interface EnsureSubsetAction extends ActionBase {
  readonly kind: typeof ActionKind.EnsureSubset;
  readonly service: string;
  readonly version: string;
}
/** Remove subset `version` from the DestinationRule of `service` (make-before-break: nothing references it). */
export interface RemoveSubsetAction extends ActionBase {
  readonly kind: typeof ActionKind.RemoveSubset;
  readonly service: string;
  readonly version: string;
}
/** Write every train member's VirtualServices as the route planner plans `intent` at `epoch`. */
export interface WriteRoutesAction extends ActionBase {
  readonly kind: typeof ActionKind.WriteRoutes;
  readonly epoch: number;
  readonly intent: RoutePlanIntent;
}
/** Publish the enrolment weight (percent) with its version to the gateway TraceManagers. */
export interface SetWeightAction extends ActionBase {
  readonly kind: typeof ActionKind.SetWeight;
  readonly weight: number;
  readonly weightVersion: number;
}
/** Create (or keep) the Deployment of `version` from the `from` pod template, with `image` and the version label. */
export interface EnsureVersionAction extends ActionBase {
  readonly kind: typeof ActionKind.EnsureVersion;
  readonly service: string;
  readonly version: string;
  readonly fromVersion: string;
  readonly image?: string;
  readonly replicas: number;
}
/** Scale the Deployment of `version` to `replicas`. */
export interface ScaleVersionAction extends ActionBase {
  readonly kind: typeof ActionKind.ScaleVersion;
  readonly service: string;
  readonly version: string;
  readonly replicas: number;
}
/** Delete the Deployment of `version`. */
export interface DeleteVersionAction extends ActionBase {
  readonly kind: typeof ActionKind.DeleteVersion;
  readonly service: string;
  readonly version: string;
}
/**
 * These transactions are lost (past maxTransactionAge, old idle). Their ids are already in
 * `engine.lost`, from which the observer leaves them out of the activity, oldest age and
 * transactions it reports; the action lets a backend record the decision (the product's
 * TraceObserver writes nothing: the trace store reports the records when they expire).
 */
export interface DeclareLostAction extends ActionBase {
  readonly kind: typeof ActionKind.DeclareLost;
  readonly ids: readonly string[];
}
/** Record a Kubernetes Event / log line. */
export interface RecordEventAction extends ActionBase {
  readonly kind: typeof ActionKind.RecordEvent;
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
}

/**
 * Call the spec's webhook `webhook` (a gate) with the upgrade's payload. The reconciler reports
 * a 2xx answer as ok and anything else (another status, a timeout, garbage) as a permanent
 * failure whose message says how it answered; the engine folds either into `engine.gates`.
 */
export interface CallWebhookAction extends ActionBase {
  readonly kind: typeof ActionKind.CallWebhook;
  readonly webhook: string;
  readonly hookType: WebhookType;
  /** What it is asked about (see {@link GateAnswer.context}). */
  readonly context: string;
  /** The phase the payload names. */
  readonly phase: Phase;
}

/** Everything decide() can ask for. */
export type Action =
  | EnsureSubsetAction
  | RemoveSubsetAction
  | WriteRoutesAction
  | SetWeightAction
  | EnsureVersionAction
  | ScaleVersionAction
  | DeleteVersionAction
  | DeclareLostAction
  | RecordEventAction
  | CallWebhookAction;

/** decide()'s answer: the next status (persist it first) and the actions issued on this tick. */
export interface Decision {
  readonly status: UpgradeStatus;
  /** Actions newly issued on this tick; they are also in `status.engine.pending` until acknowledged. */
  readonly actions: readonly Action[];
}

/** One stretch of time in which the engine waited on one reason (the Waiting condition's). */
export interface WaitSegment {
  /** The Waiting reason, or `Working` when the engine waited on nothing. */
  readonly reason: string;
  /** When it began (epoch ms). */
  readonly since: number;
  /** How long it lasted so far (ms). */
  readonly ms: number;
  /** The engine's ticks that waited on it (absent in logs written before they were counted). */
  readonly ticks?: number;
  /** True while the segment still grows (the last one, while the log is kept). */
  readonly open?: boolean;
}
