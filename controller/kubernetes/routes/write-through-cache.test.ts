import { describe, expect, it } from "vitest";
import { WriteThroughCache, type CachedObject } from "./write-through-cache.js";

interface Obj extends CachedObject {
  readonly spec: { readonly value: string };
}

const obj = (name: string, rv: string, value = rv, uid = `uid-${name}`): Obj => ({
  metadata: { namespace: "ns", name, resourceVersion: rv, uid },
  spec: { value },
});

/** An informer stand-in: a map the test fills as the watch would, telling the cache as it goes. */
function setup(maxAgeMs = 30_000) {
  const held = new Map<string, Obj>();
  let now = 1_000;
  const cache = new WriteThroughCache<Obj>(
    { all: () => [...held.values()], get: (ns, name) => held.get(`${ns}/${name}`) },
    { clock: () => now, maxAgeMs },
  );
  const deliver = (o: Obj): void => {
    held.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    cache.observed(o);
  };
  const deliverDelete = (o: Obj): void => {
    held.delete(`${o.metadata.namespace}/${o.metadata.name}`);
    cache.observedDelete(o);
  };
  const values = (): string[] => cache.list().map((o) => `${o.metadata.name}@${o.spec.value}`);
  return { cache, deliver, deliverDelete, values, tick: (ms: number) => (now += ms) };
}

describe("WriteThroughCache", () => {
  it("serves our write until the informer delivers that very version, then the informer's copy", () => {
    const t = setup();
    t.deliver(obj("a", "1"));
    t.cache.wrote(obj("a", "2"));
    expect(t.values()).toEqual(["a@2"]);
    expect(t.cache.pending).toBe(1);
    t.deliver(obj("a", "2"));
    expect(t.cache.pending).toBe(0);
    t.deliver(obj("a", "3"));
    expect(t.values()).toEqual(["a@3"]);
  });

  it("does not hide a later version the informer delivered before our write's response came back", () => {
    const t = setup();
    t.deliver(obj("a", "2"));
    t.deliver(obj("a", "3"));
    t.cache.wrote(obj("a", "2"));
    expect(t.cache.pending).toBe(0);
    expect(t.values()).toEqual(["a@3"]);
  });

  it("hides a deleted object until the informer delivers the deletion, but not one created again", () => {
    const t = setup();
    t.deliver(obj("a", "1"));
    t.cache.deleted("ns", "a");
    expect(t.values()).toEqual([]);
    t.deliverDelete(obj("a", "2"));
    expect(t.cache.pending).toBe(0);
    t.deliver(obj("a", "5", "again", "uid-new"));
    expect(t.values()).toEqual(["a@again"]);
    t.cache.deleted("ns", "a", "uid-new");
    t.deliver(obj("a", "7", "third", "uid-third"));
    expect(t.values()).toEqual(["a@third"]);
  });

  it("leaves no tombstone when the informer delivered the deletion first, or never had the object", () => {
    const t = setup();
    t.deliver(obj("a", "1"));
    t.deliverDelete(obj("a", "2"));
    t.cache.deleted("ns", "a", "uid-a");
    t.cache.deleted("ns", "never");
    expect(t.cache.pending).toBe(0);
  });

  it("yields after a relist that started after the write, and after maxAge as a last resort", () => {
    const t = setup(5_000);
    t.cache.wrote(obj("a", "2"));
    const marker = t.cache.mark();
    t.cache.wrote(obj("b", "3"));
    t.cache.relisted(marker);
    expect(t.values()).toEqual(["b@3"]);
    t.tick(5_001);
    expect(t.values()).toEqual([]);
    expect(t.cache.pending).toBe(0);
  });

  it("serves a fresh read made after a conflict over the informer's stale copy", () => {
    const t = setup();
    t.deliver(obj("a", "1", "stale"));
    t.cache.wrote(obj("a", "4", "theirs"));
    expect(t.values()).toEqual(["a@theirs"]);
  });

  it("hands out deep copies, sorted by namespace and name", () => {
    const t = setup();
    t.deliver(obj("b", "1"));
    t.cache.wrote(obj("a", "2"));
    const [first] = t.cache.list();
    (first as { spec: { value: string } }).spec.value = "mutated";
    expect(t.values()).toEqual(["a@2", "b@1"]);
  });
});
