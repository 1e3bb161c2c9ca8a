import type { ApproverStats } from '../../policy/approver-watch';
import type { Wording } from './ledger-wording';

// Words of the rubber-stamp watch, shared by its workflow (the owners' message), the CLI and Slack.
// Imports types only: workflows bring it into Temporal's sandbox.

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
/** Milliseconds as people read an answer time: `4.2 s`, `3 min`. */
const answerTime = (ms: number): string =>
  ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;

/** The owners' message when an approver is put under review. Pure. */
export function approverUnderReviewWording(f: {
  approver: string;
  taskClass: string;
  owners: readonly string[];
  stats: ApproverStats;
  why: string;
}): Wording {
  const speed =
    f.stats.medianApproveMs === null
      ? 'at an unknown speed'
      : `in a median of ${answerTime(f.stats.medianApproveMs)}`;
  return {
    title: `approvals by ${f.approver} in ${f.taskClass} no longer count`,
    text:
      `${f.approver} approved ${pct(f.stats.approvalRate)} of their last ${f.stats.answers} questions in ${f.taskClass} ${speed}, ` +
      `and ${f.stats.defects} task${f.stats.defects === 1 ? '' : 's'} they approved ${f.stats.defects === 1 ? 'was' : 'were'} later found defective. ` +
      `Their approvals still let tasks run, but no longer count towards any agent's promotion until an owner of ${f.taskClass} ` +
      `(${f.owners.join(', ')}) reviews them (\`ladder approvers review ${f.approver} --class ${f.taskClass}\`, or the button).\n` +
      `Thresholds: ${f.why}.`,
  };
}

/** What a review adds to the owners' message. `at` is an ISO time. Pure. */
export function approverReviewedText(r: { approver: string; by: string; at: string; note?: string }): string {
  return `Reviewed by ${r.by} at ${r.at}${r.note ? ` ("${r.note}")` : ''}: approvals by ${r.approver} count again, judged afresh from now on.`;
}
