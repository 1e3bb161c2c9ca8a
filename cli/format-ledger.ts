import { own } from '../policy/own';
import type { CanaryState } from '../policy/canary';
import { emptyEvidence, type LedgerState } from '../policy/ledger';
import type { LoadedPolicy } from '../policy/loader';
import { RUNG_NAMES, type Rung } from '../policy/schema';
import { promotionVerdict, type ClassInfrastructure } from '../policy/trust-rules';
import { agentStandings } from '../slack/blocks/status';
import type { KillSwitchState } from '../workflows/messages';

const rung = (r: number): string => `${r} (${RUNG_NAMES[r] ?? '?'})`;

/**
 * An agent's standing per task class: earned rung (the ledger's, else the policy's declared one),
 * the evidence since it got there against the next rung's thresholds, and what is still missing.
 * Pure.
 */
export function formatAgentStatus(
  policy: LoadedPolicy,
  agentId: string,
  ledger: LedgerState | null,
  infrastructure: (taskClass: string) => ClassInfrastructure,
  nowMs: number,
  /** Freezes and class caps in force; each class then says the rung its tasks get now and why. */
  killSwitch: KillSwitchState = { all: null, agents: {}, classes: {} },
): string {
  const agent = own(policy.agents, agentId);
  if (!agent) return `${agentId}: not an agent in policy ${policy.version}`;
  const earnedRungs = Object.fromEntries(
    Object.keys(policy.taskClasses).map((c) => [c, ledger?.classes[c]?.rung ?? agent.rungs[c] ?? 0]),
  );
  const standings = new Map(
    agentStandings(policy, killSwitch, agentId, earnedRungs).map((s) => [s.taskClass, s]),
  );
  const lines = [
    `${agentId}: owner ${agent.owner}, model ${ledger?.model ?? agent.model}, prompt ${ledger?.promptVersion ?? agent.promptVersion}${ledger ? '' : ' (no evidence yet: rungs as declared in the policy)'}`,
  ];
  for (const taskClass of Object.keys(policy.taskClasses)) {
    const c = ledger?.classes[taskClass];
    const earned = c?.rung ?? agent.rungs[taskClass] ?? 0;
    const standing = standings.get(taskClass);
    const held =
      standing && standing.ceiling < standing.earned
        ? `; tasks now run at most at rung ${rung(standing.ceiling)} (${standing.why.join(', ')})`
        : '';
    lines.push(`  ${taskClass}: rung ${rung(earned)}${c ? '' : ' (declared)'}${held}`);
    const open = ledger?.proposals.find((p) => p.taskClass === taskClass && p.status === 'open');
    if (open) {
      lines.push(
        `    promotion to ${open.to} proposed (${open.id}), waiting for one of ${open.approvers.join(', ')}`,
      );
      continue;
    }
    const evidence = c?.evidence ?? emptyEvidence(nowMs);
    const infra = infrastructure(taskClass);
    const drilled = { ...infra, rollbackDrillPassed: infra.rollbackDrillPassed || c?.drill?.passed === true };
    if (c?.drill)
      lines.push(
        `    last rollback drill: ${c.drill.passed ? 'passed' : 'FAILED'} ${c.drill.at} (${c.drill.detail})`,
      );
    const verdict = promotionVerdict(policy, taskClass, earned as Rung, evidence, drilled, nowMs);
    if (verdict.to === null) {
      lines.push('    at the top of the ladder');
      continue;
    }
    const missing = verdict.criteria.filter((k) => !k.ok);
    lines.push(
      missing.length === 0
        ? `    eligible for rung ${verdict.to}: a proposal goes out with the next evidence`
        : `    for rung ${verdict.to}, still missing:`,
    );
    for (const k of missing) lines.push(`      ✗ ${k.criterion}: ${k.detail}`);
    for (const k of verdict.criteria.filter((x) => x.ok)) lines.push(`      ✓ ${k.criterion}: ${k.detail}`);
  }
  return lines.join('\n');
}

/**
 * One line per freeze and class cap in force (none when nothing is engaged), as `ladder
 * kill-switch` and `ladder status` show them. Pure.
 */
export function killSwitchLines(state: KillSwitchState): string[] {
  return [
    ...(state.all
      ? [
          `every agent: capped at rung ${state.all.cap} by ${state.all.by} at ${state.all.at}: ${state.all.reason}`,
        ]
      : []),
    ...Object.entries(state.agents).map(
      ([id, f]) => `${id}: capped at rung ${f.cap} by ${f.by} at ${f.at}: ${f.reason}`,
    ),
    ...Object.entries(state.classes ?? {}).map(
      ([c, f]) =>
        `task class ${c}: every agent capped at rung ${f.cap} by ${f.by} at ${f.at}: ${f.reason} (release: ladder unfreeze --class ${c})`,
    ),
  ];
}

/**
 * The kill switch for `ladder status`: what the policy file and people engaged, or one line
 * saying nothing is. Pure.
 */
export function formatKillSwitch(state: KillSwitchState, policy: LoadedPolicy): string {
  const ks = policy.killSwitch;
  const lines = [
    ...(ks.engaged
      ? [`policy file: ${ks.agents ? ks.agents.join(', ') : 'every agent'} capped at rung ${ks.cap}`]
      : []),
    ...killSwitchLines(state),
  ];
  return lines.length === 0
    ? 'Kill switch: not engaged'
    : ['Kill switch: ENGAGED', ...lines.map((l) => `  ${l}`)].join('\n');
}

/** One line on a policy canary. Pure. */
export function formatCanary(state: CanaryState | null): string {
  if (!state) return 'Canary: none (the policy declares no canary)';
  const agents = state.agents.length > 0 ? state.agents.join(', ') : 'no agents';
  return `Canary: policy ${state.nextVersionId} ${state.status} (for ${agents}; window ${Math.round(state.windowMs / 1000)} s from ${state.startedAt})${state.detail ? `: ${state.detail}` : ''}`;
}

/** An agent's rung history, newest last, with causes and who. Pure. */
export function formatHistory(agentId: string, ledger: LedgerState | null): string {
  if (!ledger || ledger.history.length === 0) return `${agentId}: no rung changes recorded yet.`;
  return [
    `${agentId}: ${ledger.history.length} rung change(s)`,
    ...ledger.history.map(
      (h) =>
        `  ${h.at}  ${h.taskClass}: ${h.from} → ${h.to}${h.by ? ` by ${h.by}` : ''}\n    cause: ${h.cause}\n    evidence then: ${h.evidence}`,
    ),
  ].join('\n');
}
