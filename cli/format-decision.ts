import type { Decision } from '../policy/decide';
import { formatDuration } from '../policy/duration';
import { RUNG_NAMES } from '../policy/schema';

const rung = (r: number): string => `${r} (${RUNG_NAMES[r]})`;

/**
 * Renders a decision for people: the rung, and every reason that lowered it, one per line.
 * Pure, so the CLI and tests share it.
 */
export function formatDecision(decision: Decision, taskLabel: string): string {
  const lines = [`Decision for ${taskLabel} (agent ${decision.agentId}, task class ${decision.taskClass})`];
  const row = (name: string, value: string): void => {
    lines.push(`  ${`${name}:`.padEnd(20)}${value}`);
  };
  row('policy', decision.policyVersion);
  if (decision.refused) {
    row('refused', `${decision.refused.message} [${decision.refused.rule}]`);
    row('effective rung', 'none: the task does not run');
    return lines.join('\n');
  }
  row('earned rung', rung(decision.earnedRung));
  row('requested rung', decision.requestedRung === null ? '(none)' : rung(decision.requestedRung));
  row('effective rung', rung(decision.effectiveRung));
  if (decision.reasons.length === 0) {
    row('reasons', 'none: runs at the earned rung');
  } else {
    decision.reasons.forEach((r, i) =>
      row(i === 0 ? 'reasons' : '', `[${r.rule}] ≤ ${r.ceiling}: ${r.message}`),
    );
  }
  const { applied, violations } = decision.bounds;
  row(
    'bounds',
    !applied
      ? 'not checked: below rung 3 a person confirms anyway'
      : violations.length === 0
        ? 'within bounds'
        : violations.map((v) => `${v.bound}: ${v.message}`).join('; '),
  );
  row(
    'approvers',
    `${decision.approvers.join(', ') || '(none)'}${decision.twoPersonRule ? ' (two-person rule)' : ''}`,
  );
  row(
    'typed confirmation',
    decision.typedConfirmation.required ? `type "${decision.typedConfirmation.expected}"` : 'not required',
  );
  row(
    'approval timers',
    `remind after ${formatDuration(decision.approval.remindAfterMs)}, expire after ${formatDuration(decision.approval.expireAfterMs)}`,
  );
  if (decision.rollback) {
    row(
      'health watch',
      `${formatDuration(decision.rollback.healthWindowMs)}, every ${formatDuration(decision.rollback.healthIntervalMs)}`,
    );
  }
  if (decision.report) {
    const r = decision.report;
    row(
      'report',
      `${r.mode}${r.periodMs ? ` every ${formatDuration(r.periodMs)}` : ''}, read SLA ${formatDuration(r.readSlaMs)}, ${r.channel}`,
    );
  }
  if (decision.escalation.length > 0) {
    row(
      'escalation',
      decision.escalation.map((e) => `${e.notify} after ${formatDuration(e.afterMs)}`).join(' → '),
    );
  }
  return lines.join('\n');
}
