/** A JSON schema node, as the vendored CRD schemas hold them. */
export type SchemaNode = Record<string, unknown>;

function child(
  schema: SchemaNode | undefined,
  key: string,
): { node: SchemaNode | undefined; isMapKey: boolean } {
  if (schema === undefined) return { node: undefined, isMapKey: false };
  const props = schema.properties as Record<string, SchemaNode> | undefined;
  if (props !== undefined && Object.hasOwn(props, key)) return { node: props[key], isMapKey: false };
  const ap = schema.additionalProperties;
  if (ap !== null && typeof ap === "object") return { node: ap as SchemaNode, isMapKey: true };
  return { node: undefined, isMapKey: false };
}

/**
 * Turns a JSON pointer (`/spec/http/0/match/0/headers/end-user`) into a Kubernetes field path
 * (`spec.http[0].match[0].headers[end-user]`): list indexes and map keys in brackets, as
 * field.Path renders them. The schema tells a map key from a property name.
 */
export function toFieldPath(pointer: string, root: SchemaNode): string {
  if (pointer === "") return "<root>";
  let out = "";
  let schema: SchemaNode | undefined = root;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (schema?.type === "array") {
      out += `[${seg}]`;
      schema = schema.items as SchemaNode | undefined;
      continue;
    }
    const { node, isMapKey } = child(schema, seg);
    out += isMapKey ? `[${seg}]` : out === "" ? seg : `.${seg}`;
    schema = node;
  }
  return out;
}

/** Appends a property to a field path. */
export function joinField(path: string, name: string): string {
  return path === "<root>" || path === "" ? name : `${path}.${name}`;
}
