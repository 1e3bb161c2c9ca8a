import { Counter, Histogram, Registry } from 'prom-client';
import type { OutcomeEvent } from '../activities/outcomes';
import type { Decision } from '../policy/decide';
import {
  classRollbackCause,
  decisionReason,
  decisionRung,
  identifierLabel,
  rungChangeCause,
  rungLabel,
  slackErrorLabel,
  slackMethodLabel,
  statusLabel,
  type SlackAckKind,
} from './labels';
import { RecentKeys } from './recent-keys';

/** Outcomes that are a person's answer to a request; their `latencyMs` is request → answer. */
const ANSWERS: ReadonlySet<string> = new Set([
  'approved',
  'rejected',
  'draft-accepted',
  'draft-rejected',
  'suggestion-done',
  'suggestion-dismissed',
]);

/** Seconds, from a few seconds to a day: people answer in minutes or hours, reports may wait a day. */
const HUMAN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400, 28_800, 86_400];
/** Seconds around Slack's 3-second ack deadline. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];
/** Seconds, up to the long polls of `/v1/tasks/{taskId}/wait`. */
const API_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Task outcomes remembered so a retried record counts once (about 100 bytes each). */
const OUTCOMES_REMEMBERED = 20_000;
/** Most distinct task classes labelled; a policy declares a few dozen at most. */
const MAX_TASK_CLASSES = 500;

/** Label for a task class the policy in force does not declare (an agent's typo, say). */
export const UNDECLARED_CLASS = 'undeclared';

/** Options of {@link createLadderMetrics}. */
export interface LadderMetricsOptions {
  /**
   * Whether the policy in force declares `taskClass`; undeclared ones are labelled
   * {@link UNDECLARED_CLASS}, so an agent cannot mint series by naming classes. Default: every
   * class passes (up to 500 distinct ones; past that, `other`).
   */
  isDeclaredClass?: (taskClass: string) => boolean;
}

/**
 * Every Ladder metric, defined once, with methods that turn domain objects into labels. Label
 * values are bounded: rungs, outcome kinds, rule and cause categories, declared task classes,
 * Slack method and error codes, API route templates; never a task id, agent id or free text.
 */
export interface LadderMetrics {
  /** The registry the metrics live in (serve it with `startMetricsServer`). */
  readonly registry: Registry;
  /**
   * A task's decision: `ladder_decisions_total{task_class, rung, reason}`; rung is `"0"`..`"5"` or
   * `"refused"`, reason as {@link decisionReason} says.
   */
  decision(decision: Decision): void;
  /**
   * One thing that happened to a task (the trust ledger's evidence):
   * `ladder_task_outcomes_total{task_class, rung, outcome}`, counted once per task, class and kind
   * however often it is recorded (among the last 20,000). A person's answer with `latencyMs` is
   * observed in `ladder_answer_latency_seconds{task_class, outcome}`; a report read with one in
   * `ladder_report_read_latency_seconds{task_class}`.
   */
  outcome(event: OutcomeEvent): void;
  /**
   * A step whose effect may or may not have happened (the task stops and asks a person):
   * `ladder_outcome_unknown_total{action, phase}`, phase `execute` or `undo`.
   */
  outcomeUnknown(action: string, phase: 'execute' | 'undo'): void;
  /**
   * A rung change in an agent's trust ledger: `ladder_rung_changes_total{direction, task_class, cause}`
   * with the cause as the category {@link rungChangeCause} gives for the ledger's cause sentence.
   */
  rungChange(direction: 'promotion' | 'demotion', taskClass: string, cause: string): void;
  /** A promotion proposal opened, approved or declined: `ladder_promotion_proposals_total{task_class, status}`. */
  promotionProposal(taskClass: string, status: 'opened' | 'approved' | 'declined'): void;
  /**
   * A task class capped for every agent by a rollback trigger:
   * `ladder_class_rollbacks_total{task_class, cause}` (`audit-disagreement`, `defect-escape`).
   */
  classRollback(taskClass: string, cause: string): void;
  /**
   * A Slack Web API call that failed: `ladder_slack_api_errors_total{method, error}`, error being
   * Slack's code (`ratelimited`, `channel_not_found`), `http_<status>`, `network` or `timeout`.
   */
  slackApiError(method: string, error: string): void;
  /** Time from a Slack request's arrival to its ack, in seconds: `ladder_slack_ack_seconds{kind}`. */
  slackAck(kind: SlackAckKind, seconds: number): void;
  /**
   * One agent API request: `ladder_api_requests_total{route, status}` and
   * `ladder_api_request_seconds{route}`, `route` being the route template (`/v1/tasks/{taskId}`).
   */
  apiRequest(route: string, status: number | 'aborted', seconds: number): void;
}

/**
 * Defines Ladder's metrics in `registry` (a new one by default; a registry takes them once).
 *
 * @param registry - where the metrics are registered; a fresh {@link Registry} when omitted.
 * @param options - see {@link LadderMetricsOptions}.
 */
