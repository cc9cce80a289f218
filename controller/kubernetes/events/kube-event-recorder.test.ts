/**
 * The Kubernetes event recorder on a real API server, as a service account holding exactly
 * EVENT_RECORDER_RBAC_RULES: Events regard the Upgrade by uid and are found the way `kubectl
 * describe` finds them (core/v1, `involvedObject.uid`); repeats fold into a series; a missing
 * Upgrade or a refused write never reaches the caller.
 */
import { Writable } from "node:stream";
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  V1MicroTime,
  type EventsV1Event,
  type KubeConfig,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeTestEnv, type KubeTestEnv } from "../../../test/cluster/support/kube-test-env.js";
import type { UpgradeEventNote } from "../../ports/events.js";
import { serviceAccountKubeConfig } from "../routes/testing/service-account.js";
import { NOTE_LIMIT_BYTES, REPORTING_CONTROLLER } from "./event-body.js";
import { KubeEventRecorder } from "./kube-event-recorder.js";
import { EVENT_RECORDER_RBAC_RULES } from "./rbac.js";

const API = { group: "tranquil.dev", version: "v1alpha1", plural: "upgrades" };
const T0 = Date.UTC(2026, 11, 2, 19, 0, 0, 123);
const INSTANCE = "tranquil-controller-7d9f-abcde";

/** One logged line, as pino writes it. */
interface LogLine {
  level: number;
  msg: string;
  err?: { message?: string };
}

