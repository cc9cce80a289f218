import { destinationRule, virtualService } from "../../api/builders.js";
import type { DestinationRule, VirtualService } from "../../api/types.js";
import type { Topology } from "./topology.js";

/**
 * The mesh's starting routes: per service a DestinationRule with a `version` subset per version
 * and a VirtualService (bound to `mesh`) sending everything to `defaultVersion`; one gateway
 * VirtualService (bound to `<ns>/<gateway>`) sending every gateway host to the entry service.
 */
export function defaultRouting(t: Topology): {
  virtualServices: VirtualService[];
  destinationRules: DestinationRule[];
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
  return { virtualServices, destinationRules };
}
