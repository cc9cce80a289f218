/**
 * The sample services image's health check: reads the same environment as `main.ts` (one
 * parse, so it asks the port the service really listens on) and exits 0 when the service's
 * `/healthz` answers 200 within two seconds, else 1 with the reason on stderr. logistics-api
 * serves it on its application port, the gRPC services on their admin port.
 * `node dist/sample-services/healthcheck.js`.
 */
import { parseServiceEnv, type ServiceEnvConfig } from "./env-config.js";

/** How long the check waits for an answer. */
const HEALTH_CHECK_TIMEOUT_MS = 2000;

/** Wildcard listen addresses, reached through loopback. */
const ANY_ADDRESS = new Set(["0.0.0.0", "::", "[::]"]);

/** The `/healthz` URL of a service configured so, or why it has none. */
function healthUrl(config: ServiceEnvConfig): { url: string } | { problem: string } {
  const port = config.name === "logistics-api" ? config.port : config.adminPort;
  if (port === undefined) return { problem: `${config.name} has no admin port (ADMIN_PORT=off)` };
  if (port === 0) return { problem: `${config.name} listens on a free port (0): there is no port to check` };
  const host = ANY_ADDRESS.has(config.host) ? "127.0.0.1" : config.host;
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/healthz` };
}

async function check(): Promise<number> {
  let target;
  try {
    target = healthUrl(parseServiceEnv(process.env));
  } catch (err) {
    process.stderr.write(`health check: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if ("problem" in target) {
    process.stderr.write(`health check: ${target.problem}\n`);
    return 1;
  }
  try {
    const res = await fetch(target.url, { signal: AbortSignal.timeout(HEALTH_CHECK_TIMEOUT_MS) });
    await res.body?.cancel();
    if (res.status === 200) return 0;
    process.stderr.write(`health check: ${target.url} answered ${res.status}\n`);
  } catch (err) {
    process.stderr.write(
      `health check: ${target.url}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  }
  return 1;
}

process.exitCode = await check();
