import { formatDuration } from './duration';
import type { ApproverWatchRule } from './schema';
import { stableFingerprint } from './stable-hash';
import { pct } from './trust-rules';

// The rubber-stamp watch (issue 13, item 10): per approver and task class, how fast they answer,
// how much of what they are asked they approve, and how many tasks they approved were later found
// defective. Kept beside the agents' ledgers, never inside them. Pure bookkeeping: no I/O, no clock
// (time comes in as milliseconds), so the watch workflow and `npm run simulate` run the same code.

/** One answer an approver gave, as the watch keeps it (about 40 bytes of JSON). */
export interface WatchedAnswer {
  /** Fingerprint of the task's workflow id: a retried record counts once, and a defect finds it. */
  f: number;
  /** 1 approved (an approval, an accepted draft, a suggestion done), 0 rejected. */
  ok: 0 | 1;
  /** Time from the question to the answer in ms, or -1 when unknown. */
  ms: number;
  /** When it was recorded (ms since the epoch). */
  at: number;
  /** 1 when it counted towards promotion (the approver was not under review then). */
  counted: 0 | 1;
}

/** The numbers behind a verdict, over an approver's last answers in one class. */
export interface ApproverStats {
  answers: number;
  approved: number;
  /** Approved share of the answers (0 when there are none). */
  approvalRate: number;
  /** Median time to approve in ms over the approvals whose time is known, or null. */
  medianApproveMs: number | null;
  /** Tasks they approved that were reported defective within the period. */
  defects: number;
}

/** An approver whose approvals stopped counting: since when, and the numbers at the time. */
export interface WatchFlag {
  atMs: number;
  stats: ApproverStats;
  /** The verdict in words, for the owner's message and `ladder approvers`. */
  why: string;
  /** The owners' channel message about it, once posted, so a review closes it in place. */
  messageRef?: string;
}

/** One approver in one class. */
export interface ApproverRecord {
  /** Oldest first; within the policy's `period`, at most {@link MAX_ANSWERS_KEPT}. */
  answers: WatchedAnswer[];
  /**
   * Tasks they approved that were reported defective, `[fingerprint of the workflow id, when
   * reported in ms]`, oldest first; within the period, at most {@link MAX_ANSWERS_KEPT}.
   */
  defects: [f: number, atMs: number][];
  /** Set while their approvals do not count; cleared by an owner's review. */
  flag: WatchFlag | null;
  /** The last review that cleared a flag: the window started afresh then. */
  reviewed?: { by: string; atMs: number; note?: string };
}

/** The watch of one task class. */
export interface ApproverWatchState {
  taskClass: string;
  approvers: Record<string, ApproverRecord>;
}

/** The most approvers one class's watch keeps; past it the longest-silent unflagged one is dropped. */
export const MAX_WATCHED_APPROVERS = 500;
/** The most answers (and defects) kept per approver and class: rates are over the newest ones. */
export const MAX_ANSWERS_KEPT = 500;

/** A fresh watch for `taskClass`. */
export function newApproverWatch(taskClass: string): ApproverWatchState {
  return { taskClass, approvers: {} };
}

/** The statistics of one approver's kept answers and defects. Pure. */
export function approverStats(record: Pick<ApproverRecord, 'answers' | 'defects'>): ApproverStats {
  const answers = record.answers;
  const approvedOnes = answers.filter((a) => a.ok === 1);
  const times = approvedOnes
    .map((a) => a.ms)
    .filter((ms) => ms >= 0)
    .sort((x, y) => x - y);
  return {
    answers: answers.length,
    approved: approvedOnes.length,
    approvalRate: answers.length === 0 ? 0 : approvedOnes.length / answers.length,
    medianApproveMs: times.length === 0 ? null : times[Math.floor((times.length - 1) / 2)],
    defects: record.defects.length,
  };
}

/**
 * Whether `stats` read as rubber-stamping under `rule`: enough answers, approving at or above
 * `minApprovalRate`, a median time to approve at or under `fastAnswer`, and at least `minDefects`
 * approved tasks later found defective. All four must hold; an unknown answer time never reads
 * as fast. Pure.
 */
export function rubberStampVerdict(
  stats: ApproverStats,
  rule: ApproverWatchRule,
): { rubberStamp: boolean; why: string } {
  const fast = stats.medianApproveMs !== null && stats.medianApproveMs <= rule.fastAnswer;
  const parts = [
    `${stats.answers} answers (judged from ${rule.minAnswers})`,
    `${pct(stats.approvalRate)} approved (flag from ${pct(rule.minApprovalRate)})`,
    `median time to approve ${stats.medianApproveMs === null ? 'unknown' : formatDuration(stats.medianApproveMs)} (flag at or under ${formatDuration(rule.fastAnswer)})`,
    `${stats.defects} approved task${stats.defects === 1 ? '' : 's'} later found defective (flag from ${rule.minDefects})`,
  ];
  return {
    rubberStamp:
      stats.answers >= rule.minAnswers &&
      stats.approvalRate >= rule.minApprovalRate &&
      fast &&
      stats.defects >= rule.minDefects,
    why: parts.join('; '),
  };
}

/** What {@link recordWatchedAnswer} reports back. */
export interface WatchOutcome {
  /** Whether the answer counts towards promotion (rejections always do). */
  counts: boolean;
  /** Set when this event put the approver under review. */
  newlyFlagged: (WatchFlag & { approver: string }) | null;
}

