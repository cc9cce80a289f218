/**
 * The TraceManager injection webhook against the real API server (and the controller-manager,
 * which creates a Deployment's pods): the shipped manifest passes a server-side dry run; the
 * webhook, run with its ServiceAccount's token (the manifest's RBAC, nothing more), writes its
 * certificate Secret and caBundle, injects the pods of Deployments in a labelled namespace,
 * leaves other pods alone, leaves an injected pod as it is, and never holds pod creation up:
 * stopped, or hanging past its 2 s timeout, pods are still created without it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpsServer, get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity } from "node:tls";
import { createServer, type Server, type Socket } from "node:net";
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Container,
  type V1Pod,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patchCaBundle } from "../../controller/kubernetes/injection/ca-bundle.js";
import {
  INJECTOR_ENV,
  injectorConfigFromEnv,
} from "../../controller/kubernetes/injection/injector-config.js";
import { ensureManagedCertificates } from "../../controller/kubernetes/injection/managed-certificates.js";
import {
  generateCertificates,
  serviceDnsNames,
} from "../../controller/kubernetes/injection/self-signed-certificates.js";
import { startInjector, type RunningInjector } from "../../controller/kubernetes/injection/start-injector.js";
import { INJECT_PATH } from "../../controller/kubernetes/injection/webhook-server.js";
import { eventually } from "./support/cluster-test-kit.js";
import { injectorKubeConfig, injectorManifest, onLoopback } from "./support/injector-on-loopback.js";
import { startKubeTestEnv, type KubeTestEnv } from "./support/kube-test-env.js";

const CONFIG_NAME = "tranquil-trace-manager-injector";
const SYSTEM = "tranquil-system";
const SHOP = "shop";
const PLAIN = "plain";
const TM = "tranquil-trace-manager";
const silent = pino({ level: "silent" });
const INJECTOR_MAIN = new URL("../../controller/kubernetes/injection/main.ts", import.meta.url).pathname;

const names = (cs: readonly V1Container[] | undefined): string[] => (cs ?? []).map((c) => c.name);

function podOf(name: string, labels: Record<string, string>, extra: V1Container[] = []): V1Pod {
  return {
    metadata: { name, labels },
    spec: { containers: [{ name: "app", image: "tranquil/order:v1" }, ...extra] },
  };
}

describe("TraceManager injection on the real API server", { timeout: 60_000 }, () => {
  let env: KubeTestEnv;
  let objects: KubernetesObject[];
  beforeAll(async () => {
    env = await startKubeTestEnv({ crds: false });
    await env.namespace(SYSTEM);
    objects = await injectorManifest();
  }, 120_000);
  afterAll(async () => {
    await env?.stop();
  });

  describe("the shipped manifest", () => {
    it("is accepted object by object in a server-side dry run", async () => {
      const api = KubernetesObjectApi.makeApiClient(env.kc);
      const kinds: string[] = [];
      for (const o of objects) {
        const created = await api.create(o, undefined, "All");
        kinds.push(`${created.kind ?? "?"}/${created.metadata?.name ?? "?"}`);
      }
      // In Helm's install order (the file is rendered from the chart).
      expect(kinds).toEqual([
        "PodDisruptionBudget/tranquil-injector",
        "ServiceAccount/tranquil-injector",
        "ClusterRole/tranquil-injector",
        "ClusterRoleBinding/tranquil-injector",
        "Role/tranquil-injector",
        "RoleBinding/tranquil-injector",
        "Service/tranquil-injector",
        "Deployment/tranquil-injector",
        `MutatingWebhookConfiguration/${CONFIG_NAME}`,
      ]);
      // A dry run stores nothing.
      await expect(
        env.kc
          .makeApiClient(AdmissionregistrationV1Api)
          .readMutatingWebhookConfiguration({ name: CONFIG_NAME }),
      ).rejects.toMatchObject({ code: 404 });
    });

    it("is checked for real: a webhook timeout over 30 s is refused", async () => {
      const config = structuredClone(objects.find((o) => o.kind === "MutatingWebhookConfiguration")) as {
        webhooks: { timeoutSeconds: number }[];
      } & KubernetesObject;
      for (const w of config.webhooks) w.timeoutSeconds = 60;
      await expect(
        KubernetesObjectApi.makeApiClient(env.kc).create(config, undefined, "All"),
      ).rejects.toMatchObject({ code: 422 });
    });
  });

  describe("the webhook", () => {
    let injectorKc: KubeConfig;
    let injector: RunningInjector | undefined;
    const core = () => env.kc.makeApiClient(CoreV1Api);
    const admission = () => env.kc.makeApiClient(AdmissionregistrationV1Api);
    const read = (namespace: string, name: string) => core().readNamespacedPod({ namespace, name });
    /** Points every webhook of configuration `name` at `url`. */
    const pointAt = async (name: string, url: string): Promise<void> => {
      const config = await admission().readMutatingWebhookConfiguration({ name });
      for (const w of config.webhooks ?? []) w.clientConfig.url = url;
      await admission().replaceMutatingWebhookConfiguration({ name, body: config });
    };
    // Where a webhook points until its server listens (port 0 picks its port): nothing listens there.
    const NOWHERE = "https://127.0.0.1:1/inject";

    beforeAll(async () => {
      injectorKc = await injectorKubeConfig(env.kc, objects);
      await admission().createMutatingWebhookConfiguration({ body: onLoopback(objects, NOWHERE) });
      const config = injectorConfigFromEnv({
        [INJECTOR_ENV.image]: "tranquil/trace-manager:0.1.0",
        [INJECTOR_ENV.traceStore]: "redis://tranquil-redis.tranquil-system.svc:6379",
        [INJECTOR_ENV.namespace]: SYSTEM,
        [INJECTOR_ENV.host]: "127.0.0.1",
        [INJECTOR_ENV.port]: "0",
      });
      injector = await startInjector({
        config,
        kc: injectorKc,
        logger: silent,
        version: "0.1.0",
        extraIps: ["127.0.0.1"],
      });
      await pointAt(CONFIG_NAME, `${injector.server.url}${INJECT_PATH}`);
      await core().createNamespace({
        body: { metadata: { name: SHOP, labels: { "tranquil.dev/inject": "enabled" } } },
      });
      await env.namespace(PLAIN);
      for (const ns of [SHOP, PLAIN])
        await eventually(
          () =>
            core()
              .readNamespacedServiceAccount({ namespace: ns, name: "default" })
              .then(
                () => true,
                () => false,
              ),
          Boolean,
        );
      // The API server picks the configuration and its caBundle up through an informer.
      await eventually(
        () =>
          core().createNamespacedPod({
            namespace: SHOP,
            body: podOf("probe", { app: "order", version: "v1" }),
            dryRun: "All",
          }),
        (p) => names(p.spec?.containers).includes(TM),
      );
    }, 60_000);
    afterAll(async () => {
      await injector?.stop();
    });

    it("keeps its certificate in its Secret and the CA in every webhook's caBundle; a second replica reuses both", async () => {
      const secret = await core().readNamespacedSecret({ namespace: SYSTEM, name: "tranquil-injector-tls" });
      expect(secret.type).toBe("kubernetes.io/tls");
      const ca = secret.data?.["ca.crt"] ?? "";
      const config = await admission().readMutatingWebhookConfiguration({ name: CONFIG_NAME });
      expect(config.webhooks?.map((w) => w.clientConfig.caBundle)).toEqual([ca, ca]);
      const again = await ensureManagedCertificates({
        kc: injectorKc,
        namespace: SYSTEM,
        secretName: "tranquil-injector-tls",
        request: { dnsNames: serviceDnsNames("tranquil-injector", SYSTEM), ips: ["127.0.0.1"] },
        logger: silent,
      });
      expect(Buffer.from(again.caPem).toString("base64")).toBe(ca);
      expect(await patchCaBundle(injectorKc, CONFIG_NAME, again.caPem)).toBe(false);
    });

    it("renews an expiring serving certificate in the Secret with the same CA, so the caBundle stays", async () => {
      const request = { dnsNames: serviceDnsNames("tranquil-injector", SYSTEM), ips: ["127.0.0.1"] };
      const secret = await core().readNamespacedSecret({ namespace: SYSTEM, name: "tranquil-injector-tls" });
      const data = secret.data ?? {};
      const pem = (k: string) => Buffer.from(data[k] ?? "", "base64").toString("utf8");
      const expiring = await generateCertificates(
        { ...request, days: 1 },
        { caPem: pem("ca.crt"), caKeyPem: pem("ca.key") },
      );
      secret.data = {
        ...data,
        "tls.crt": Buffer.from(expiring.certPem).toString("base64"),
        "tls.key": Buffer.from(expiring.keyPem).toString("base64"),
      };
      await core().replaceNamespacedSecret({
        namespace: SYSTEM,
        name: "tranquil-injector-tls",
        body: secret,
      });
      const renewed = await ensureManagedCertificates({
        kc: injectorKc,
        namespace: SYSTEM,
        secretName: "tranquil-injector-tls",
        request,
        logger: silent,
      });
      expect(renewed.certPem).not.toBe(expiring.certPem);
      expect(renewed.caPem).toBe(pem("ca.crt"));
      const stored = await core().readNamespacedSecret({ namespace: SYSTEM, name: "tranquil-injector-tls" });
      expect(stored.data?.["tls.crt"]).toBe(Buffer.from(renewed.certPem).toString("base64"));
      expect(await patchCaBundle(injectorKc, CONFIG_NAME, renewed.caPem)).toBe(false);
    });

    it("injects the TraceManager into the pods the controller-manager creates for Deployments in a labelled namespace", async () => {
      const apps = env.kc.makeApiClient(AppsV1Api);
      const deployment = (name: string, replicas: number, extra: V1Container[]) => ({
        metadata: { name: `${name}-v1` },
        spec: {
          replicas,
          selector: { matchLabels: { app: name, version: "v1" } },
          template: {
            metadata: { labels: { app: name, version: "v1" } },
            spec: { containers: [{ name, image: `tranquil/${name}:v1` }, ...extra] },
          },
        },
      });
      await apps.createNamespacedDeployment({ namespace: SHOP, body: deployment("order", 2, []) });
      // As Istio's injector leaves a pod when it ran first (its configuration's name sorts first).
      await apps.createNamespacedDeployment({
        namespace: SHOP,
        body: deployment("item", 1, [{ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.28.0" }]),
      });
      const pods = await eventually(
        async () => (await core().listNamespacedPod({ namespace: SHOP })).items,
        (items) => items.length === 3,
      );
      for (const pod of pods) {
        const app = pod.metadata?.labels?.["app"] ?? "";
        expect(names(pod.spec?.containers)).toEqual(
          app === "item" ? ["item", "istio-proxy", TM] : ["order", TM],
        );
        const tm = pod.spec?.containers.find((c) => c.name === TM);
        const env = Object.fromEntries(
          (tm?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]),
        );
        expect(env).toMatchObject({
          TM_ROLE: "sidecar",
          TM_SERVICE: "metadata.labels['app']",
          TM_VERSION: "metadata.labels['version']",
          POD_NAME: "metadata.name",
          POD_NAMESPACE: "metadata.namespace",
          TM_SOCKET: "/var/run/tranquil/tm.sock",
          TM_STORE: "redis://tranquil-redis.tranquil-system.svc:6379",
        });
        // The API server stores quantities in canonical form.
        expect(tm?.resources).toEqual({
          requests: { cpu: "20m", memory: "64Mi" },
          limits: { memory: "128Mi" },
        });
        expect(tm?.volumeMounts).toContainEqual({ name: "tranquil-socket", mountPath: "/var/run/tranquil" });
        expect(pod.spec?.volumes).toContainEqual({ name: "tranquil-socket", emptyDir: { medium: "Memory" } });
        expect(pod.spec?.securityContext).toEqual({ fsGroup: 1337, fsGroupChangePolicy: "OnRootMismatch" });
        const annotations = pod.metadata?.annotations ?? {};
        expect(JSON.parse(annotations["sidecar.istio.io/userVolumeMount"] ?? "{}")).toEqual({
          "tranquil-socket": { mountPath: "/var/run/tranquil" },
        });
        expect(JSON.parse(annotations["sidecar.istio.io/userVolume"] ?? "{}")).toEqual({
          "tranquil-socket": { emptyDir: { medium: "Memory" } },
        });
        expect(annotations["tranquil.dev/injected"]).toBe("0.1.0");
        if (app === "item")
          expect(pod.spec?.containers.find((c) => c.name === "istio-proxy")?.volumeMounts).toContainEqual({
            name: "tranquil-socket",
            mountPath: "/var/run/tranquil",
          });
      }
    });

    it("follows the labels: an unlabelled namespace is left alone, a pod opts in or out by its own label", async () => {
      const labels = { app: "order", version: "v1" };
      await core().createNamespacedPod({ namespace: PLAIN, body: podOf("plain", labels) });
      await core().createNamespacedPod({
        namespace: PLAIN,
        body: podOf("opted-in", { ...labels, "tranquil.dev/inject": "enabled" }),
      });
      await core().createNamespacedPod({
        namespace: SHOP,
        body: podOf("opted-out", { ...labels, "tranquil.dev/inject": "disabled" }),
      });
      expect(names((await read(PLAIN, "plain")).spec?.containers)).toEqual(["app"]);
      expect(names((await read(PLAIN, "opted-in")).spec?.containers)).toEqual(["app", TM]);
      expect(names((await read(SHOP, "opted-out")).spec?.containers)).toEqual(["app"]);
      // Without a version label its TraceManager could not start: created as it is, with a warning.
      const unversioned = await core().createNamespacedPod({
        namespace: SHOP,
        body: podOf("unversioned", { app: "order" }),
      });
      expect(names(unversioned.spec?.containers)).toEqual(["app"]);
      expect(await injector?.metrics.countOf("skipped", "no-identity")).toBe(1);
      expect((await read(PLAIN, "plain")).metadata?.annotations?.["tranquil.dev/injected"]).toBeUndefined();
    });

    it("leaves a pod that is already injected as it is, without a patch", async () => {
      const injected = await read(PLAIN, "opted-in");
      const before = await injector?.metrics.countOf("skipped", "already-injected");
      const copy: V1Pod = {
        metadata: {
          name: "copy",
          labels: { app: "order", version: "v1" },
          annotations: injected.metadata?.annotations ?? {},
        },
        spec: {
          // Without the service-account token mounts: the API server adds those again.
          containers: (injected.spec?.containers ?? []).map((c) =>
            Object.assign(structuredClone(c), {
              volumeMounts: (c.volumeMounts ?? []).filter((m) => !m.name.startsWith("kube-api-access")),
            }),
          ),
          volumes: (injected.spec?.volumes ?? []).filter((v) => v.name === "tranquil-socket"),
          securityContext: { fsGroup: 1337 },
        },
      };
      const stored = await core().createNamespacedPod({ namespace: SHOP, body: copy });
      expect(names(stored.spec?.containers)).toEqual(["app", TM]);
      expect(stored.spec?.volumes?.filter((v) => v.name === "tranquil-socket")).toHaveLength(1);
      expect(stored.spec?.containers[1]?.env).toEqual(injected.spec?.containers[1]?.env);
      expect(stored.spec?.securityContext).toEqual({ fsGroup: 1337 });
      expect(await injector?.metrics.countOf("skipped", "already-injected")).toBe((before ?? 0) + 1);
    });

    it("is run again after a later webhook adds Istio's proxy, and mounts the socket directory into it", async () => {
      // A stand-in for Istio's injector, ordered after this one (configurations run by name).
      const tls = await generateCertificates({ dnsNames: ["stand-in"], ips: ["127.0.0.1"] });
      const standIn = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.once("end", () => {
          const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
            request: { uid: string; object: V1Pod };
          };
          const has = names(review.request.object.spec?.containers).includes("istio-proxy");
          const patch = has
            ? []
            : [
                {
                  op: "add",
                  path: "/spec/containers/-",
                  value: { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.28.0" },
                },
              ];
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              apiVersion: "admission.k8s.io/v1",
              kind: "AdmissionReview",
              response: {
                uid: review.request.uid,
                allowed: true,
                ...(has
                  ? {}
                  : { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") }),
              },
            }),
          );
        });
      });
      await new Promise<void>((r) => standIn.listen(0, "127.0.0.1", r));
      const name = "zz-istio-injector-stand-in";
      try {
        const standInPort = (standIn.address() as { port: number }).port;
        await admission().createMutatingWebhookConfiguration({
          body: {
            metadata: { name },
            webhooks: [
              {
                name: "sidecar.stand-in.tranquil.dev",
                clientConfig: {
                  url: `https://127.0.0.1:${standInPort}/`,
                  caBundle: Buffer.from(tls.caPem).toString("base64"),
                },
                rules: [
                  { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] },
                ],
                objectSelector: { matchLabels: { "stand-in": "istio" } },
                failurePolicy: "Fail",
                sideEffects: "None",
                admissionReviewVersions: ["v1"],
                timeoutSeconds: 2,
              },
            ],
          },
        });
        const labels = { app: "order", version: "v1", "stand-in": "istio" };
        const pod = await eventually(
          () =>
            core().createNamespacedPod({ namespace: SHOP, body: podOf("reinvoked", labels), dryRun: "All" }),
          (p) => names(p.spec?.containers).includes("istio-proxy"),
        );
        expect(names(pod.spec?.containers)).toEqual(["app", TM, "istio-proxy"]);
        expect(pod.spec?.containers.find((c) => c.name === "istio-proxy")?.volumeMounts).toContainEqual({
          name: "tranquil-socket",
          mountPath: "/var/run/tranquil",
        });
      } finally {
        await admission()
          .deleteMutatingWebhookConfiguration({ name })
          .catch(() => undefined);
        standIn.closeAllConnections();
        await new Promise((r) => standIn.close(r));
      }
    });

    it("injects a native sidecar the API server accepts, when configured so", async () => {
      const name = "tranquil-native-sidecar-test";
      const body = onLoopback(objects, NOWHERE);
      body.metadata = { name };
      // Only pods labelled native=true in the unlabelled namespace: the shipped webhooks skip them.
      body.webhooks = (body.webhooks ?? []).slice(1);
      for (const w of body.webhooks) w.objectSelector = { matchLabels: { native: "true" } };
      await admission().createMutatingWebhookConfiguration({ body });
      const config = injectorConfigFromEnv({
        [INJECTOR_ENV.image]: "tranquil/trace-manager:0.1.0",
        [INJECTOR_ENV.traceStore]: "redis://tranquil-redis.tranquil-system.svc:6379",
        [INJECTOR_ENV.namespace]: SYSTEM,
        [INJECTOR_ENV.webhookConfigName]: name,
        [INJECTOR_ENV.nativeSidecar]: "true",
        [INJECTOR_ENV.host]: "127.0.0.1",
        [INJECTOR_ENV.port]: "0",
      });
      const native = await startInjector({
        config,
        kc: env.kc,
        logger: silent,
        version: "0.1.0",
        extraIps: ["127.0.0.1"],
      });
      try {
        await pointAt(name, `${native.server.url}${INJECT_PATH}`);
        const pod = await eventually(
          () =>
            core().createNamespacedPod({
              namespace: PLAIN,
              body: podOf("native", { app: "order", version: "v1", native: "true" }),
              dryRun: "All",
            }),
          (p) => names(p.spec?.initContainers).includes(TM),
        );
        expect(names(pod.spec?.containers)).toEqual(["app"]);
        expect(pod.spec?.initContainers?.find((c) => c.name === TM)?.restartPolicy).toBe("Always");
      } finally {
        await native.stop();
        await admission().deleteMutatingWebhookConfiguration({ name });
      }
    });

    it("runs as a process (main.ts): exits 2 on a bad environment; serves, and exits 0 on SIGTERM", async () => {
      const dir = await mkdtemp(join(tmpdir(), "tranquil-injector-"));
      const children: ChildProcess[] = [];
      const run = (env: Record<string, string>) => {
        const child = spawn(process.execPath, ["--import", "tsx", INJECTOR_MAIN], {
          stdio: ["ignore", "pipe", "pipe"],
          env: { PATH: process.env["PATH"] ?? "", ...env },
        });
        children.push(child);
        let output = "";
        child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
        return { child, output: () => output, exited };
      };
      try {
        const bad = run({});
        expect(await bad.exited).toBe(2);
        expect(bad.output()).toContain("TRANQUIL_INJECT_IMAGE is required");

        const kubeconfig = join(dir, "kubeconfig");
        await writeFile(kubeconfig, injectorKc.exportConfig(), { mode: 0o600 });
        const good = run({
          KUBECONFIG: kubeconfig,
          [INJECTOR_ENV.image]: "tranquil/trace-manager:0.1.0",
          [INJECTOR_ENV.traceStore]: "redis://tranquil-redis.tranquil-system.svc:6379",
          [INJECTOR_ENV.namespace]: SYSTEM,
          [INJECTOR_ENV.host]: "127.0.0.1",
          [INJECTOR_ENV.port]: "0",
        });
        await eventually(
          () => Promise.resolve(good.output()),
          (o) => o.includes("tranquil-injector serving") || good.child.exitCode !== null,
          20_000,
        );
        const served = /tranquil-injector serving (https:\/\/127\.0\.0\.1:\d+)/.exec(good.output())?.[1];
        expect(served, good.output()).toBeDefined();
        const secret = await core().readNamespacedSecret({
          namespace: SYSTEM,
          name: "tranquil-injector-tls",
        });
        const ca = Buffer.from(secret.data?.["ca.crt"] ?? "", "base64").toString("utf8");
        // The certificate names the Service; the process listens on loopback.
        const status = await new Promise<number>((resolve, reject) => {
          httpsGet(
            `${served ?? ""}/healthz`,
            {
              ca,
              servername: "tranquil-injector.tranquil-system.svc",
              checkServerIdentity: (_h, cert) =>
                checkServerIdentity("tranquil-injector.tranquil-system.svc", cert),
              agent: false,
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          ).once("error", reject);
        });
        expect(status).toBe(200);
        good.child.kill("SIGTERM");
        expect(await good.exited).toBe(0);
      } finally {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("does not block pod creation once it is stopped (failurePolicy Ignore)", async () => {
      await injector?.stop();
      injector = undefined;
      const started = Date.now();
      const pod = await core().createNamespacedPod({
        namespace: SHOP,
        body: podOf("while-down", { app: "order", version: "v1" }),
      });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(names(pod.spec?.containers)).toEqual(["app"]);
    });

    it("does not hold a pod longer than its 2 s timeout when it hangs", async () => {
      const held: Socket[] = [];
      const hanging: Server = createServer((s) => held.push(s));
      await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
      try {
        const hangPort = (hanging.address() as { port: number }).port;
        await pointAt(CONFIG_NAME, `https://127.0.0.1:${hangPort}${INJECT_PATH}`);
        // Once the API server calls the hanging webhook, a creation waits for the timeout, then goes on.
        let n = 0;
        const timed = await eventually(
          async () => {
            const started = Date.now();
            const pod = await core().createNamespacedPod({
              namespace: SHOP,
              body: podOf(`held-${n++}`, { app: "order", version: "v1" }),
            });
            return { ms: Date.now() - started, containers: names(pod.spec?.containers) };
          },
          (r) => r.ms >= 1_500,
        );
        expect(timed.ms).toBeLessThan(5_000);
        expect(timed.containers).toEqual(["app"]);
        expect(held.length).toBeGreaterThan(0);
      } finally {
        for (const s of held) s.destroy();
        await new Promise((r) => hanging.close(r));
      }
    });
  });
});
