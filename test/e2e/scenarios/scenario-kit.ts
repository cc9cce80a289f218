/**
 * What scenarios share: the scenario shape, creating and following Upgrades through an
 * {@link E2eBackend}, the load's grade (every failed and mixed transaction described), and the
 * stored routes as `name → JSON of the spec` for byte-for-byte comparisons.
 */
import { watchUpgrade } from "../../../controller/local/demo/watch-upgrade.js";
import type { UpgradeSpec } from "../../../controller/engine/types.js";
import type { UpgradeRecord } from "../../../controller/ports/upgrade-store.js";
import type { TransactionRecord } from "../../../sample-services/load/index.js";
import { describeLoad, sleep, strategy, type Users } from "../harness.js";
import type { BackendNeeds, E2eBackend } from "./e2e-backend.js";

/** One end-to-end scenario, run as it is on every backend. */
export interface Scenario {
  /** The test's title. */
  readonly title: string;
  readonly needs: BackendNeeds;
  /** Runs the scenario and its expectations on a booted backend. */
  run(b: E2eBackend): Promise<void>;
}

/** Submits an Upgrade; throws unless it was accepted. */
export async function createUpgrade(b: E2eBackend, name: string, spec: UpgradeSpec): Promise<void> {
  const answer = await b.submit(name, spec);
  if (answer.refused) throw new Error(`e2e: upgrade ${name} refused: ${answer.status} ${answer.message}`);
}

/** Follows an upgrade (a watch on the users' view) until it ends. */
export function waitForEnd(b: E2eBackend, name: string, timeoutMs = 150_000): Promise<UpgradeRecord> {
  return watchUpgrade(b.upgrades(), { namespace: b.namespace, name }, () => undefined, timeoutMs);
}

/** Reads the upgrade until `pred` holds (or throws after `timeoutMs`). */
export async function waitUntil(
  b: E2eBackend,
  name: string,
  pred: (u: UpgradeRecord) => boolean,
  timeoutMs = 90_000,
): Promise<UpgradeRecord> {
  const deadline = Date.now() + timeoutMs;
  let last: UpgradeRecord | undefined;
  while (Date.now() < deadline) {
    last = await b.upgrades().get({ namespace: b.namespace, name });
    if (pred(last)) return last;
    await sleep(50);
  }
  throw new Error(
    `e2e: upgrade ${name} did not reach the awaited state within ${timeoutMs} ms (last ${last?.status.phase}/${last?.status.engine.stage})`,
  );
}

/**
 * Submits auth-service v1 → v2 in two steps with a long analysis window and waits until it is
 * held at 50% in analysis: the moment a scenario acts mid-upgrade (an abort, a foreign writer).
 */
export async function startHeldAtHalf(b: E2eBackend, name: string): Promise<void> {
  await createUpgrade(b, name, {
    services: [{ name: "auth-service", from: "v1", to: "v2" }],
    strategy: { ...strategy([50, 100]), stepInterval: "60s" },
  });
  await waitUntil(b, name, (u) => u.status.phase === "Shifting" && u.status.engine.stage === "analyse");
}

/** The grade of a finished load. */
export interface LoadGrade {
  readonly described: string;
  readonly transactions: readonly TransactionRecord[];
  /** Every failed transaction, described (kind, status, error, who served it). */
  readonly failed: readonly string[];
  /** Every mixed-version transaction, described. */
  readonly mixed: readonly string[];
  /** `service → versions that served users`, sorted. */
  readonly versionsSeen: (service: string) => string[];
}

/** Finishes the users and grades what they saw. */
export async function grade(users: readonly Users[]): Promise<LoadGrade> {
  const reports = await Promise.all(users.map((u) => u.finish()));
  const transactions = reports.flatMap((r) => r.transactions);
  return {
    described: reports.map(describeLoad).join("; "),
    transactions,
    failed: transactions
      .filter((t) => !t.ok)
      .map((t) => `${t.kind} ${t.status} ${t.error ?? ""} ${t.servedBy.join(",")}`),
    mixed: transactions
      .filter((t) => Object.keys(t.mixed).length > 0)
      .map((t) => `${t.kind} ${JSON.stringify(t.mixed)}`),
    versionsSeen: (service) =>
      [
        ...new Set(
          transactions.flatMap((t) =>
            t.servedBy.filter((s) => s.startsWith(`${service}@`)).map((s) => s.slice(service.length + 1)),
          ),
        ),
      ].sort(),
  };
}

/** Every VirtualService as `name → JSON of its spec` (what user-visible routing is). */
export async function virtualServiceSpecs(b: E2eBackend): Promise<Map<string, string>> {
  return new Map((await b.virtualServices()).map((vs) => [vs.metadata.name, JSON.stringify(vs.spec)]));
}

/** Every DestinationRule as `name → JSON of its spec`. */
export async function destinationRuleSpecs(b: E2eBackend): Promise<Map<string, string>> {
  return new Map((await b.destinationRules()).map((dr) => [dr.metadata.name, JSON.stringify(dr.spec)]));
}

/** Names of Tranquil-owned routes (`tranquil-*`) in any VirtualService. */
export async function tranquilRoutes(b: E2eBackend): Promise<string[]> {
  return (await b.virtualServices())
    .flatMap((vs) => (vs.spec.http ?? []).map((r) => r.name ?? ""))
    .filter((n) => n.startsWith("tranquil-"));
}

/** The JSON of one VirtualService's spec, or undefined when there is none. */
export async function virtualServiceSpec(b: E2eBackend, name: string): Promise<string | undefined> {
  return (await virtualServiceSpecs(b)).get(name);
}

/** The conditions of an upgrade, one line (for messages). */
export function said(u: UpgradeRecord): string {
  return u.status.conditions.map((c) => `${c.type}=${c.status} ${c.reason}: ${c.message}`).join("; ");
}

/** Seconds since `began`, one decimal. */
export function secondsSince(began: number): string {
  return ((Date.now() - began) / 1000).toFixed(1);
}
