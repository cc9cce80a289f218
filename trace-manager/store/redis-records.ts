import type { StoreClient } from "./redis-client.js";

/** One version of a decoded call record (see `redis-scripts/common.ts` for the format). */
export interface CallSegment {
  readonly version: string;
  readonly count: number;
  readonly startedAt: number;
  readonly lastSeenAt: number;
}

/**
 * Decodes `<traceId>|<flag>|<version>,<count>,<startedAt>,<lastSeen - startedAt>[,<early>][;…]`
 * (the early ends, ADR 0086, are only read by the scripts: a segment without an active call is
 * skipped by every reader).
 */
export function decodeCallRecord(raw: string): { traceId: string; segments: CallSegment[] } {
  const [traceId = "", , segs = ""] = raw.split("|");
  const segments = segs.split(";").map((s) => {
    const [version = "", count = "0", start = "0", delta = "0"] = s.split(",");
    const startedAt = Number(start);
    return { version, count: Number(count), startedAt, lastSeenAt: startedAt + Number(delta) };
  });
  return { traceId, segments };
}

/**
 * Decodes `<traceId>|<startedAt>|<upgrade>:<1|0>[,…]`, or an early end `~<at>` (a completion whose
 * start is not recorded yet, ADR 0086: `earlyEnd`, no upgrades, `startedAt` is the end's time).
 */
export function decodeIngressRecord(raw: string): {
  startedAt: number;
  upgrades: Map<string, boolean>;
  earlyEnd: boolean;
} {
  if (raw.startsWith("~")) return { startedAt: Number(raw.slice(1)), upgrades: new Map(), earlyEnd: true };
  const [, start = "0", spec = ""] = raw.split("|");
  const upgrades = new Map<string, boolean>();
  for (const e of spec === "" ? [] : spec.split(",")) {
    const [upgrade = "", enrolled] = e.split(":");
    upgrades.set(upgrade, enrolled === "1");
  }
  return { startedAt: Number(start), upgrades, earlyEnd: false };
}

/**
 * Visits every record (not the `#` counters) of a bucket hash with HSCAN, a thousand at a time,
 * so that a query over a large bucket never blocks Redis the way one HGETALL in a script would.
 * Records added or removed meanwhile may or may not be seen, as in any non-atomic read.
 */
export async function scanRecords(
  client: StoreClient,
  key: string,
  visit: (txn: string, raw: string) => void,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, flat] = await client.hscan(key, cursor, "COUNT", 1_000);
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const txn = flat[i] ?? "";
      if (!txn.startsWith("#")) visit(txn, flat[i + 1] ?? "");
    }
    cursor = next;
  } while (cursor !== "0");
}
