/**
 * Bounds what the sample services repeat of a caller's input in error messages. A message
 * becomes a gRPC status (the `grpc-message` trailer) or an HTTP body, and a 100 KB id echoed
 * whole into a trailer stalls the call and the channel behind it.
 */

/** How many characters of an input a message repeats. */
export const ECHO_MAX = 64;

/** The most a status message or error body carries, whatever it was built from. */
export const MESSAGE_MAX = 1024;

/** `value` as is when short, else its first `max - 1` characters and "…". */
export function echo(value: string, max = ECHO_MAX): string {
  if (value.length <= max) return value;
  return `${value.slice(0, Math.max(0, max - 1))}…`;
}

/** `value` as JSON (a string quoted), bounded: for messages such as `order id "…" is not valid`. */
export function quoted(value: unknown, max = ECHO_MAX): string {
  if (typeof value === "string") return JSON.stringify(echo(value, max));
  return echo(JSON.stringify(value) ?? String(value), max);
}
