/**
 * A user's VirtualService and DestinationRule rich in what Tranquil does not own: other routes
 * (to other hosts, a redirect), match blocks, retries, timeouts, fault injection, a mirror, a
 * CORS policy, header rules, exportTo, gateways, tcp and tls sections, traffic policies, other
 * subsets, labels and annotations. Both are valid for Istio's schema and its webhook's checks.
 */
import { destinationRule, virtualService } from "../../../istio/api/builders.js";
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";

const meta = {
  labels: { app: "reviews", "team.example.com/owner": "shop" },
  annotations: {
    "gitops.example.com/tracking-id": "shop:networking.istio.io/reviews",
    "example.com/note": "hand-written; do not reorder the routes",
  },
};

/** The user's VirtualService of host `reviews` in `namespace`. */
export function richVirtualService(namespace: string): VirtualService {
  return virtualService(
    "reviews",
    {
      hosts: ["reviews", "reviews.example.com"],
      gateways: ["mesh", `${namespace}/public`],
      exportTo: [".", "istio-system"],
      http: [
        {
          name: "canary-header",
          match: [
            {
              name: "api-canary",
              headers: { "x-canary": { exact: "yes" } },
              uri: { prefix: "/api" },
              ignoreUriCase: true,
              withoutHeaders: { "x-bot": {} },
            },
            { queryParams: { debug: { exact: "1" } }, sourceLabels: { app: "frontend" } },
          ],
          route: [
            {
              destination: { host: "reviews", subset: "v1", port: { number: 9080 } },
              weight: 100,
              headers: { request: { set: { "x-route": "canary" } } },
            },
          ],
          timeout: "3s",
          retries: { attempts: 3, perTryTimeout: "1s", retryOn: "5xx,reset" },
          headers: { response: { add: { "x-served-by": "reviews" }, remove: ["x-internal"] } },
        },
        {
          name: "ratings-split",
          match: [{ uri: { prefix: "/ratings" } }],
          route: [
            { destination: { host: "ratings", subset: "v1" }, weight: 80 },
            { destination: { host: "ratings", subset: "v2" }, weight: 20 },
          ],
          fault: {
            delay: { fixedDelay: "100ms", percentage: { value: 5 } },
            abort: { httpStatus: 503, percentage: { value: 1 } },
          },
        },
        {
          name: "legacy-redirect",
          match: [{ uri: { exact: "/old" } }],
          redirect: { uri: "/new", redirectCode: 301 },
        },
        {
          name: "main",
          route: [{ destination: { host: "reviews", subset: "v1" } }],
          mirror: { host: "reviews-shadow" },
          mirrorPercentage: { value: 10 },
          corsPolicy: {
            allowOrigins: [{ exact: "https://shop.example.com" }],
            allowMethods: ["GET", "POST"],
            allowHeaders: ["x-token"],
            maxAge: "24h",
            allowCredentials: true,
          },
          rewrite: { authority: "reviews.internal" },
        },
      ],
      tcp: [
        { match: [{ port: 31400 }], route: [{ destination: { host: "reviews", port: { number: 31400 } } }] },
      ],
      tls: [
        {
          match: [{ port: 443, sniHosts: ["reviews.example.com"] }],
          route: [{ destination: { host: "reviews", port: { number: 443 } } }],
        },
      ],
    },
    namespace,
    structuredClone(meta),
  );
}

/** The user's DestinationRule of host `reviews` in `namespace`, with subset v1 and another. */
export function richDestinationRule(namespace: string): DestinationRule {
  return destinationRule(
    "reviews",
    {
      host: "reviews",
      exportTo: ["."],
      trafficPolicy: {
        loadBalancer: { simple: "LEAST_REQUEST" },
        connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 10 } },
        outlierDetection: { consecutive5xxErrors: 5, interval: "10s", baseEjectionTime: "30s" },
        tls: { mode: "ISTIO_MUTUAL" },
      },
      subsets: [
        { name: "v1", labels: { version: "v1" }, trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } } },
        { name: "canary-pool", labels: { version: "v1", pool: "canary" } },
      ],
    },
    namespace,
    structuredClone(meta),
  );
}

/** A VirtualService of another host, which no Tranquil call may touch. */
export function unrelatedVirtualService(namespace: string): VirtualService {
  return virtualService(
    "details",
    {
      hosts: ["details"],
      http: [
        {
          name: "details",
          route: [{ destination: { host: "details", subset: "v1" } }],
          timeout: "2s",
        },
      ],
    },
    namespace,
    { labels: { app: "details" } },
  );
}
