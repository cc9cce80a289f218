/**
 * One seeded simulation: draw the world, start traffic and a controller, run virtual time
 * until the controller finishes (plus an afterglow of traffic), and check the invariants.
 */
import { startControllerLoop, type ControllerJournal, type ControllerStrategy } from "./controller-loop.js";
import {
  checkInvariants,
  measureG3,
  type BoundSettings,
  type ExpectedOutcome,
  type G3Measure,
} from "./invariants.js";
import { drawScenario, type ScenarioOverrides, type SimScenario } from "./scenario.js";
import { startTraffic } from "./world/traffic.js";
import { createWorld, type World } from "./world/world.js";

/** The outcome of one run. */
export interface RunResult {
  readonly seed: number;
  readonly strategy: string;
  readonly scenario: SimScenario;
  readonly finalPhase: string;
  readonly expected: ExpectedOutcome;
  readonly virtualMs: number;
  readonly counts: {
    readonly ingressTxns: number;
    readonly bypassTxns: number;
    readonly calls: number;
    readonly mixedIngress: number;
    readonly mixedBypass: number;
    readonly failures: Readonly<Record<string, number>>;
    readonly routedToRemoved: number;
    readonly killedInFlight: number;
    readonly appErrors: number;
    /** Transactions the TraceManagers saw at two versions (their own G1 detection). */
    readonly detectedViolations: number;
  };
  readonly g3: G3Measure | null;
  readonly journal: ControllerJournal;
  /** One line per violated guarantee; empty when the run is clean. */
  readonly violations: readonly string[];
  /** The world at the end of the run, for inspection when replaying a seed. */
  readonly world: World;
}

/** Options of one run. */
export interface RunOptions<S, A extends { readonly key: string }, R> {
  readonly seed: number;
  readonly strategy: (world: World) => ControllerStrategy<S, A, R>;
  /** Settings the G3 bound uses (the engine's, for Tranquil). */
  readonly boundSettings: BoundSettings;
  readonly overrides?: ScenarioOverrides;
  /** The terminal phase the run must reach (default: RolledBack when the scenario makes `new` fail, else Succeeded). */
  readonly expected?: ExpectedOutcome;
}

/** Runs one seed to completion. */
export function runSimulation<S, A extends { readonly key: string }, R>(
  opts: RunOptions<S, A, R>,
): RunResult {
  const scenario = drawScenario(opts.seed, opts.overrides);
  const world = createWorld(scenario);
  const strategy = opts.strategy(world);
  const journal = startControllerLoop(world, strategy);
  const stopAt = (): number =>
    journal.terminalAt === null ? scenario.maxVirtualMs : journal.terminalAt + scenario.afterglowMs;
  startTraffic(world, stopAt);
  const { queue } = world;
  while (queue.now < stopAt() && queue.size > 0) queue.runUntil(Math.min(queue.now + 1_000, stopAt()));
  // Let the transactions in flight finish, so their ends count (no new arrivals after stopAt).
  queue.runUntil(queue.now + scenario.ingress.tail.cap + scenario.bypass.tail.cap + 10_000);
  journal.close();
  const finalPhase = journal.phases[journal.phases.length - 1]?.[1] ?? "unknown";
  const expected: ExpectedOutcome = opts.expected ?? (scenario.newFails ? "RolledBack" : "Succeeded");
  const t = world.truth;
  let ingressTxns = 0;
  let bypassTxns = 0;
  for (const txn of t.txns.values()) {
    if (txn.kind === "ingress") ingressTxns += 1;
    else bypassTxns += 1;
  }
  return {
    seed: opts.seed,
    strategy: strategy.name,
    scenario,
    finalPhase,
    expected,
    virtualMs: queue.now,
    counts: {
      ingressTxns,
      bypassTxns,
      calls: t.calls,
      mixedIngress: t.mixedIngress,
      mixedBypass: t.mixedBypass,
      failures: { ...t.failures },
      routedToRemoved: t.routedToRemoved,
      killedInFlight: t.killedInFlight,
      appErrors: t.appErrors,
      detectedViolations: world.store.violations,
    },
    g3: measureG3(scenario, opts.boundSettings, t),
    journal,
    violations: checkInvariants(scenario, opts.boundSettings, t, journal, finalPhase, expected),
    world,
  };
}

/** The one-line command that replays a seed. */
export function replayCommand(seed: number, strategy: string): string {
  return `SIM_SEED=${seed} SIM_STRATEGY=${strategy} npx vitest run test/sim`;
}
