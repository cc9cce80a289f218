/**
 * The RFC 6902 operations a mutating webhook answers with. Injection only adds (`add` on an
 * existing object member replaces it), so a patch never removes what the pod's author wrote.
 */

/** One JSONPatch operation. */
export interface JsonPatchOp {
  readonly op: "add";
  readonly path: string;
  readonly value: unknown;
}

/** A JSON Pointer (RFC 6901) from its unescaped tokens: `~` becomes `~0`, `/` becomes `~1`. */
export function pointer(...tokens: readonly (string | number)[]): string {
  return tokens.map((t) => `/${String(t).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/**
 * Adds `value` to the array at `path`: appends (`/-`) when `current` exists, or creates the
 * array with it when the field is absent (appending to a missing array is an error).
 */
export function appendTo(path: string, current: readonly unknown[] | undefined, value: unknown): JsonPatchOp {
  return current === undefined
    ? { op: "add", path, value: [value] }
    : { op: "add", path: `${path}/-`, value };
}
