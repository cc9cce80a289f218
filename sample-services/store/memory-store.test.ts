import { MemorySampleStore } from "./memory-store.js";
import { describeSampleStoreContract } from "./testing/contract.js";

describeSampleStoreContract("memory", () => {
  const clock = { now: 1_000_000 };
  return Promise.resolve({ store: new MemorySampleStore(() => clock.now), clock });
});
