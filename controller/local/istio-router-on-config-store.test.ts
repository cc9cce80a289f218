/**
 * IstioRouter on the local mesh's config store: the shared router contract
 * (controller/istio/testing/router-contract.ts), which the Kubernetes route table meets too.
 * The store is the other writer as well: a user's write goes to it directly.
 */
import { createConfigStore } from "../../istio/local-mesh/control-plane/config-store.js";
import type { ConfigStore } from "../../istio/local-mesh/control-plane/types.js";
import { describeRouterContract, type OtherWriter } from "../istio/testing/router-contract.js";
import { ConfigStoreRouteTable } from "./config-store-route-table.js";

/** The store's own client, as a user's tool would write to it. */
function storeWriter(store: ConfigStore): OtherWriter {
  return {
    get: (kind, namespace, name) => Promise.resolve(store.get(kind, namespace, name)),
    create: (obj) => Promise.resolve(store.create(obj)),
    replace: (obj) => Promise.resolve(store.update(obj)),
  };
}

describeRouterContract("the local config store", () => {
  const store = createConfigStore();
  return Promise.resolve({
    table: new ConfigStoreRouteTable(store),
    other: storeWriter(store),
    namespace: (name) => Promise.resolve(name),
    close: () => Promise.resolve(),
  });
});
