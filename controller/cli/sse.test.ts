/**
 * The SSE reader over byte streams split at awkward places.
 */
import { describe, expect, it } from "vitest";
import { readSse, type SseEvent } from "./sse.js";

function streamOf(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

async function all(chunks: readonly string[]): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const e of readSse(streamOf(chunks))) events.push(e);
  return events;
}

describe("readSse", () => {
  it.each([
    ["one chunk", ['event: status\ndata: {"a":1}\n\n'], [{ event: "status", data: '{"a":1}' }]],
    [
      "split mid-line and mid-separator",
      ["event: sta", 'tus\ndata: {"a"', ":1}\n", "\n"],
      [{ event: "status", data: '{"a":1}' }],
    ],
    ["CRLF line ends", ["event: status\r\ndata: x\r\n\r\n"], [{ event: "status", data: "x" }]],
    ["comments and keep-alives", [": keep-alive\n\n", "data: y\n\n"], [{ event: "message", data: "y" }]],
    [
      "heartbeats between events, split across chunks (ADR 0088)",
      ["data: a\n\n: keep-", "alive\n\n:keep-alive\n\n", ": keep-alive\n", "\ndata: b\n\n"],
      [
        { event: "message", data: "a" },
        { event: "message", data: "b" },
      ],
    ],
    [
      "a heartbeat inside an event",
      ["event: status\n: keep-alive\ndata: x\n\n"],
      [{ event: "status", data: "x" }],
    ],
    ["nothing but heartbeats", [": keep-alive\n\n", ": keep-alive\r\n\r\n", ":\n\n"], []],
    ["multi-line data", ["data: a\ndata: b\n\n"], [{ event: "message", data: "a\nb" }]],
    ["an unfinished event at the end", ["data: done\n\n", "data: cut"], [{ event: "message", data: "done" }]],
    [
      "a multi-byte character split across chunks",
      ["data: v1\u2192", "v2\n\n"],
      [{ event: "message", data: "v1→v2" }],
    ],
  ])("%s", async (_name, chunks, expected) => {
    expect(await all(chunks)).toEqual(expected);
  });

  it("decodes a character split between byte chunks", async () => {
    const bytes = new TextEncoder().encode("data: →\n\n");
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const e of readSse(stream)) events.push(e);
    expect(events).toEqual([{ event: "message", data: "→" }]);
  });
});
