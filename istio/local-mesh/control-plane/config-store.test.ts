/**
 * The config store is a fake of the Kubernetes API server for three kinds; each test names
 * the real behaviour it mirrors.
 */
import { describe, expect, it } from "vitest";
import { destinationRule, versionSubsets, virtualService } from "../../api/builders.js";
import type { VirtualService } from "../../api/types.js";
import { AdmissionDeniedError } from "../../schema/istiod-webhook.js";
import { ValidationError } from "../../schema/errors.js";
import { createConfigStore, InMemoryConfigStore } from "./config-store.js";
import { removeEndpoint, upsertEndpoint } from "./endpoints.js";
import { AlreadyExistsError, ConflictError, NotFoundError } from "./errors.js";
import type { Endpoint, WatchEvent } from "./types.js";

const vs = (name = "reviews", subset = "v1"): VirtualService =>
  virtualService(name, { hosts: [name], http: [{ route: [{ destination: { host: name, subset } }] }] });

const ep = (pod: string, version: string, ready = true): Endpoint => ({
  service: "reviews",
  address: "127.0.0.1:40001",
  port: 9080,
  labels: { app: "reviews", version },
  pod,
  ready,
});

const fixedNow = (): Date => new Date("2026-11-22T10:00:00.123Z");

describe("create / get / list", () => {
  it("create sets resourceVersion, uid, generation 1 and a second-precision creationTimestamp", () => {
    const store = createConfigStore({ now: fixedNow });
    const created = store.create(vs());
    expect(created.metadata).toMatchObject({
      resourceVersion: "1",
      generation: 1,
      creationTimestamp: "2026-11-22T10:00:00Z",
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(store.get("VirtualService", "default", "reviews")).toEqual(created);
  });

  it("create of an existing name is 409 AlreadyExists (API server POST on an existing name)", () => {
    const store = createConfigStore();
    store.create(vs());
    expect(() => store.create(vs())).toThrow(AlreadyExistsError);
    expect(() => store.create(vs())).toThrow('virtualservices.networking.istio.io "reviews" already exists');
  });

  it("get of a missing object is undefined; list filters by kind and namespace, sorted", () => {
    const store = createConfigStore();
    store.create(vs("b"));
    store.create(vs("a"));
    store.create(virtualService("c", vs("c").spec, "other"));
    store.create(versionSubsets("reviews", ["v1"]));
    expect(store.get("VirtualService", "default", "zzz")).toBeUndefined();
    expect(store.list("VirtualService", "default").map((o) => o.metadata.name)).toEqual(["a", "b"]);
    expect(store.list("VirtualService").map((o) => o.metadata.name)).toEqual(["a", "b", "c"]);
    expect(store.list("DestinationRule")).toHaveLength(1);
  });

  it("returned objects are copies (mutating them does not change the store)", () => {
    const store = createConfigStore();
    const created = store.create(vs());
    created.spec.hosts = ["mutated"];
    store.get("VirtualService", "default", "reviews")!.spec.hosts = ["mutated"];
    expect(store.get("VirtualService", "default", "reviews")!.spec.hosts).toEqual(["reviews"]);
  });
});

describe("validation on every write", () => {
  it("refuses a schema-invalid object with 422 and the field path (API server + CRD schema)", () => {
    const store = createConfigStore();
    const bad = virtualService("r", {
      hosts: ["r"],
      http: [{ route: [{ destination: { subset: "v1" } }] }],
    } as never);
    expect(() => store.create(bad)).toThrow(ValidationError);
    expect(() => store.create(bad)).toThrow("spec.http[0].route[0].destination.host: Required value");
    expect(store.epoch).toBe(0);
  });
  it("refuses what istiod's webhook denies (400)", () => {
    const store = createConfigStore();
    expect(() =>
      store.create(virtualService("r", { http: [{ route: [{ destination: { host: "r" } }] }] })),
    ).toThrow(AdmissionDeniedError);
  });
  it("prunes unknown fields and reports warnings (fieldValidation=Warn)", () => {
    const warnings: string[] = [];
    const store = createConfigStore({ onWarnings: (_o, w) => warnings.push(...w) });
    const created = store.create({ ...vs(), spec: { ...vs().spec, bogus: 1 } } as VirtualService);
    expect(created.spec).not.toHaveProperty("bogus");
    expect(warnings).toEqual(['unknown field "spec.bogus"']);
  });
  it("validates endpoint records", () => {
    const store = createConfigStore();
    expect(() => upsertEndpoint(store, { ...ep("p1", "v1"), port: 0 })).toThrow(
      'Endpoint.mesh.tranquil.local "p1" is invalid: spec.port: Invalid value: 0: must be between 1 and 65535, inclusive',
    );
  });
});

describe("optimistic concurrency (PUT with metadata.resourceVersion)", () => {
  it("update with the current resourceVersion succeeds, bumps resourceVersion and generation", () => {
    const store = createConfigStore();
    const v1 = store.create(vs());
    const v2 = store.update({ ...v1, spec: vs("reviews", "v2").spec });
    expect(v2.metadata.resourceVersion).toBe("2");
    expect(v2.metadata.generation).toBe(2);
    expect(v2.metadata.uid).toBe(v1.metadata.uid);
    expect(v2.metadata.creationTimestamp).toBe(v1.metadata.creationTimestamp);
  });

  it("update with a stale resourceVersion is a typed 409 Conflict", () => {
    const store = createConfigStore();
    const v1 = store.create(vs());
    store.update({ ...v1, spec: vs("reviews", "v2").spec });
    let caught: unknown;
    try {
      store.update({ ...v1, spec: vs("reviews", "v3").spec });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConflictError);
    expect(caught).toMatchObject({
      status: 409,
      reason: "Conflict",
      message:
        'Operation cannot be fulfilled on virtualservices.networking.istio.io "reviews": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it("update of a missing object is 404 NotFound", () => {
    const store = createConfigStore();
    expect(() => store.update({ ...vs(), metadata: { ...vs().metadata, resourceVersion: "1" } })).toThrow(
      NotFoundError,
    );
  });

  it("update without resourceVersion is 422 (custom resources require it)", () => {
    const store = createConfigStore();
    store.create(vs());
    expect(() => store.update(vs())).toThrow(
      "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
    );
  });

  it("an update that changes nothing keeps the resourceVersion and emits no event (API server no-op)", () => {
    const store = createConfigStore();
    const v1 = store.create(vs());
    const events: string[] = [];
    store.watch("VirtualService", (e) => events.push(e.type));
    expect(store.update(v1).metadata.resourceVersion).toBe("1");
    expect(events).toEqual([]);
    expect(store.epoch).toBe(1);
  });

  it("a label-only change bumps resourceVersion but not generation", () => {
    const store = createConfigStore();
    const v1 = store.create(vs());
    const v2 = store.update({ ...v1, metadata: { ...v1.metadata, labels: { owner: "tranquil" } } });
    expect([v2.metadata.resourceVersion, v2.metadata.generation]).toEqual(["2", 1]);
  });
});

describe("delete", () => {
  it("deletes, returns the last state, and 404s afterwards", () => {
    const store = createConfigStore();
    store.create(vs());
    expect(store.delete("VirtualService", "default", "reviews").metadata.name).toBe("reviews");
    expect(() => store.delete("VirtualService", "default", "reviews")).toThrow(NotFoundError);
  });
  it("honours a resourceVersion precondition (409 when stale)", () => {
    const store = createConfigStore();
    const v1 = store.create(vs());
    store.update({ ...v1, spec: vs("reviews", "v2").spec });
    expect(() => store.delete("VirtualService", "default", "reviews", { resourceVersion: "1" })).toThrow(
      /Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: 2/,
    );
    store.delete("VirtualService", "default", "reviews", { resourceVersion: "2" });
    expect(store.list("VirtualService")).toEqual([]);
  });
});

describe("watch (ADDED / MODIFIED / DELETED in order)", () => {
  it("delivers each kind's events in write order with increasing resourceVersions", () => {
    const store = createConfigStore();
    const seen: string[] = [];
    const stop = store.watch("VirtualService", (e) =>
      seen.push(`${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion ?? ""}`),
    );
    const drSeen: string[] = [];
    store.watch("DestinationRule", (e) => drSeen.push(e.type));
    const a = store.create(vs("a"));
    store.create(destinationRule("a", { host: "a" }));
    store.update({ ...a, spec: vs("a", "v2").spec });
    store.delete("VirtualService", "default", "a");
    stop();
    store.create(vs("b"));
    expect(seen).toEqual(["ADDED a@1", "MODIFIED a@3", "DELETED a@4"]);
    expect(drSeen).toEqual(["ADDED"]);
  });

  it("sendInitialEvents replays existing objects as ADDED first (watch-list)", () => {
    const store = createConfigStore();
    store.create(vs("a"));
    const seen: string[] = [];
    store.watch("VirtualService", (e) => seen.push(`${e.type} ${e.object.metadata.name}`), {
      sendInitialEvents: true,
    });
    store.create(vs("b"));
    expect(seen).toEqual(["ADDED a", "ADDED b"]);
  });

  it("a handler that writes sees its own event after the current one (no re-entrancy)", () => {
    const store = createConfigStore();
    const seen: string[] = [];
    store.watch("VirtualService", (e) => {
      seen.push(`h1 ${e.type} ${e.object.metadata.name}`);
      if (e.object.metadata.name === "a") store.create(vs("b"));
    });
    store.watch("VirtualService", (e) => seen.push(`h2 ${e.type} ${e.object.metadata.name}`));
    store.create(vs("a"));
    expect(seen).toEqual(["h1 ADDED a", "h2 ADDED a", "h1 ADDED b", "h2 ADDED b"]);
  });

  it("a throwing handler does not fail the write or starve other handlers", () => {
    const errors: unknown[] = [];
    const store = new InMemoryConfigStore({ onWatchError: (e) => errors.push(e) });
    const seen: WatchEvent<unknown>[] = [];
    store.watch("VirtualService", () => {
      throw new Error("boom");
    });
    store.watch("VirtualService", (e) => seen.push(e));
    store.create(vs());
    expect(errors).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });
});

describe("epoch and snapshots", () => {
  it("epoch increases with every write of any kind; snapshots are frozen and cached per epoch", () => {
    const store = createConfigStore();
    store.create(vs());
    upsertEndpoint(store, ep("reviews-v1-a", "v1"));
    const s = store.snapshot();
    expect(s.epoch).toBe(2);
    expect(store.snapshot()).toBe(s);
    expect(Object.isFrozen(s.virtualServices[0]?.spec.http)).toBe(true);
    expect(s.endpoints).toEqual([ep("reviews-v1-a", "v1")]);
    upsertEndpoint(store, ep("reviews-v1-a", "v1", false));
    expect(store.snapshot().epoch).toBe(3);
    expect(store.snapshot().endpoints[0]?.ready).toBe(false);
  });

  it("a service stays known after its last endpoint is removed (the Service outlives its pods)", () => {
    const store = createConfigStore();
    upsertEndpoint(store, ep("reviews-v1-a", "v1"));
    expect(removeEndpoint(store, "reviews-v1-a")).toBe(true);
    expect(removeEndpoint(store, "reviews-v1-a")).toBe(false);
    expect(store.snapshot()).toMatchObject({
      endpoints: [],
      services: ["reviews"],
      servicePorts: { reviews: [9080] },
    });
  });
});
