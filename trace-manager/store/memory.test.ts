import { describeTraceStoreContract } from "./testing/contract.js";
import { MemoryTraceStore } from "./memory.js";

describeTraceStoreContract("memory", (options) => {
  const store = new MemoryTraceStore(options);
  return Promise.resolve({ store, twin: () => Promise.resolve(store), cleanup: () => store.close() });
});
