/**
 * One run of a container probe, as a kubelet runs it against the pod: `httpGet` (a status from
 * 200 to 399 passes; HTTPS without verifying the certificate, as a kubelet), `grpc` (grpc.health.v1 Check answers SERVING), `tcpSocket` (the port
 * accepts a connection), each bounded by `timeoutSeconds`. The pod's ports are where its app
 * really listens on loopback: a probe port is resolved by name or number through the app
 * container's ports, and a port the app does not listen on is refused, as it would be in the
 * pod. `exec` probes are not run (the local node has no container to run a command in) and fail
 * with a message saying so.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { Client, credentials, type ServiceError } from "@grpc/grpc-js";
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import { healthDefinition } from "../../../sample-services/grpc/protos.js";

/** The outcome of one probe run; `message` says why it failed. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Where the pod's app listens: its container spec, its port in the pod and its loopback address. */
export interface ProbeTarget {
  readonly container: V1Container;
  /** The port the app listens on inside the pod (its Service's target port). */
  readonly podPort: number;
  /** `127.0.0.1:<port>` where the app really listens. */
  readonly appAddress: string;
}

/** Runs `probe` once against `target`. */
export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet !== undefined) {
    const address = addressOf(probe.httpGet.port, target);
    if (!address.ok) return address;
    if (probe.httpGet.host !== undefined && probe.httpGet.host !== "")
      return {
        ok: false,
        message: `probes of another host (${probe.httpGet.host}) are not run on the local node`,
      };
    return httpProbe(probe, address.address, timeoutMs);
  }
  if (probe.grpc !== undefined) {
    const address = addressOf(probe.grpc.port, target);
    if (!address.ok) return address;
    return grpcProbe(address.address, probe.grpc.service ?? "", timeoutMs);
  }
  if (probe.tcpSocket !== undefined) {
    const address = addressOf(probe.tcpSocket.port, target);
    if (!address.ok) return address;
    return tcpProbe(address.address, timeoutMs);
  }
  if (probe.exec !== undefined)
    return {
      ok: false,
      message: "exec probes are not run on the local node: it has no container to run a command in",
    };
  return { ok: false, message: "the probe names no handler (httpGet, grpc, tcpSocket or exec)" };
}

function addressOf(
  port: number | string | undefined,
  target: ProbeTarget,
): { ok: true; address: string } | { ok: false; message: string } {
  const named =
    typeof port === "string" && !/^\d+$/.test(port)
      ? target.container.ports?.find((p) => p.name === port)?.containerPort
      : Number(port);
  if (named === undefined) return { ok: false, message: `the container has no port named ${String(port)}` };
  if (named !== target.podPort)
    return { ok: false, message: `dial tcp :${named}: connect: connection refused` };
  return { ok: true, address: target.appAddress };
}

function httpProbe(probe: V1Probe, address: string, timeoutMs: number): Promise<ProbeResult> {
  const get = probe.httpGet;
  const scheme = (get?.scheme ?? "HTTP").toUpperCase();
  const headers: Record<string, string> = { "user-agent": "kube-probe/1.37" };
  for (const h of get?.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  const [host = "127.0.0.1", port = "0"] = address.split(":");
  const path = get?.path ?? "/";
  // As a kubelet: HTTPS probes do not verify the certificate; redirects are not followed.
  const send = scheme === "HTTPS" ? httpsRequest : httpRequest;
  return new Promise<ProbeResult>((resolve) => {
    const req = send(
      { host, port: Number(port), path, headers, timeout: timeoutMs, rejectUnauthorized: false },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve(
          status >= 200 && status < 400
            ? { ok: true }
            : { ok: false, message: `HTTP probe failed with statuscode: ${status}` },
        );
      },
    );
    req.once("timeout", () => req.destroy(new Error("context deadline exceeded")));
    req.once("error", (err) => resolve({ ok: false, message: `Get "${path}": ${err.message}` }));
    req.end();
  });
}

function grpcProbe(address: string, service: string, timeoutMs: number): Promise<ProbeResult> {
  const check = healthDefinition().Check;
  if (check === undefined)
    return Promise.resolve({ ok: false, message: "grpc.health.v1.Health has no Check" });
  const client = new Client(address, credentials.createInsecure());
  return new Promise<ProbeResult>((resolve) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize,
      check.responseDeserialize,
      { service },
      { deadline: Date.now() + timeoutMs },
      (err: ServiceError | null, res?: { status?: string }) => {
        if (err !== null)
          resolve({ ok: false, message: `rpc error: code = ${err.code} desc = ${err.details}` });
        else if (res?.status === "SERVING") resolve({ ok: true });
        else resolve({ ok: false, message: `service unhealthy (responded with "${res?.status ?? ""}")` });
      },
    );
  }).finally(() => client.close());
}

function tcpProbe(address: string, timeoutMs: number): Promise<ProbeResult> {
  const [host = "127.0.0.1", port = "0"] = address.split(":");
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve({ ok: true });
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve({ ok: false, message: `dial tcp ${address}: i/o timeout` });
    });
    socket.once("error", (err) => resolve({ ok: false, message: `dial tcp ${address}: ${err.message}` }));
  });
}
