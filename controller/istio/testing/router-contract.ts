/**
 * The one contract IstioRouter and its RouteTable meet on every backend (the local mesh's config
 * store and the Kubernetes API server), so a routing guarantee cannot hold on one and silently
 * not be tested on the other: optimistic concurrency (409 on a stale resourceVersion, 404 on a
 * missing object), reads that serve our own writes at once, every field Tranquil does not own
 * surviving byte for byte, a concurrent writer never overwritten, a crash re-execution reporting
 * the same edit (G5), and a GitOps revert seen by `epochInTable` and left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { virtualService } from "../../../istio/api/builders.js";
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import type { RoutePlanIntent } from "../../engine/types.js";
import type { UpgradeRef } from "../../ports/router.js";
import { IstioRouter } from "../istio-router.js";
import { isConflict, isNotFound, type RouteTable } from "../route-table.js";
import { sentinelName, tranquilRouteKind } from "../routes/index.js";
import { richDestinationRule, richVirtualService, unrelatedVirtualService } from "./rich-routes.js";

/** A routing kind, as the other writer names it. */
export type RoutingKind = "VirtualService" | "DestinationRule";

/** Maps a kind to its object type. */
export interface RoutingObjectByKind {
  VirtualService: VirtualService;
  DestinationRule: DestinationRule;
}

/** Another client of the same store (a user with kubectl, a GitOps tool), writing directly. */
export interface OtherWriter {
  get<K extends RoutingKind>(
    kind: K,
    namespace: string,
    name: string,
  ): Promise<RoutingObjectByKind[K] | undefined>;
  create<T extends VirtualService | DestinationRule>(obj: T): Promise<T>;
  /** Replaces; `metadata.resourceVersion` must be current. */
  replace<T extends VirtualService | DestinationRule>(obj: T): Promise<T>;
}

/** What a backend gives the suite. */
export interface RouterContractHarness {
  readonly table: RouteTable;
  readonly other: OtherWriter;
  /** A namespace for one scenario (it exists and is empty). */
  namespace(name: string): Promise<string>;
  close(): Promise<void>;
}

const HEADER = "x-tranquil-release";
const held: RoutePlanIntent = { mode: "held", sentinel: true, pins: [] };

const upgradeIn = (namespace: string, id: string): UpgradeRef => ({
  id,
  namespace,
  spec: { services: [{ name: "reviews", from: "v1", to: "v2" }] },
});

/** Waits until `read` gives a value (the table's informer catching up; instant on the local store). */
async function until<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Listed = VirtualService | DestinationRule;

/** Finds `obj` (at exactly its resourceVersion) in what the table lists. */
const listedAt = (listed: readonly Listed[], obj: Listed): Listed | undefined =>
  listed.find(
    (o) =>
      o.metadata.namespace === obj.metadata.namespace &&
      o.metadata.name === obj.metadata.name &&
      o.metadata.resourceVersion === obj.metadata.resourceVersion,
  );

/** Waits until the table serves `obj` at its resourceVersion. */
function seen(table: RouteTable, obj: Listed): Promise<Listed> {
  const list = (): Promise<readonly Listed[]> =>
    obj.kind === "VirtualService" ? table.listVirtualServices() : table.listDestinationRules();
  return until(`${obj.kind} ${obj.metadata.name}@${obj.metadata.resourceVersion}`, async () =>
    listedAt(await list(), obj),
  );
}

/** The stored object, which the scenario has made and must find. */
async function stored<K extends RoutingKind>(
  other: OtherWriter,
  kind: K,
  namespace: string,
  name: string,
): Promise<RoutingObjectByKind[K]> {
  const obj = await other.get(kind, namespace, name);
  if (obj === undefined) throw new Error(`${kind} ${namespace}/${name} is missing`);
  return obj;
}

/** The resourceVersion of an object the store returned (it always has one). */
function rvOf(obj: Listed): string {
  const rv = obj.metadata.resourceVersion;
  if (rv === undefined) throw new Error(`${obj.kind} ${obj.metadata.name} has no resourceVersion`);
  return rv;
}

/** The object without what the server maintains itself: what its writers own, as plain JSON. */
function owned(obj: Listed | undefined): unknown {
  if (obj === undefined) return undefined;
  const { status: _status, ...copy } = JSON.parse(JSON.stringify(obj)) as {
    metadata: Record<string, unknown>;
    status?: unknown;
  };
  const {
    resourceVersion: _rv,
    generation: _generation,
    managedFields: _managedFields,
    creationTimestamp: _creationTimestamp,
    uid: _uid,
    ...metadata
  } = copy.metadata;
  return { ...copy, metadata };
}