/** A pino logger whose lines the test reads back. */
function capturingLogger(): { logger: pino.Logger; lines: () => LogLine[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return {
    logger: pino({ level: "debug" }, sink),
    lines: () =>
      lines.flatMap((l) => l.split("\n").filter((x) => x !== "")).map((l) => JSON.parse(l) as LogLine),
  };
}

describe("KubeEventRecorder on a real API server", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let kc: KubeConfig;
  let uid: string;
  let now = T0;
  const ns = "shop";
  const upgrade = { namespace: ns, name: "auth-v2" };
  const log = capturingLogger();
  let recorder: KubeEventRecorder;

  beforeAll(async () => {
    env = await startKubeTestEnv();
    await env.namespace(ns);
    const created = (await env.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      ...API,
      namespace: ns,
      body: {
        apiVersion: "tranquil.dev/v1alpha1",
        kind: "Upgrade",
        metadata: { name: upgrade.name },
        spec: { services: [{ name: "auth-service", from: "v1", to: "v2" }] },
      },
    })) as { metadata: { uid: string } };
    uid = created.metadata.uid;
    kc = await serviceAccountKubeConfig(env.kc, {
      namespace: "tranquil-system",
      name: "events",
      rules: EVENT_RECORDER_RBAC_RULES,
    });
    recorder = new KubeEventRecorder({
      kc,
      reportingInstance: INSTANCE,
      logger: log.logger,
      clock: () => now,
    });
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  const note = (reason: string, message: string, at = now): UpgradeEventNote => ({
    type: reason === "GitOpsRevert" ? "Warning" : "Normal",
    reason,
    message,
    at,
  });
  const events = async (): Promise<EventsV1Event[]> =>
    (await env.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns })).items.filter(
      (e) => e.regarding?.uid === uid,
    );
  /** What `kubectl describe upgrade auth-v2` lists. */
  const described = async () =>
    (
      await env.kc
        .makeApiClient(CoreV1Api)
        .listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.uid=${uid}` })
    ).items;

  it("records an Event that regards the Upgrade by uid, which kubectl describe's query finds", async () => {
    await recorder.record(upgrade, note("PhaseChanged", "Validating → Preparing: the spec is valid"));
    const [event, ...others] = await events();
    expect(others).toEqual([]);
    expect(event).toMatchObject({
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: INSTANCE,
      action: "PhaseChanged",
      reason: "PhaseChanged",
      type: "Normal",
      note: "Validating → Preparing: the spec is valid",
      regarding: {
        apiVersion: "tranquil.dev/v1alpha1",
        kind: "Upgrade",
        name: "auth-v2",
        namespace: ns,
        uid,
      },
    });
    expect(JSON.parse(JSON.stringify(event?.eventTime))).toBe("2026-12-02T19:00:00.123000Z");
    const [core] = await described();
    expect(core).toMatchObject({
      reason: "PhaseChanged",
      message: "Validating → Preparing: the spec is valid",
      type: "Normal",
      involvedObject: { kind: "Upgrade", name: "auth-v2", uid },
      reportingComponent: REPORTING_CONTROLLER,
      reportingInstance: INSTANCE,
    });
    expect(recorder.counts).toMatchObject({ created: 1, failed: 0 });
  });

  it("reads back the Events that regard the Upgrade, oldest first, a series once (the dashboard's Events)", async () => {
    const before = (await recorder.recent(upgrade)).length;
    await recorder.record(upgrade, {
      ...note("PinSnapshot", "waiting for the pin snapshot"),
      at: Date.UTC(2026, 11, 2, 19, 5),
    });
    await recorder.record(upgrade, {
      ...note("AbortRefused", "abort refused: Finalizing began"),
      type: "Warning",
      at: Date.UTC(2026, 11, 2, 19, 6),
    });
    const read = await recorder.recent(upgrade);
    expect(read.length).toBe(before + 2);
    expect(read.slice(-2)).toEqual([
      {
        type: "Normal",
        reason: "PinSnapshot",
        message: "waiting for the pin snapshot",
        at: Date.UTC(2026, 11, 2, 19, 5),
      },
      {
        type: "Warning",
        reason: "AbortRefused",
        message: "abort refused: Finalizing began",
        at: Date.UTC(2026, 11, 2, 19, 6),
      },
    ]);
    expect(read.map((e) => e.at)).toEqual([...read.map((e) => e.at)].sort((a, b) => a - b));
    // Another Upgrade's Events are not among them.
    expect(await recorder.recent({ namespace: upgrade.namespace, name: "other-upgrade" })).toEqual([]);
  });

  it("folds a repeat of the same note into the Event's series, and starts afresh after the window", async () => {
    const waiting = "waiting for 2 of 3 gateways to apply weight 10% (version 2)";
    await recorder.record(upgrade, note("Waiting", waiting, T0 + 1_000));
    now += 60_000;
    await recorder.record(upgrade, note("Waiting", waiting, T0 + 61_000));
    now += 60_000;
    await recorder.record(upgrade, note("Waiting", waiting, T0 + 121_000));
    await recorder.record(upgrade, note("Waiting", "another message is another Event", T0 + 121_500));
    const repeated = (await events()).filter((e) => e.note === waiting);
    expect(repeated).toHaveLength(1);
    expect(repeated[0]?.series?.count).toBe(3);
    expect(JSON.parse(JSON.stringify(repeated[0]?.series?.lastObservedTime))).toBe(
      "2026-12-02T19:02:01.123000Z",
    );
    const core = (await described()).find((e) => e.message === waiting);
    expect(core?.series?.count).toBe(3);
    expect((await events()).filter((e) => e.reason === "Waiting")).toHaveLength(2);
    // Seven minutes later the same note is news again.
    now += 7 * 60_000;
    await recorder.record(upgrade, note("Waiting", waiting, T0 + 541_000));
    expect((await events()).filter((e) => e.note === waiting)).toHaveLength(2);
  });

  it("cuts a long message to the API's 1 kB note limit, which the API server enforces", async () => {
    const message = `routes reverted: ${"reviews-v1-a ".repeat(300)}`;
    const uncut = await env.kc
      .makeApiClient(EventsV1Api)
      .createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { name: "uncut" },
          eventTime: new V1MicroTime(now),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: INSTANCE,
          action: "GitOpsRevert",
          reason: "GitOpsRevert",
          type: "Warning",
          note: message,
          regarding: { kind: "Upgrade", name: upgrade.name, namespace: ns, uid },
        },
      })
      .catch((e: unknown) => e);
    expect(uncut).toMatchObject({ code: 422 });
    await recorder.record(upgrade, note("GitOpsRevert", message));
    const long = (await events()).find((e) => e.reason === "GitOpsRevert");
    expect(Buffer.byteLength(long?.note ?? "", "utf8")).toBeLessThanOrEqual(NOTE_LIMIT_BYTES);
    expect(long?.note?.endsWith("…")).toBe(true);
  });

  it("drops the Event of an Upgrade that does not exist, without throwing", async () => {
    const before = (await env.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns })).items
      .length;
    await expect(
      recorder.record({ namespace: ns, name: "nobody" }, note("PhaseChanged", "x")),
    ).resolves.toBeUndefined();
    expect(recorder.counts.dropped).toBe(1);
    expect(
      (await env.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns })).items,
    ).toHaveLength(before);
  });

  it("never throws when the API server refuses: the failure is logged, naming what RBAC refused", async () => {
    const bare = await serviceAccountKubeConfig(env.kc, {
      namespace: "tranquil-system",
      name: "no-events",
      rules: [{ apiGroups: ["tranquil.dev"], resources: ["upgrades"], verbs: ["get"] }],
    });
    const refused = new KubeEventRecorder({ kc: bare, reportingInstance: INSTANCE, logger: log.logger });
    await expect(
      refused.record(upgrade, note("PhaseChanged", "Preparing → Shifting")),
    ).resolves.toBeUndefined();
    expect(refused.counts).toMatchObject({ created: 0, failed: 1 });
    const warning = log.lines().find((l) => l.msg === "could not record an event");
    expect(warning?.level).toBe(40);
    expect(warning?.err?.message).toMatch(
      /RBAC forbids the service account tranquil-system\/no-events to create events\.events\.k8s\.io in namespace shop/,
    );
  });
});
