/**
 * Validating (§4.1): the checks that need observations. Any problem fails the upgrade with a
 * condition that says what to fix; nothing has been applied yet, so nothing is half-applied.
 */
import { formatProblems, validateUpgradeSpec } from "../upgrade-spec/validate.js";
import { Phase, Stage } from "./phases.js";
import type { Tick } from "./tick.js";
import { ConditionType, type ValidationFacts } from "./types.js";
import { WebhookType, type UpgradeSpec } from "../upgrade-spec/schema.js";
import { askGates, gatesOpen, holdOnGates } from "./gates.js";

/** Everything wrong with the upgrade given the gathered facts, one message per problem. */
export function validationProblems(spec: UpgradeSpec, facts: ValidationFacts, id: string): string[] {
  const problems: string[] = [];
  for (const svc of spec.services) {
    const f = facts.services[svc.name];
    if (f === undefined || !f.exists) {
      problems.push(`service "${svc.name}" not found; check the name and namespace`);
      continue;
    }
    if (f.headless)
      problems.push(
        `service "${svc.name}" is headless; Istio routes it without subsets, so it cannot be upgraded`,
      );
    if (f.tcpPorts.length > 0) {
      problems.push(
        `service "${svc.name}" has ports Istio treats as TCP (${f.tcpPorts.join(", ")}); name them with an http/grpc prefix or set appProtocol`,
      );
    }
    if (!f.versions.includes(svc.from)) {
      problems.push(`service "${svc.name}" has no Deployment with version=${svc.from}; check "from"`);
    } else if (!f.oldSelectorHasVersion) {
      problems.push(`the ${svc.name} ${svc.from} Deployment's selector lacks the "version" label; add it`);
    }
    if (f.versions.includes(svc.to)) {
      problems.push(
        `service "${svc.name}" already has a Deployment with version=${svc.to}; its pods could receive traffic before the routes hold old. Delete it or choose another "to"`,
      );
    }
    if (f.gitOpsSelfHeal && spec.gitOpsAcknowledged !== true) {
      problems.push(
        `a VirtualService of "${svc.name}" is managed by a GitOps tool with self-heal, which would revert Tranquil's routes; disable self-heal for it and set gitOpsAcknowledged: true`,
      );
    }
  }
  const names = new Set(spec.services.map((s) => s.name));
  for (const other of facts.otherActiveUpgrades) {
    if (other.id === id) continue;
    const overlap = other.services.filter((s) => names.has(s));
    if (overlap.length > 0) {
      problems.push(
        `upgrade "${other.id}" is already upgrading ${overlap.join(", ")}; wait for it to finish or abort it`,
      );
    }
  }
  if (facts.enrolmentIdHolder !== undefined) {
    problems.push(
      `enrolment id "${id}" is held by the active upgrade ${facts.enrolmentIdHolder}; rename this upgrade or wait for that one to finish`,
    );
  }
  const checks = spec.strategy?.analysis?.prometheus ?? [];
  if (checks.length > 0 && facts.metricsProvider === null) {
    problems.push(
      `strategy.analysis.prometheus has ${checks.length} check(s) but no Prometheus provider is configured for it; start the controller with --prometheus-address (TRANQUIL_PROMETHEUS_ADDRESS), name one in strategy.analysis.prometheusAddress, or remove the checks`,
    );
  }
  for (const p of facts.meshProblems) problems.push(p.message);
  return problems;
}

/** One Validating tick. */
export function validating(t: Tick): void {
  const parsed = validateUpgradeSpec(t.spec);
  if (!parsed.ok) {
    const message = `invalid spec: ${formatProblems(parsed.problems)}`;
    t.setCondition(ConditionType.Invalid, "True", "InvalidSpec", message);
    t.fail("InvalidSpec", message);
    return;
  }
  const facts = t.obs.validation;
  if (facts === undefined) {
    t.wait("GatheringFacts", "gathering services, Deployments and routes to validate the upgrade");
    return;
  }
  const problems = validationProblems(t.spec, facts, t.id);
  if (problems.length > 0) {
    const message = problems.join("; ");
    t.setCondition(ConditionType.Invalid, "True", "Refused", message);
    t.fail("Refused", message);
    return;
  }
  t.setCondition(ConditionType.Invalid, "False", "Valid", "spec and mesh shape accepted");
  // Nothing is applied until every confirm-rollout gate says yes (ADR 0098).
  const confirm = askGates(t, WebhookType.ConfirmRollout, "confirm-rollout", true);
  if (!confirm.open) {
    holdOnGates(t, WebhookType.ConfirmRollout, confirm, "validated; waiting for confirm-rollout");
    return;
  }
  gatesOpen(t, WebhookType.ConfirmRollout);
  t.s.engine.userOwnedNewSubsets = t.spec.services
    .filter((svc) => facts.services[svc.name]?.subsets.includes(svc.to) === true)
    .map((svc) => svc.name);
  t.s.engine.instants.preparingAt = t.now;
  t.enter(Phase.Preparing, Stage.EnsureOldSubset, "validated; holding old");
}
