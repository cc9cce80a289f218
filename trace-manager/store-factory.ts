import type { StoreConfig } from "./config.js";
import type { TraceStore } from "./store/port.js";

/**
 * Opens the store the config names: the embedded in-memory store, or Redis at a URL. Each is
 * imported only when chosen, so a memory-only TraceManager does not load the Redis client.
 */
export async function openStore(config: StoreConfig): Promise<TraceStore> {
  if (config.kind === "memory") {
    const { MemoryTraceStore } = await import("./store/memory.js");
    return new MemoryTraceStore();
  }
  const { RedisTraceStore } = await import("./store/redis.js");
  return new RedisTraceStore({ redis: config.url });
}
