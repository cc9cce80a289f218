import { afterEach, describe } from "vitest";
import { callContract } from "./contract-calls.js";
import { controlContract } from "./contract-control.js";
import { earlyEndContract } from "./contract-early-ends.js";
import { ingressContract } from "./contract-ingress.js";
import { type MakeContractStore, makeHarness } from "./contract-support.js";

export type { ContractStoreOptions, ContractSubject, MakeContractStore } from "./contract-support.js";
export { txn } from "./contract-support.js";

/**
 * The trace store contract: every implementation must pass it with identical results. Time is
 * a fake clock the suite advances; each test gets a fresh store from `makeStore`, built with the
 * suite's clock and geometry (maxAge 60 s, buckets of 10 s, recent lists of 5).
 */
export function describeTraceStoreContract(name: string, makeStore: MakeContractStore): void {
  describe(`TraceStore contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });
    const h = makeHarness(makeStore, cleanups);
    callContract(h);
    ingressContract(h);
    earlyEndContract(h);
    controlContract(h);
  });
}
