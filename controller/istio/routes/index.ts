/**
 * The route planner's public API: pure functions from the route table and the engine's intent
 * to the objects the RouteTable port writes.
 */
export { planVirtualServices } from "./plan-virtual-services.js";
export type {
  ObjectRef,
  TrainMember,
  VirtualServicePlan,
  VirtualServicePlanInput,
} from "./plan-virtual-services.js";
export { destinationRuleFor, planSubset } from "./plan-destination-rules.js";
export type { DestinationRulePlan, SubsetChange } from "./plan-destination-rules.js";
export {
  enrolledName,
  heldName,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  OWNED_DEFAULT_ROUTE,
  ownedObjectName,
  pinName,
  REQUEST_ID_HEADER,
  SENTINEL_HEADER,
  sentinelEpoch,
  sentinelName,
  sentinelValue,
  stampName,
  tranquilRouteKind,
  TranquilRouteKind,
  UPGRADE_LABEL,
} from "./names.js";
export { enrolmentRegex, escapeRe2, MAX_REGEX_LENGTH, pinRegexChunks } from "./regex.js";
export { reachableRoutes, bindingsOf } from "./reachability.js";
export { highestEpoch, sentinelGateways } from "./epoch.js";
export { gatewayBindingsOf, stampRoute } from "./stamp.js";
