import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  fromHttpHeaders,
  fromMetadata,
  newRequestId,
  toHttpHeaders,
  toMetadata,
  TRACE_HEADERS,
  withRequestId,
} from "./propagation.js";

describe("propagation", () => {
  const all = Object.fromEntries(TRACE_HEADERS.map((h) => [h, `val-${h}`]));

  it("forwards every trace header and the enrolment header, nothing else, HTTP → gRPC → HTTP", () => {
    const incoming = { ...all, "x-tranquil-release": "u1,u2", authorization: "Bearer t", "x-other": "1" };
    const picked = fromHttpHeaders(incoming);
    expect(picked).toEqual({ ...all, "x-tranquil-release": "u1,u2" });
    const md = toMetadata(picked);
    expect(fromMetadata(md)).toEqual(picked);
    expect(toHttpHeaders(fromMetadata(md))).toEqual(picked);
  });

  it("uses a configured enrolment header, case-insensitively", () => {
    expect(fromHttpHeaders({ "x-rel": "a" }, "X-Rel")).toEqual({ "x-rel": "a" });
    const md = new Metadata();
    md.set("x-rel", "b");
    expect(fromMetadata(md, "X-REL")).toEqual({ "x-rel": "b" });
  });

  it("keeps an incoming request id and mints one otherwise", () => {
    expect(withRequestId({ "x-request-id": "r" })).toEqual({ "x-request-id": "r" });
    expect(withRequestId({}, () => "minted")).toEqual({ "x-request-id": "minted" });
    expect(newRequestId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
