import { pino, type Logger } from "pino";

/** The TraceManager's one pino logger (JSON to stdout). */
export function createLogger(level: string, bindings: Record<string, string>): Logger {
  return pino({ level, base: { component: "trace-manager", ...bindings } });
}
