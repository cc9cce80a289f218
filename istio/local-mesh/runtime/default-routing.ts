import { destinationRule, gateway, virtualService } from "../../api/builders.js";
import type { DestinationRule, Gateway, VirtualService } from "../../api/types.js";
import type { Topology } from "./topology.js";

/** The labels the topology's Gateway selects: Istio's ingress gateway's `istio` label. */
export const GATEWAY_SELECTOR: Readonly<Record<string, string>> = { istio: "ingressgateway" };

/**
 * The mesh's starting routes: per service a DestinationRule with a `version` subset per version
 * and a VirtualService (bound to `mesh`) sending everything to `defaultVersion`; the Gateway
 * `<gateway>` (Istio's ingress gateway, the topology's hosts on its port) and one gateway
 * VirtualService bound to it, sending every gateway host to the entry service.
 */
export function defaultRouting(t: Topology): {
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
  gateways: Gateway[];
} {
  const ns = t.namespace;
  const destinationRules = t.services.map((s) =>
    destinationRule(
      s.name,
      { host: s.name, subsets: s.versions.map((v) => ({ name: v.name, labels: { version: v.name } })) },
      ns,
    ),
  );
  const virtualServices = t.services.map((s) =>
    virtualService(
      s.name,
      {
        hosts: [s.name],
        http: [
          {
            name: "default",
            route: [{ destination: { host: s.name, subset: s.defaultVersion, port: { number: s.port } } }],
          },
        ],
      },
      ns,
    ),
  );
  const entry = t.services.find((s) => s.name === t.gateway.service);
  if (entry !== undefined) {
    virtualServices.push(
      virtualService(
        `${t.gateway.name}-routes`,
        {
          hosts: [...t.gateway.hosts],
          gateways: [`${ns}/${t.gateway.name}`],
          http: [
            {
              name: "ingress",
              route: [
                {
                  destination: {
                    host: entry.name,
                    subset: entry.defaultVersion,
                    port: { number: entry.port },
                  },
                },
              ],
            },
          ],
        },
        ns,
      ),
    );
  }
  const gateways = [
    gateway(
      t.gateway.name,
      {
        selector: { ...GATEWAY_SELECTOR },
        servers: [
          { port: { number: t.gateway.port, name: "http", protocol: "HTTP" }, hosts: [...t.gateway.hosts] },
        ],
      },
      ns,
    ),
  ];
  return { virtualServices, destinationRules, gateways };
}
