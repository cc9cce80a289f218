/**
 * The mesh before any upgrade: per train service a VirtualService whose one user route names
 * the old subset (or no subset), a DestinationRule with the old subset when the route names it,
 * and, when the train is not the first hop, the `api` entry bound to the ingress gateway.
 */
import type { DestinationRule, VirtualService } from "../../../istio/api/types.js";
import type { SimScenario } from "../scenario.js";
import type { MeshConfig } from "./config-store.js";
import { BYPASS_SERVICE, ENTRY_SERVICE } from "./types.js";

/** The user's routing before the upgrade. */
export function initialConfig(s: SimScenario): MeshConfig {
  const virtualServices: VirtualService[] = [];
  const destinationRules: DestinationRule[] = [];
  s.services.forEach((svc, i) => {
    const bound = s.entryInTrain && i === 0;
    virtualServices.push({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: svc, namespace: "default" },
      spec: {
        hosts: [svc],
        ...(bound ? { gateways: [s.gatewayBinding, "mesh"] } : {}),
        http: [
          {
            name: "primary",
            timeout: "30s",
            route: [
              {
                destination: s.userRouteHasSubset ? { host: svc, subset: s.oldVersion } : { host: svc },
              },
            ],
          },
        ],
      },
    });
    if (s.userRouteHasSubset) {
      destinationRules.push({
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: svc, namespace: "default" },
        spec: { host: svc, subsets: [{ name: s.oldVersion, labels: { version: s.oldVersion } }] },
      });
    }
  });
  if (!s.entryInTrain) {
    virtualServices.push({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: ENTRY_SERVICE, namespace: "default" },
      spec: {
        hosts: [ENTRY_SERVICE],
        gateways: [s.gatewayBinding],
        http: [{ name: "entry", route: [{ destination: { host: ENTRY_SERVICE } }] }],
      },
    });
  }
  const services = [...s.services, ...(s.entryInTrain ? [] : [ENTRY_SERVICE]), BYPASS_SERVICE];
  return { virtualServices, destinationRules, services };
}