/** The VirtualService without Tranquil's routes of upgrade `id`. */
function withoutTranquilRoutes(vs: VirtualService, id: string): unknown {
  const copy = structuredClone(vs);
  if (copy.spec.http !== undefined)
    copy.spec.http = copy.spec.http.filter((r) => tranquilRouteKind(id, r.name) === undefined);
  return owned(copy);
}

/** Wraps `table` so that `between` runs once, after the first VirtualService list and before any write. */
function interleaved(
  table: RouteTable,
  between: () => Promise<void>,
  kind: RoutingKind,
): { table: RouteTable; lists: () => number } {
  let lists = 0;
  const wrapped: RouteTable = {
    listVirtualServices: async () => {
      const listed = await table.listVirtualServices();
      if (kind === "VirtualService" && lists++ === 0) await between();
      return listed;
    },
    listDestinationRules: async () => {
      const listed = await table.listDestinationRules();
      if (kind === "DestinationRule" && lists++ === 0) await between();
      return listed;
    },
    putVirtualService: (vs) => table.putVirtualService(vs),
    putDestinationRule: (dr) => table.putDestinationRule(dr),
    deleteVirtualService: (key) => table.deleteVirtualService(key),
    deleteDestinationRule: (key) => table.deleteDestinationRule(key),
  };
  return { table: wrapped, lists: () => lists };
}