/** Drops what is older than the period, and keeps at most {@link MAX_ANSWERS_KEPT} of each. */
function prune(record: ApproverRecord, rule: ApproverWatchRule, nowMs: number): void {
  const since = nowMs - rule.period;
  record.answers = record.answers.filter((a) => a.at >= since).slice(-MAX_ANSWERS_KEPT);
  record.defects = record.defects.filter(([, at]) => at >= since).slice(-MAX_ANSWERS_KEPT);
}

function judge(
  record: ApproverRecord,
  approver: string,
  rule: ApproverWatchRule,
  nowMs: number,
): WatchOutcome['newlyFlagged'] {
  prune(record, rule, nowMs);
  if (record.flag) return null;
  const stats = approverStats(record);
  const verdict = rubberStampVerdict(stats, rule);
  if (!verdict.rubberStamp) return null;
  record.flag = { atMs: nowMs, stats, why: verdict.why };
  return { approver, ...record.flag };
}

function keepBounded(state: ApproverWatchState, keep: string): void {
  const names = Object.keys(state.approvers);
  if (names.length <= MAX_WATCHED_APPROVERS) return;
  const lastAt = (n: string): number => state.approvers[n].answers.at(-1)?.at ?? 0;
  const droppable = names
    .filter((n) => n !== keep && !state.approvers[n].flag)
    .sort((a, b) => lastAt(a) - lastAt(b));
  if (droppable.length > 0) delete state.approvers[droppable[0]];
}

/**
 * Records one answer of `approver` on the task `workflowId`, judges them again, and says whether
 * the answer counts towards promotion. An approval by someone under review does not count (nor
 * does the approval that puts them under review); a rejection always does. A retried record of the
 * same task returns what the first one did while the answer is kept. Keeps the answers of the last
 * `rule.period`, at most {@link MAX_ANSWERS_KEPT}. Mutates `state`.
 *
 * @param answerMs - time from the question to the answer in ms, or undefined when unknown.
 * @param nowMs - current time in ms since the epoch.
 */
export function recordWatchedAnswer(
  state: ApproverWatchState,
  answer: { approver: string; workflowId: string; approved: boolean; answerMs?: number },
  rule: ApproverWatchRule,
  nowMs: number,
): WatchOutcome {
  const f = stableFingerprint(answer.workflowId);
  const record = (state.approvers[answer.approver] ??= { answers: [], defects: [], flag: null });
  const again = record.answers.find((a) => a.f === f);
  if (again) return { counts: again.ok === 0 || again.counted === 1, newlyFlagged: null };
  const entry: WatchedAnswer = {
    f,
    ok: answer.approved ? 1 : 0,
    ms: answer.answerMs === undefined || answer.answerMs < 0 ? -1 : Math.round(answer.answerMs),
    at: nowMs,
    counted: 1,
  };
  record.answers.push(entry);
  const newlyFlagged = judge(record, answer.approver, rule, nowMs);
  if (answer.approved && record.flag) entry.counted = 0;
  keepBounded(state, answer.approver);
  return { counts: !answer.approved || entry.counted === 1, newlyFlagged };
}

/**
 * A task `approver` approved was reported defective: counted once per task within the period, and
 * the approver is judged again. Says whether this put them under review. Mutates `state`.
 *
 * @param nowMs - when it was reported, in ms since the epoch.
 */
export function recordWatchedDefect(
  state: ApproverWatchState,
  defect: { approver: string; workflowId: string },
  rule: ApproverWatchRule,
  nowMs: number,
): WatchOutcome['newlyFlagged'] {
  const f = stableFingerprint(defect.workflowId);
  const record = (state.approvers[defect.approver] ??= { answers: [], defects: [], flag: null });
  if (!record.defects.some(([seen]) => seen === f)) record.defects.push([f, nowMs]);
  const newlyFlagged = judge(record, defect.approver, rule, nowMs);
  keepBounded(state, defect.approver);
  return newlyFlagged;
}

/**
 * An owner reviewed `approver`'s approvals: the flag is cleared and their window starts afresh, so
 * they are judged again on what they answer from now on. Throws when they are not under review.
 * Mutates `state`.
 */
export function clearWatchFlag(
  state: ApproverWatchState,
  approver: string,
  review: { by: string; atMs: number; note?: string },
): void {
  const record = state.approvers[approver];
  if (!record?.flag) throw new Error(`${approver} is not under review in ${state.taskClass}`);
  record.flag = null;
  record.answers = [];
  record.defects = [];
  record.reviewed = { ...review };
}

/**
 * Who may clear a flag in a class: its owners (the policy's admins when it names none), never the
 * approver under review. Throws with the reason when `by` may not. Pure.
 */
export function checkReviewer(
  who: { by: string; approver: string; taskClass: string },
  owners: readonly string[],
): void {
  if (who.by === who.approver)
    throw new Error(`${who.by} may not review their own approvals: another owner of ${who.taskClass} must`);
  if (!owners.includes(who.by))
    throw new Error(
      `${who.by} may not review approvers in ${who.taskClass}: its owners may (${owners.join(', ') || 'none declared'})`,
    );
}

/** The people who own `taskClass` for the watch: its `owners`, or the admins when it names none. */
export function classOwnersOf(
  policy: { admins: readonly string[]; taskClasses: Record<string, { owners?: readonly string[] }> },
  taskClass: string,
): string[] {
  return [...(policy.taskClasses[taskClass]?.owners ?? policy.admins)];
}
