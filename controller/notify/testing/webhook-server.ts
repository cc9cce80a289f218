/**
 * A webhook receiver for the tests: a real HTTP server on a free loopback port that records
 * every JSON body it is posted and answers as told (a status, or never, as a hung target).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** How the receiver answers the n-th request (1-based): a status, or `hang` (no answer). */
export type Answer = (n: number) => number | "hang";

/** A running receiver. */
export interface WebhookServer {
  readonly url: string;
  /** Bodies received, in arrival order (parsed JSON). */
  readonly bodies: unknown[];
  /** Requests received (hung ones included). */
  requests(): number;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, port 0. */
export async function startWebhookServer(answer: Answer = () => 200): Promise<WebhookServer> {
  const bodies: unknown[] = [];
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    const n = requests;
    void readBody(req).then((text) => {
      bodies.push(JSON.parse(text) as unknown);
      const a = answer(n);
      if (a === "hang") return;
      res.writeHead(a, { "content-type": "text/plain" }).end(a < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** `tranquil_notifications_total` of one target, by outcome. */
export async function notificationCounts(
  registry: Registry,
  target: string,
): Promise<{ sent: number; failed: number; dropped: number }> {
  const metric = await registry.getSingleMetric("tranquil_notifications_total")?.get();
  const of = (outcome: string): number =>
    metric?.values.find((v) => v.labels.target === target && v.labels.outcome === outcome)?.value ?? 0;
  return { sent: of("sent"), failed: of("failed"), dropped: of("dropped") };
}