/** Runs the contract against the harness `make` returns. */
export function describeRouterContract(name: string, make: () => Promise<RouterContractHarness>): void {
  describe(`IstioRouter contract: ${name}`, { timeout: 60_000 }, () => {
    let h: RouterContractHarness;
    let router: IstioRouter;
    beforeAll(async () => {
      h = await make();
      router = new IstioRouter({ table: h.table, enrolmentHeader: HEADER });
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });

    /** Creates a user object as another client would, and waits until the table serves it. */
    const seed = async <T extends VirtualService | DestinationRule>(obj: T): Promise<T> => {
      const created = await h.other.create(obj);
      await seen(h.table, created);
      return created;
    };
    const simpleReviews = (ns: string): VirtualService =>
      virtualService(
        "reviews",
        {
          hosts: ["reviews"],
          http: [{ name: "main", route: [{ destination: { host: "reviews", subset: "v1" } }] }],
        },
        ns,
      );

    it("reports Finalizing's edit again when its write is re-executed after a crash (G5)", async () => {
      const ns = await h.namespace("contract-g5");
      const upgrade = upgradeIn(ns, "up1");
      await seed(simpleReviews(ns));
      const finalized = { mode: "finalized", sentinel: true, pins: [] } as const;
      const first = await router.writeRoutes(upgrade, 4, finalized);
      const edit = {
        namespace: ns,
        virtualService: "reviews",
        route: "main",
        destinationIndex: 0,
        host: "reviews",
        subset: "v1",
      };
      expect(first.recorded).toEqual([edit]);
      const version = (await h.other.get("VirtualService", ns, "reviews"))?.metadata.resourceVersion;
      // The controller died before writing its status: the restarted one executes the write again.
      const again = await router.writeRoutes(upgrade, 4, finalized);
      expect(again.recorded).toEqual([edit]);
      expect((await h.other.get("VirtualService", ns, "reviews"))?.metadata.resourceVersion).toBe(version);
      // The last write removes the record from the VirtualService and leaves the edit.
      const last = await router.writeRoutes(upgrade, 5, { ...finalized, sentinel: false });
      expect(last.recorded).toEqual([]);
      const vs = await h.other.get("VirtualService", ns, "reviews");
      expect(vs?.metadata.annotations?.["originals.tranquil.dev/up1"]).toBeUndefined();
      expect(vs?.spec.http).toEqual([
        { name: "main", route: [{ destination: { host: "reviews", subset: "v2" } }] },
      ]);
    });

    it("deletes only the object as it was planned from: a stale resourceVersion is refused (409)", async () => {
      const ns = await h.namespace("contract-stale-delete");
      const read = await seed(simpleReviews(ns));
      const changed = structuredClone(read);
      changed.metadata.labels = { changed: "by-someone-else" };
      await seen(h.table, await h.other.replace(changed));
      const refused = await h.table
        .deleteVirtualService({
          namespace: ns,
          name: "reviews",
          resourceVersion: rvOf(read),
        })
        .catch((e: unknown) => e);
      expect(isConflict(refused)).toBe(true);
      expect(await h.other.get("VirtualService", ns, "reviews")).toBeDefined();
    });

    it("refuses a stale replace and a second create with 409, and a missing object with 404", async () => {
      const ns = await h.namespace("contract-conflicts");
      const vs = await seed(simpleReviews(ns));
      const dr = await seed(richDestinationRule(ns));
      const vsNow = structuredClone(vs);
      vsNow.metadata.labels = { edited: "by-a-user" };
      await h.other.replace(vsNow);
      const drNow = structuredClone(dr);
      drNow.metadata.annotations = { ...drNow.metadata.annotations, edited: "by-a-user" };
      await h.other.replace(drNow);

      const stale = structuredClone(vs);
      stale.spec.http = [];
      const staleDr = structuredClone(dr);
      staleDr.spec.subsets = [];
      const { resourceVersion: _rv, ...fresh } = vs.metadata;
      const missing = simpleReviews(ns);
      missing.metadata = {
        ...missing.metadata,
        name: "nobody",
        resourceVersion: rvOf(vs),
      };
      const outcomes = await Promise.all(
        [
          h.table.putVirtualService(stale),
          h.table.putDestinationRule(staleDr),
          h.table.putVirtualService({ ...vs, metadata: fresh }),
          h.table.putVirtualService(missing),
          h.table.deleteVirtualService({ namespace: ns, name: "nobody" }),
          h.table.deleteDestinationRule({ namespace: ns, name: "nobody" }),
        ].map((p) =>
          p.then(
            () => "written",
            (e: unknown) => (isConflict(e) ? 409 : isNotFound(e) ? 404 : e),
          ),
        ),
      );
      expect(outcomes).toEqual([409, 409, 409, 404, 404, 404]);
      expect((await h.other.get("VirtualService", ns, "reviews"))?.metadata.labels).toEqual({
        edited: "by-a-user",
      });
      expect((await h.other.get("DestinationRule", ns, "reviews"))?.spec.subsets).toEqual(dr.spec.subsets);
    });

    it("serves its own writes at once, and after a 409 the version that caused it", async () => {
      const ns = await h.namespace("contract-read-own");
      const created = await h.table.putVirtualService(simpleReviews(ns));
      expect(listedAt(await h.table.listVirtualServices(), created)).toEqual(created);
      const next = structuredClone(created);
      next.metadata.labels = { step: "two" };
      const replaced = await h.table.putVirtualService(next);
      expect(replaced.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
      expect(listedAt(await h.table.listVirtualServices(), replaced)).toEqual(replaced);
      // Another writer changes it; our stale write is refused, and the next list serves theirs.
      const theirs = structuredClone(replaced);
      theirs.metadata.labels = { step: "theirs" };
      const saved = await h.other.replace(theirs);
      const refused = await h.table.putVirtualService(next).catch((e: unknown) => e);
      expect(isConflict(refused)).toBe(true);
      expect(listedAt(await h.table.listVirtualServices(), saved)?.metadata.labels).toEqual({
        step: "theirs",
      });
      await h.table.deleteVirtualService({
        namespace: ns,
        name: "reviews",
        resourceVersion: rvOf(saved),
      });
      expect((await h.table.listVirtualServices()).filter((v) => v.metadata.namespace === ns)).toEqual([]);
    });

    it("keeps every field, route, subset, label and annotation it does not own, byte for byte, through an upgrade and its rollback", async () => {
      const ns = await h.namespace("contract-rich");
      const upgrade = upgradeIn(ns, "rich");
      const userVs = await seed(richVirtualService(ns));
      const userDr = await seed(richDestinationRule(ns));
      const details = await seed(unrelatedVirtualService(ns));
      const current = async (): Promise<{ vs: VirtualService; dr: DestinationRule }> => ({
        vs: await stored(h.other, "VirtualService", ns, "reviews"),
        dr: await stored(h.other, "DestinationRule", ns, "reviews"),
      });

      await router.ensureSubset(upgrade, "reviews", "v2");
      const withV2 = structuredClone(userDr);
      withV2.spec.subsets = [...(withV2.spec.subsets ?? []), { name: "v2", labels: { version: "v2" } }];
      expect(owned((await current()).dr)).toStrictEqual(owned(withV2));

      const intents: [number, RoutePlanIntent][] = [
        [1, held],
        [2, { mode: "doorOpen", sentinel: true, pins: ["tx-1", "tx-2"] }],
        [3, { mode: "doorOpen", sentinel: true, pins: ["tx-1", "tx-2"], stamps: true }],
        [4, { mode: "flipped", sentinel: true, pins: ["tx-2"], stamps: true }],
        [5, held],
      ];
      for (const [epoch, intent] of intents) {
        await router.writeRoutes(upgrade, epoch, intent);
        const { vs } = await current();
        const names = (vs.spec.http ?? []).map((r) => r.name);
        expect(names[0]).toBe(sentinelName("rich", epoch));
        expect(names.filter((n) => tranquilRouteKind("rich", n) !== undefined).length).toBeGreaterThan(2);
        // The gateway stamps (ADR 0090) pass the store's schema and stand only while asked for.
        const stamps = names.filter((n) => tranquilRouteKind("rich", n) === "stamp");
        expect(stamps.length > 0).toBe(intent.stamps === true);
        expect(withoutTranquilRoutes(vs, "rich")).toStrictEqual(owned(userVs));
        expect(await router.epochInTable(upgrade)).toBe(epoch);
        // (Other scenarios of the suite reuse the id in their own namespaces.)
        expect(await router.sentinelGateways(upgrade)).toContain(`${ns}/public`);
      }

      // The rollback's last write and the subset's removal leave the user's objects as they were.
      await router.writeRoutes(upgrade, 6, { mode: "none", sentinel: false, pins: [] });
      await router.removeSubset(upgrade, "reviews", "v2");
      const { vs, dr } = await current();
      expect(owned(vs)).toStrictEqual(owned(userVs));
      expect(owned(dr)).toStrictEqual(owned(userDr));
      expect(await router.epochInTable(upgrade)).toBeNull();
      expect(await router.sentinelGateways(upgrade)).not.toContain(`${ns}/public`);
      expect((await h.other.get("VirtualService", ns, "details"))?.metadata.resourceVersion).toBe(
        details.metadata.resourceVersion,
      );
    });

    it("does not overwrite a writer that changes the VirtualService between its read and its write", async () => {
      const ns = await h.namespace("contract-race-vs");
      const upgrade = upgradeIn(ns, "race");
      const user = await seed(richVirtualService(ns));
      const hotfix = {
        name: "hotfix",
        match: [{ uri: { prefix: "/hotfix" } }],
        route: [{ destination: { host: "ratings" } }],
      };
      const race = interleaved(
        h.table,
        async () => {
          const theirs = structuredClone(user);
          theirs.metadata.annotations = { ...theirs.metadata.annotations, "example.com/reviewed": "yes" };
          theirs.spec.http = [hotfix, ...(theirs.spec.http ?? [])];
          await h.other.replace(theirs);
        },
        "VirtualService",
      );
      await new IstioRouter({ table: race.table, enrolmentHeader: HEADER }).writeRoutes(upgrade, 1, held);
      const vs = await stored(h.other, "VirtualService", ns, "reviews");
      expect(vs.metadata.annotations?.["example.com/reviewed"]).toBe("yes");
      expect(vs.spec.http?.[0]?.name).toBe(sentinelName("race", 1));
      expect(vs.spec.http?.find((r) => r.name === "hotfix")).toEqual(hotfix);
      // One refused write, one re-plan from the other writer's version: no retry from a stale copy.
      expect(race.lists()).toBe(2);
    });

    it("does not overwrite a writer that changes the DestinationRule between its read and its write", async () => {
      const ns = await h.namespace("contract-race-dr");
      const upgrade = upgradeIn(ns, "race");
      const user = await seed(richDestinationRule(ns));
      const blue = { name: "blue", labels: { version: "v1", colour: "blue" } };
      const race = interleaved(
        h.table,
        async () => {
          const theirs = structuredClone(user);
          theirs.spec.subsets = [...(theirs.spec.subsets ?? []), blue];
          await h.other.replace(theirs);
        },
        "DestinationRule",
      );
      await new IstioRouter({ table: race.table, enrolmentHeader: HEADER }).ensureSubset(
        upgrade,
        "reviews",
        "v2",
      );
      const dr = await stored(h.other, "DestinationRule", ns, "reviews");
      expect(dr.spec.subsets?.map((s) => s.name)).toEqual(["v1", "canary-pool", "blue", "v2"]);
      expect(race.lists()).toBe(2);
    });

    it("sees a GitOps revert of its routes through epochInTable and leaves the reverted object alone", async () => {
      const ns = await h.namespace("contract-revert");
      const upgrade = upgradeIn(ns, "revert");
      const user = await seed(richVirtualService(ns));
      await router.writeRoutes(upgrade, 3, held);
      expect(await router.epochInTable(upgrade)).toBe(3);
      // A GitOps tool's self-heal puts back the VirtualService as declared in Git.
      const ours = await stored(h.other, "VirtualService", ns, "reviews");
      const declared = structuredClone(user);
      declared.metadata.resourceVersion = rvOf(ours);
      const reverted = await h.other.replace(declared);
      await seen(h.table, reverted);
      expect(await router.epochInTable(upgrade)).toBeNull();
      // The table writes nothing by itself: the revert stands until the engine decides.
      await new Promise((r) => setTimeout(r, 500));
      const now = await h.other.get("VirtualService", ns, "reviews");
      expect(now?.metadata.resourceVersion).toBe(reverted.metadata.resourceVersion);
      expect(owned(now)).toStrictEqual(owned(user));
    });
  });
}
