/**
 * One LeaseElector in a process of its own, for the tests that kill a leader with SIGKILL:
 * `node --import tsx elector-process.ts '<json>'` with the server, its CA, a token, the Lease
 * and the timings. Its JSON log lines on stdout (pino, debug level) carry every acquisition,
 * renewal (`requestStartedAt`) and loss. SIGTERM releases the Lease, then exits.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { LeaseElector } from "../lease-election.js";

/** What the parent passes as the one argument (JSON). */
export interface ElectorProcessArgs {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as ElectorProcessArgs;
const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: "c", server: args.server, caData: Buffer.from(args.caPem).toString("base64") }],
  users: [{ name: "u", token: args.token }],
  contexts: [{ name: "ctx", cluster: "c", user: "u" }],
  currentContext: "ctx",
});
const logger = pino({ level: "debug" }, pino.destination({ fd: 1, sync: true }));
const elector = new LeaseElector({
  kc,
  namespace: args.namespace,
  name: args.name,
  identity: args.identity,
  leaseDurationMs: args.leaseDurationMs,
  renewDeadlineMs: args.renewDeadlineMs,
  retryPeriodMs: args.retryPeriodMs,
  logger,
});
elector.run({
  onStarted: () => logger.info({ event: "started" }, "leading"),
  onStopped: () => logger.info({ event: "stopped" }, "not leading"),
});
process.once("SIGTERM", () => {
  void elector.release().then(() => process.exit(0));
});
