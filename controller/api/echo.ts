/**
 * Bounds what the API repeats of a caller's input in its messages: a name, a Host header or a
 * spec value of any length comes back at most `max` characters long, cut with an ellipsis.
 */

/** How many characters of an input a message repeats by default. */
export const ECHO_MAX = 80;

/** `value` as is when short, else its first `max - 1` characters and "…". */
export function echo(value: string, max = ECHO_MAX): string {
  if (value.length <= max) return value;
  return `${value.slice(0, Math.max(0, max - 1))}…`;
}

/** `value` quoted (JSON) and bounded, for messages such as `name "…" is not valid`. */
export function echoQuoted(value: string, max = ECHO_MAX): string {
  return JSON.stringify(echo(value, max));
}
