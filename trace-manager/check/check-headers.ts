import protobuf from "protobufjs/minimal.js";
import type { PackageDefinition } from "@grpc/proto-loader";

/** Limits on a Check's header map; beyond them the Check is counted and ignored. */
export interface HeaderLimits {
  readonly maxHeaders: number;
  /** Key and value bytes (UTF-8, as on the wire) summed over the map. */
  readonly maxHeaderBytes: number;
}

/**
 * What the TraceManager reads from a CheckRequest: whether it carries an HTTP header map (and
 * whether that map is within the limits), and the two ids. Nothing else of the request is decoded.
 */
export interface CheckHeaders {
  readonly map: "absent" | "oversized" | "read";
  /** `x-request-id` (the transaction id; not `HttpRequest.id`, Envoy's stream id). */
  readonly requestId: string | undefined;
  readonly traceId: string | undefined;
}

/** A Check without an HTTP header map (or with an empty one). */
const ABSENT: CheckHeaders = Object.freeze({
  map: "absent",
  requestId: undefined,
  traceId: undefined,
});
const OVERSIZED: CheckHeaders = Object.freeze({ map: "oversized", requestId: undefined, traceId: undefined });

const WIRE_LEN = 2;
const REQUEST_ID = Buffer.from("x-request-id", "latin1");
const TRACE_ID = Buffer.from("x-b3-traceid", "latin1");

/** Field numbers of the path CheckRequest → attributes → request → http → headers. */
interface HeaderPath {
  readonly attributes: number;
  readonly request: number;
  readonly http: number;
  readonly headers: number;
}

interface Descriptor {
  readonly name?: string;
  readonly field?: readonly { readonly name?: string; readonly number?: number }[];
  readonly nestedType?: readonly Descriptor[];
}

function fieldNumber(type: Descriptor | undefined, what: string, field: string): number {
  const n = type?.field?.find((f) => f.name === field)?.number;
  if (n === undefined) throw new Error(`trimmed Envoy protos: ${what}.${field} is missing`);
  return n;
}

/** Reads the path's field numbers from the loaded protos, so the trimmed .proto stays the one source. */
export function headerPath(def: PackageDefinition): HeaderPath {
  const typeOf = (name: string): Descriptor | undefined =>
    (def[name] as { type?: Descriptor } | undefined)?.type;
  const ctx = typeOf("envoy.service.auth.v3.AttributeContext");
  const nested = (name: string): Descriptor | undefined => ctx?.nestedType?.find((t) => t.name === name);
  return {
    attributes: fieldNumber(typeOf("envoy.service.auth.v3.CheckRequest"), "CheckRequest", "attributes"),
    request: fieldNumber(ctx, "AttributeContext", "request"),
    http: fieldNumber(nested("Request"), "AttributeContext.Request", "http"),
    headers: fieldNumber(nested("HttpRequest"), "AttributeContext.HttpRequest", "headers"),
  };
}

function same(buf: Uint8Array, start: number, len: number, name: Uint8Array): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== name[i]) return false;
  return true;
}

/**
 * A request deserializer for Check that walks the wire format down to the header map and reads only
 * the two ids, bounding the map as it goes: an oversized map is refused before its strings are
 * built, and the rest of the request (peers, addresses, metadata) is skipped, not decoded. Bytes
 * that are not a valid message throw, as a full decode would.
 */
export function checkHeadersDecoder(
  path: HeaderPath,
  limits: HeaderLimits,
): (bytes: Uint8Array) => CheckHeaders {
  const { Reader } = protobuf;

  /** Calls `visit` for each length-delimited occurrence of `field` up to `end` (repeated occurrences merge). */
  const each = (r: protobuf.Reader, end: number, field: number, visit: (end: number) => boolean): boolean => {
    while (r.pos < end) {
      const tag = r.uint32();
      const wire = tag & 7;
      if (tag >>> 3 === field && wire === WIRE_LEN) {
        const len = r.uint32();
        const inner = r.pos + len;
        if (inner > end) throw new RangeError("Check: a field runs past its message");
        if (!visit(inner)) return false;
        r.pos = inner;
      } else {
        r.skipType(wire);
      }
    }
    if (r.pos !== end) throw new RangeError("Check: a field runs past its message");
    return true;
  };

  return (bytes) => {
    const r = Reader.create(bytes);
    const buf = r.buf;
    let present = false;
    let count = 0;
    let total = 0;
    let requestId: string | undefined;
    let traceId: string | undefined;
    // One map entry: key = 1, value = 2 (fixed by the protobuf map encoding).
    const entry = (end: number): boolean => {
      present = true;
      let keyAt = 0;
      let keyLen = 0;
      let valueAt = 0;
      let valueLen = 0;
      while (r.pos < end) {
        const tag = r.uint32();
        const wire = tag & 7;
        if (wire === WIRE_LEN && (tag >>> 3 === 1 || tag >>> 3 === 2)) {
          const len = r.uint32();
          if (r.pos + len > end) throw new RangeError("Check: a header runs past its entry");
          if (tag >>> 3 === 1) {
            keyAt = r.pos;
            keyLen = len;
          } else {
            valueAt = r.pos;
            valueLen = len;
          }
          r.skip(len);
        } else {
          r.skipType(wire);
        }
      }
      if (r.pos !== end) throw new RangeError("Check: a field runs past its header entry");
      count++;
      total += keyLen + valueLen;
      if (count > limits.maxHeaders || total > limits.maxHeaderBytes) return false;
      // A later entry for the same key replaces an earlier one, as a decoded map would.
      if (same(buf, keyAt, keyLen, REQUEST_ID))
        requestId = Buffer.from(buf.buffer, buf.byteOffset + valueAt, valueLen).toString("utf8");
      else if (same(buf, keyAt, keyLen, TRACE_ID))
        traceId = Buffer.from(buf.buffer, buf.byteOffset + valueAt, valueLen).toString("utf8");
      return true;
    };
    const http = (end: number): boolean => each(r, end, path.headers, entry);
    const request = (end: number): boolean => each(r, end, path.http, http);
    const attributes = (end: number): boolean => each(r, end, path.request, request);
    if (!each(r, r.len, path.attributes, attributes)) return OVERSIZED;
    if (!present) return ABSENT;
    return { map: "read", requestId, traceId };
  };
}
