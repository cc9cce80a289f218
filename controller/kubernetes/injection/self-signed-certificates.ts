/**
 * A CA and a serving certificate signed by it, made with the `openssl` CLI (Node's crypto has no
 * X.509 generator). ECDSA P-256 keys; the serving certificate names the webhook's Service by
 * every name the API server may dial (`<svc>.<ns>.svc` and the cluster-local forms) plus any
 * extra DNS names and IPs, with `serverAuth` usage. The CA lasts ten years and a serving
 * certificate one: a renewal signs a new serving certificate with the same CA, so the caBundle
 * the API server trusts does not change. The keys live in a private temporary folder only
 * while openssl runs.
 */
import { execFile } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The CA's lifetime: longer than any serving certificate it signs, so renewals keep the caBundle. */
const CA_DAYS = 3650;

/** PEM-encoded certificate material. */
export interface CertificateSet {
  /** The CA's certificate: the MutatingWebhookConfiguration's caBundle. */
  readonly caPem: string;
  /** The serving certificate. */
  readonly certPem: string;
  /** The serving certificate's private key. */
  readonly keyPem: string;
  /** The CA's private key, to sign the next serving certificate. */
  readonly caKeyPem: string;
}

/** The CA part of a {@link CertificateSet}. */
export type CertificateAuthority = Pick<CertificateSet, "caPem" | "caKeyPem">;

/** What the serving certificate names and how long it lasts. */
export interface CertificateRequest {
  readonly dnsNames: readonly string[];
  readonly ips?: readonly string[];
  /** The serving certificate's lifetime (default 365 days; the CA's is ten years). */
  readonly days?: number;
  /** The openssl binary (default `openssl` on the PATH). */
  readonly openssl?: string;
}

/** The DNS names the API server may use for a Service. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** Generates a serving certificate signed by `ca`, or by a fresh CA when none is given. */
export async function generateCertificates(
  request: CertificateRequest,
  ca?: CertificateAuthority,
): Promise<CertificateSet> {
  const openssl = request.openssl ?? "openssl";
  const days = String(request.days ?? 365);
  const dir = await mkdtemp(join(tmpdir(), "tranquil-injection-tls-"));
  const at = (f: string): string => join(dir, f);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    if (ca === undefined) {
      await run(openssl, [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        at("ca.key"),
        "-out",
        at("ca.crt"),
        "-days",
        String(CA_DAYS),
        "-subj",
        "/CN=Tranquil injection CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ]);
    } else {
      await writeFile(at("ca.crt"), ca.caPem);
      await writeFile(at("ca.key"), ca.caKeyPem, { mode: 0o600 });
    }
    const cn = request.dnsNames[0] ?? "tranquil-injector";
    await run(openssl, [
      "req",
      "-new",
      ...ec,
      "-keyout",
      at("tls.key"),
      "-out",
      at("tls.csr"),
      "-subj",
      `/CN=${cn}`,
    ]);
    const san = [...request.dnsNames.map((d) => `DNS:${d}`), ...(request.ips ?? []).map((ip) => `IP:${ip}`)];
    await writeFile(
      at("ext.cnf"),
      [
        `subjectAltName=${san.join(",")}`,
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
      ].join("\n"),
    );
    await run(openssl, [
      "x509",
      "-req",
      "-in",
      at("tls.csr"),
      "-CA",
      at("ca.crt"),
      "-CAkey",
      at("ca.key"),
      "-set_serial",
      `0x${Date.now().toString(16)}`,
      "-days",
      days,
      "-sha256",
      "-extfile",
      at("ext.cnf"),
      "-out",
      at("tls.crt"),
    ]);
    const [caPem = "", certPem = "", keyPem = "", caKeyPem = ""] = await Promise.all(
      ["ca.crt", "tls.crt", "tls.key", "ca.key"].map((f) => readFile(at(f), "utf8")),
    );
    return { caPem, certPem, keyPem, caKeyPem };
  } catch (err) {
    throw new Error(`could not make the injection webhook's certificates with ${openssl}`, { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Whether the CA can sign: its key matches and it stays valid for at least `minRemainingMs`. */
export function authorityUsable(
  ca: CertificateAuthority,
  minRemainingMs: number,
  now: number = Date.now(),
): boolean {
  try {
    const cert = new X509Certificate(ca.caPem);
    return (
      cert.ca &&
      cert.checkPrivateKey(createPrivateKey(ca.caKeyPem)) &&
      Date.parse(cert.validTo) - now >= minRemainingMs
    );
  } catch {
    return false;
  }
}

/**
 * Whether `set` can keep serving: the serving certificate is signed by the CA, matches its key,
 * names every DNS name and IP asked for, and it and the CA stay valid for at least
 * `minRemainingMs` from `now`.
 */
export function certificatesUsable(
  set: CertificateSet,
  request: Pick<CertificateRequest, "dnsNames" | "ips">,
  minRemainingMs: number,
  now: number = Date.now(),
): boolean {
  try {
    const ca = new X509Certificate(set.caPem);
    const cert = new X509Certificate(set.certPem);
    if (!cert.verify(ca.publicKey) || !cert.checkPrivateKey(createPrivateKey(set.keyPem))) return false;
    if (Date.parse(cert.validTo) - now < minRemainingMs || Date.parse(ca.validTo) - now < minRemainingMs)
      return false;
    return (
      request.dnsNames.every((d) => cert.checkHost(d, { wildcards: false }) !== undefined) &&
      (request.ips ?? []).every((ip) => cert.checkIP(ip) !== undefined)
    );
  } catch {
    return false;
  }
}
