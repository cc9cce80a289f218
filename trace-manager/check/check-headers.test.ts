import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import protobuf from "protobufjs/minimal.js";
import { loadEnvoyProtos } from "../proto/load.js";
import { loadFullEnvoyProtos } from "../testing/full-envoy-protos.js";
import { checkRequest } from "../testing/envoy-messages.js";
import { checkHeadersDecoder, headerPath, type HeaderLimits } from "./check-headers.js";

const LIMITS: HeaderLimits = { maxHeaders: 100, maxHeaderBytes: 64 * 1024 };
const path = headerPath(loadEnvoyProtos().packageDefinition);
const read = checkHeadersDecoder(path, LIMITS);
/** Encodes with Envoy's full proto tree, byte for byte what Envoy sends. */
const encode = (req: unknown): Buffer => loadFullEnvoyProtos().check.requestSerialize(req);
/** The full decode of the same bytes (Envoy's own protos), for comparison. */
const decodeFully = (
  bytes: Buffer,
): { attributes?: { request?: { http?: { headers?: Record<string, string> } } } } =>
  loadFullEnvoyProtos().check.requestDeserialize(bytes) as never;

const TXN = "4bb1b0a2-5d7e-4c35-9e54-3f0a1c2d9e10";
const TRACE = "635187cb20d92f62377ba0cdc2334270";

