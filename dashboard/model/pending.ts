import type { LedgerState } from '../../policy/ledger';
import type { Criterion } from '../../policy/trust-rules';
import type { TaskStatus } from '../../workflows/messages';

// What waits on people now, shaped for the page: questions on running tasks (approvals, drafts,
// suggestions, unknown outcomes), unread reports with their read SLA, and open promotion proposals.
// Pure: times come in as epoch ms.

/** A running task that may wait on a person, as the data layer read it. */
export interface WaitingTaskRead {
  workflowId: string;
  startedAtMs: number;
  title: string | null;
  status: TaskStatus;
  /** When the question (or report) now open was posted, from the task's history; null if not found. */
  postedAtMs: number | null;
  /** The posted message (`<channel>/<ts>`), for a link to Slack. */
  messageRef: string | null;
}

/** A question a person must answer on a running task. */
export interface PendingQuestion {
  workflowId: string;
  agentId: string;
  taskClass: string;
  title: string;
  rung: number | null;
  /** What the workflow says it waits for, e.g. `approvers: U1, U2`. */
  waitingOn: string;
  askedAtMs: number;
  ageMs: number;
  /** When it expires unanswered (rungs 0-2 approval timeout); null for questions that do not expire. */
  expiresAtMs: number | null;
  messageRef: string | null;
}

/** A rung-5 report nobody has read yet. */
export interface UnreadReport {
  workflowId: string;
  agentId: string;
  taskClass: string;
  title: string;
  channel: string;
  postedAtMs: number;
  /** When the read SLA is breached. */
  slaDueMs: number;
  /** The next contact pinged if it stays unread, and when; null when every escalation already went. */
  nextEscalation: { atMs: number; notify: string } | null;
  messageRef: string | null;
}

/** An open promotion proposal with every criterion it was proposed on. */
export interface OpenProposal {
  agentId: string;
  id: string;
  taskClass: string;
  from: number;
  to: number;
  atMs: number;
  approvers: string[];
  criteria: Criterion[];
}

/** Everything that waits on people. */
export interface PendingView {
  questions: PendingQuestion[];
  reports: UnreadReport[];
  proposals: OpenProposal[];
  /** Running tasks beyond those read (the page lists the newest and says how many more run). */
  notShown: number;
}

/**
 * Sorts running tasks into questions and unread reports (oldest first). Tasks in other phases are
 * left out. Pure.
 */
export function pendingOf(
  tasks: readonly WaitingTaskRead[],
  ledgers: readonly LedgerState[],
  nowMs: number,
  notShown = 0,
): PendingView {
  const questions: PendingQuestion[] = [];
  const reports: UnreadReport[] = [];
  for (const t of tasks) {
    const d = t.status.decision;
    const agentId = d?.agentId ?? agentOf(t.workflowId);
    const taskClass = d?.taskClass ?? '?';
    const title = t.title ?? t.workflowId;
    const askedAtMs = t.postedAtMs ?? t.startedAtMs;
    if (t.status.phase === 'awaiting-report-read' && d?.report) {
      const since = askedAtMs;
      const next = d.escalation.find((e) => since + e.afterMs > nowMs);
      reports.push({
        workflowId: t.workflowId,
        agentId,
        taskClass,
        title,
        channel: d.report.channel,
        postedAtMs: since,
        slaDueMs: since + d.report.readSlaMs,
        nextEscalation: next ? { atMs: since + next.afterMs, notify: next.notify } : null,
        messageRef: t.messageRef,
      });
    } else if (t.status.phase === 'awaiting-human' || t.status.phase === 'outcome-unknown') {
      const expires = t.status.phase === 'awaiting-human' && d ? askedAtMs + d.approval.expireAfterMs : null;
      questions.push({
        workflowId: t.workflowId,
        agentId,
        taskClass,
        title,
        rung: t.status.rung,
        waitingOn: t.status.waitingOn ?? 'a person',
        askedAtMs,
        ageMs: Math.max(0, nowMs - askedAtMs),
        expiresAtMs: expires,
        messageRef: t.messageRef,
      });
    }
  }
  const proposals: OpenProposal[] = ledgers.flatMap((l) =>
    l.proposals
      .filter((p) => p.status === 'open')
      .map((p) => ({
        agentId: l.agentId,
        id: p.id,
        taskClass: p.taskClass,
        from: p.from,
        to: p.to,
        atMs: Date.parse(p.at),
        approvers: p.approvers,
        criteria: p.criteria,
      })),
  );
  questions.sort((a, b) => a.askedAtMs - b.askedAtMs);
  reports.sort((a, b) => a.slaDueMs - b.slaDueMs);
  proposals.sort((a, b) => a.atMs - b.atMs);
  return { questions, reports, proposals, notShown };
}

/** The agent in a task workflow id `task/<agent>/<taskId>`. */
export function agentOf(workflowId: string): string {
  return /^task\/([^/]+)\//.exec(workflowId)?.[1] ?? '?';
}

/** A duration for people: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`; negative ones as `overdue …`. */
export function humanDuration(ms: number): string {
  if (ms < 0) return `overdue ${humanDuration(-ms)}`;
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
