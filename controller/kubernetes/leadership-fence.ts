/**
 * The leadership fence: every port the reconciler acts through is wrapped so that a call made
 * while this replica does not hold the Lease fails at once. A leader whose renewals fail stops
 * leading at its renew deadline, before the Lease can expire for the standby, so from then on
 * nothing it still had queued reaches the cluster, the trace store or the Upgrade's status.
 * A call already running when leadership ends finishes: it started inside the lease, and the
 * margin between the renew deadline and the lease duration covers it.
 */

/** Thrown by a fenced call on a replica that is not the leader. */
export class NotLeaderError extends Error {
  constructor() {
    super("this replica does not hold the leader Lease; the leader acts");
    this.name = "NotLeaderError";
  }
}

/**
 * Wraps `port` so each of its methods refuses to run unless `isLeader()` holds, except the
 * methods named in `open` (reads that act on nothing, such as starting a watch).
 */
export function fenced<T extends object>(
  port: T,
  isLeader: () => boolean,
  open: readonly (keyof T)[] = [],
): T {
  return new Proxy(port, {
    get: (obj, prop, receiver) => {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== "function" || open.includes(prop as keyof T)) return value;
      return (...args: unknown[]): unknown => {
        if (!isLeader()) return Promise.reject(new NotLeaderError());
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
}
