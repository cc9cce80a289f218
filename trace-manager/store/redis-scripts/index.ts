import { ACTIVE_SUMMARY_LUA, BUSY_BUCKETS_LUA, INGRESS_SUMMARY_LUA } from "./queries.js";
import { CALL_END_LUA, CALL_START_LUA } from "./calls.js";
import { FORGET_PODS_LUA, PUT_UPGRADE_LUA } from "./control.js";
import { INGRESS_END_LUA, INGRESS_START_LUA } from "./ingress.js";
import { OUTBOUND_ADD_LUA } from "./outbound.js";
import { SWEEP_CLAIM_LUA, SWEEP_FINISH_LUA } from "./sweep.js";

/**
 * Every Lua script of the Redis trace store, by the ioredis command name it is defined under.
 * ioredis sends EVALSHA and falls back to EVAL after a restarted server forgot the script.
 */
export const SCRIPTS = {
  tranquilCallStart: CALL_START_LUA,
  tranquilCallEnd: CALL_END_LUA,
  tranquilOutboundAdd: OUTBOUND_ADD_LUA,
  tranquilIngressStart: INGRESS_START_LUA,
  tranquilIngressEnd: INGRESS_END_LUA,
  tranquilSweepClaim: SWEEP_CLAIM_LUA,
  tranquilSweepFinish: SWEEP_FINISH_LUA,
  tranquilActiveSummary: ACTIVE_SUMMARY_LUA,
  tranquilBusyBuckets: BUSY_BUCKETS_LUA,
  tranquilIngressSummary: INGRESS_SUMMARY_LUA,
  tranquilPutUpgrade: PUT_UPGRADE_LUA,
  tranquilForgetPods: FORGET_PODS_LUA,
} as const;

/** The name of one of the store's scripts. */
export type ScriptName = keyof typeof SCRIPTS;