describe("the Check header reader", () => {
  it("takes the path's field numbers from the trimmed protos (Envoy's numbers)", () => {
    expect(path).toEqual({ attributes: 1, request: 4, http: 2, headers: 3 });
  });

  it("reads x-request-id and x-b3-traceid, not HttpRequest.id (Envoy's stream id)", () => {
    const got = read(
      encode(checkRequest({ requestId: TXN, traceId: TRACE, streamId: "13869142855783664817" })),
    );
    expect(got).toEqual({ map: "read", requestId: TXN, traceId: TRACE });
  });

  it("reports a header map without the ids as read, with no ids", () => {
    expect(read(encode(checkRequest({ streamId: "1" })))).toEqual({
      map: "read",
      requestId: undefined,
      traceId: undefined,
    });
  });

  it("reports a request without headers (no http, no attributes, an empty map) as absent", () => {
    expect(read(encode({})).map).toBe("absent");
    expect(read(encode({ attributes: { request: { http: { id: "7", method: "GET" } } } })).map).toBe(
      "absent",
    );
    expect(read(encode({ attributes: { request: { http: { headers: {} } } } })).map).toBe("absent");
  });

  it("skips every field it does not need, including ones the trimmed protos do not define", () => {
    // metadata_context (11) and tls_session (12) exist only in Envoy's full protos.
    const req = {
      ...checkRequest({ requestId: TXN }),
      attributes: {
        ...(checkRequest({ requestId: TXN }).attributes as object),
        metadata_context: {
          filter_metadata: { "istio.peer": { fields: { x: { string_value: "y".repeat(300) } } } },
        },
        tls_session: { sni: "reviews.default.svc.cluster.local" },
        context_extensions: { virtual_host: "reviews" },
      },
    };
    expect(read(encode(req))).toEqual({ map: "read", requestId: TXN, traceId: undefined });
  });

  it("agrees with a full decode on the Istio CheckRequest of the samples", () => {
    const sample = JSON.parse(
      readFileSync(
        join(
          import.meta.dirname,
          "../../../shared/envoy-samples/ext_authz/opa-envoy-plugin_istio-example_input.json",
        ),
        "utf8",
      ),
    ) as { attributes: { request: { http: { headers: Record<string, string> } } } };
    const headers = { ...sample.attributes.request.http.headers, "x-request-id": TXN };
    const bytes = encode({ attributes: { request: { http: { id: "13359530607844510314", headers } } } });
    const full = decodeFully(bytes).attributes?.request?.http?.headers ?? {};
    expect(read(bytes)).toEqual({
      map: "read",
      requestId: full["x-request-id"],
      traceId: full["x-b3-traceid"],
    });
    expect(read(bytes).traceId).toBe("537f473f27475073");
  });

  it("agrees with a full decode on random header maps, multi-byte text included", () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ["a", "-", "0", "é", "日", "x", ":"];
    const text = (len: number): string =>
      Array.from({ length: len }, () => alphabet[rand(alphabet.length)]).join("");
    for (let i = 0; i < 200; i++) {
      const headers: Record<string, string> = {};
      for (let h = rand(12); h > 0; h--) headers[text(1 + rand(20))] = text(rand(40));
      if (rand(2) === 0) headers["x-request-id"] = text(rand(50));
      if (rand(2) === 0) headers["x-b3-traceid"] = text(rand(40));
      const bytes = encode({ attributes: { request: { http: { id: String(i), headers } } } });
      const full = decodeFully(bytes).attributes?.request?.http?.headers;
      const got = read(bytes);
      if (full === undefined || Object.keys(full).length === 0) expect(got.map).toBe("absent");
      else
        expect(got).toEqual({ map: "read", requestId: full["x-request-id"], traceId: full["x-b3-traceid"] });
    }
  });

  it("keeps the last of repeated entries for one key, as a map decode does", () => {
    // Two wire entries for x-request-id: a proxy may not send this, but a decode must not differ.
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).fork(); // attributes
    w.uint32((4 << 3) | 2).fork(); // request
    w.uint32((2 << 3) | 2).fork(); // http
    for (const v of ["first", TXN]) {
      w.uint32((3 << 3) | 2).fork();
      w.uint32((1 << 3) | 2).string("x-request-id");
      w.uint32((2 << 3) | 2).string(v);
      w.ldelim();
    }
    w.ldelim().ldelim().ldelim();
    const bytes = Buffer.from(w.finish());
    expect(decodeFully(bytes).attributes?.request?.http?.headers?.["x-request-id"]).toBe(TXN);
    expect(read(bytes).requestId).toBe(TXN);
  });

  it("refuses an oversized map by entry count and by UTF-8 bytes, before building its strings", () => {
    const small = checkHeadersDecoder(path, { maxHeaders: 3, maxHeaderBytes: 60 });
    const many = { a: "1", b: "2", c: "3", d: "4" };
    expect(small(encode({ attributes: { request: { http: { headers: many } } } })).map).toBe("oversized");
    // 21 characters, but 61 bytes of UTF-8: over 60 bytes.
    const wide = { k: "日".repeat(20) };
    expect(small(encode({ attributes: { request: { http: { headers: wide } } } })).map).toBe("oversized");
    const fits = { k: "abc", "x-request-id": TXN };
    expect(small(encode({ attributes: { request: { http: { headers: fits } } } }))).toEqual({
      map: "read",
      requestId: TXN,
      traceId: undefined,
    });
  });

  it("throws on bytes that are not a message: truncated, overrunning, or a bad wire type", () => {
    const good = encode(checkRequest({ requestId: TXN }));
    expect(() => read(good.subarray(0, good.length - 5))).toThrow();
    // A nested length that runs past its parent.
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2)
      .uint32(2)
      .uint32((4 << 3) | 2)
      .uint32(50);
    expect(() => read(Buffer.from(w.finish()))).toThrow();
    expect(() => read(Buffer.from([0x0f, 0x01]))).toThrow(); // wire type 7
  });

  it("on mutated and random bytes, either reads or throws, and agrees with a full decode when both read", () => {
    const good = encode(checkRequest({ requestId: TXN, traceId: TRACE }));
    let seed = 11;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let read_ = 0;
    let threw = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes =
        i % 3 === 0
          ? Buffer.from(Array.from({ length: rand(200) }, () => rand(256)))
          : Buffer.from(good.subarray(0, good.length - (i % 5 === 0 ? rand(good.length) : 0)));
      for (let k = rand(4); k > 0 && bytes.length > 0; k--) bytes[rand(bytes.length)] = rand(256);
      let got: ReturnType<typeof read> | undefined;
      try {
        got = read(bytes);
        read_++;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        threw++;
      }
      if (got === undefined || got.map === "oversized") continue;
      let full: ReturnType<typeof decodeFully> | undefined;
      try {
        full = decodeFully(bytes);
      } catch {
        continue; // the full decode also checks the fields this reader skips
      }
      const headers = full.attributes?.request?.http?.headers ?? {};
      expect(got.map).toBe(Object.keys(headers).length === 0 ? "absent" : "read");
      expect(got.requestId).toBe(headers["x-request-id"]);
      expect(got.traceId).toBe(headers["x-b3-traceid"]);
    }
    // Both outcomes occurred: the corpus exercised the reader's error paths and its reads.
    expect(read_).toBeGreaterThan(100);
    expect(threw).toBeGreaterThan(100);
  });
});
