import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  decodeServedBy,
  encodeServedBy,
  mixedVersions,
  ServedBy,
  servedByFromMetadata,
} from "./served-by.js";

describe("servedBy", () => {
  it("accumulates hops in first-seen order without duplicates", () => {
    const s = new ServedBy(["logistics-api@v1"]);
    s.add(["auth-service@v1", "logistics-api@v1", ""]);
    s.add(["order-service@v2", "auth-service@v1"]);
    expect(s.list()).toEqual(["logistics-api@v1", "auth-service@v1", "order-service@v2"]);
  });

  it("round-trips through a header value and metadata", () => {
    const list = ["a@v1", "b@v2"];
    expect(decodeServedBy(encodeServedBy(list))).toEqual(list);
    expect(decodeServedBy(" a@v1 , ,b@v2")).toEqual(list);
    expect(decodeServedBy(null)).toEqual([]);
    const md = new Metadata();
    md.add("x-served-by", "a@v1");
    md.add("x-served-by", "b@v2");
    expect(servedByFromMetadata(md)).toEqual(list);
  });

  it("names the services seen at two versions", () => {
    expect(mixedVersions(["api@v1", "auth-service@v1", "auth-service@v2", "order-service@v2"])).toEqual({
      "auth-service": ["v1", "v2"],
    });
    expect(mixedVersions(["api@v1", "auth-service@v1", "weird"])).toEqual({});
  });
});