export function createLadderMetrics(
  registry: Registry = new Registry(),
  options: LadderMetricsOptions = {},
): LadderMetrics {
  const registers = [registry];
  const decisions = new Counter({
    name: 'ladder_decisions_total',
    help: 'Task decisions by task class, effective rung ("refused" when the task may not run) and the rule that decided.',
    labelNames: ['task_class', 'rung', 'reason'] as const,
    registers,
  });
  const outcomes = new Counter({
    name: 'ladder_task_outcomes_total',
    help: 'What happened to tasks (approved, executed, fell-back, rolled-back, rollback-failed, report-read, sla-breach, …) by task class and rung.',
    labelNames: ['task_class', 'rung', 'outcome'] as const,
    registers,
  });
  const answerLatency = new Histogram({
    name: 'ladder_answer_latency_seconds',
    help: "Time from a request to a person's answer (approve, reject, accept or dismiss), in seconds.",
    labelNames: ['task_class', 'outcome'] as const,
    buckets: HUMAN_BUCKETS,
    registers,
  });
  const reportReadLatency = new Histogram({
    name: 'ladder_report_read_latency_seconds',
    help: 'Time from a rung-5 report (or digest) being posted to its being marked read, in seconds.',
    labelNames: ['task_class'] as const,
    buckets: HUMAN_BUCKETS,
    registers,
  });
  const outcomeUnknown = new Counter({
    name: 'ladder_outcome_unknown_total',
    help: 'Steps whose effect may or may not have happened, so the task stopped to ask a person, by action type.',
    labelNames: ['action', 'phase'] as const,
    registers,
  });
  const rungChanges = new Counter({
    name: 'ladder_rung_changes_total',
    help: 'Rung changes in the trust ledgers: promotions (approved by a person) and demotions by cause.',
    labelNames: ['direction', 'task_class', 'cause'] as const,
    registers,
  });
  const proposals = new Counter({
    name: 'ladder_promotion_proposals_total',
    help: 'Promotion proposals opened, approved and declined, by task class.',
    labelNames: ['task_class', 'status'] as const,
    registers,
  });
  const classRollbacks = new Counter({
    name: 'ladder_class_rollbacks_total',
    help: 'Task classes capped for every agent by a rollback trigger, by cause.',
    labelNames: ['task_class', 'cause'] as const,
    registers,
  });
  const slackApiErrors = new Counter({
    name: 'ladder_slack_api_errors_total',
    help: "Slack Web API calls that failed, by method and Slack's error code (http_<status>, network or timeout when Slack gave none); each retry counts.",
    labelNames: ['method', 'error'] as const,
    registers,
  });
  const slackAck = new Histogram({
    name: 'ladder_slack_ack_seconds',
    help: 'Time from a Slack request arriving to its ack being sent, in seconds (Slack waits 3 s).',
    labelNames: ['kind'] as const,
    buckets: ACK_BUCKETS,
    registers,
  });
  const apiRequests = new Counter({
    name: 'ladder_api_requests_total',
    help: 'Agent API requests by route template and HTTP status.',
    labelNames: ['route', 'status'] as const,
    registers,
  });
  const apiSeconds = new Histogram({
    name: 'ladder_api_request_seconds',
    help: 'Agent API request durations by route template, in seconds.',
    labelNames: ['route'] as const,
    buckets: API_BUCKETS,
    registers,
  });

  const classLabel = taskClassLabeller(options.isDeclaredClass);
  const seenOutcomes = new RecentKeys(OUTCOMES_REMEMBERED);

  return {
    registry,
    decision(d) {
      decisions.inc({
        task_class: classLabel(d.taskClass),
        rung: decisionRung(d),
        reason: decisionReason(d),
      });
    },
    outcome(e) {
      if (!seenOutcomes.first(`${e.workflowId}\n${e.taskClass}\n${e.kind}`)) return;
      const taskClass = classLabel(e.taskClass);
      outcomes.inc({ task_class: taskClass, rung: rungLabel(e.rung), outcome: e.kind });
      if (e.latencyMs === undefined || !(e.latencyMs >= 0)) return;
      if (ANSWERS.has(e.kind))
        answerLatency.observe({ task_class: taskClass, outcome: e.kind }, e.latencyMs / 1000);
      else if (e.kind === 'report-read')
        reportReadLatency.observe({ task_class: taskClass }, e.latencyMs / 1000);
    },
    outcomeUnknown(action, phase) {
      outcomeUnknown.inc({ action: identifierLabel(action), phase });
    },
    rungChange(direction, taskClass, cause) {
      rungChanges.inc({ direction, task_class: classLabel(taskClass), cause: rungChangeCause(cause) });
    },
    promotionProposal(taskClass, status) {
      proposals.inc({ task_class: classLabel(taskClass), status });
    },
    classRollback(taskClass, cause) {
      classRollbacks.inc({ task_class: classLabel(taskClass), cause: classRollbackCause(cause) });
    },
    slackApiError(method, error) {
      slackApiErrors.inc({ method: slackMethodLabel(method), error: slackErrorLabel(error) });
    },
    slackAck(kind, seconds) {
      slackAck.observe({ kind }, seconds);
    },
    apiRequest(route, status, seconds) {
      apiRequests.inc({ route, status: statusLabel(status) });
      apiSeconds.observe({ route }, seconds);
    },
  };
}

/**
 * The task-class label: the class when declared (and among the first {@link MAX_TASK_CLASSES}
 * seen), else {@link UNDECLARED_CLASS} or `other`.
 */
function taskClassLabeller(isDeclared?: (taskClass: string) => boolean): (taskClass: string) => string {
  const seen = new Set<string>();
  return (taskClass) => {
    if (isDeclared && !isDeclared(taskClass)) return UNDECLARED_CLASS;
    if (seen.has(taskClass)) return taskClass;
    if (seen.size >= MAX_TASK_CLASSES || taskClass.length > 200) return 'other';
    seen.add(taskClass);
    return taskClass;
  };
}
