// What the Temporal UI shows of a delegated task: its summary and details, and the labels on its
// timeline (activities and timers). Pure and deterministic (no I/O, no clock), so the workflow and
// the client import the same wording. Everything an agent or a failing command wrote goes through
// `inertMarkdown`: the UI renders these texts as Markdown.

import type { Notification } from '../activities/notify/notifier';
import type { OutcomeEvent } from '../activities/outcomes';
import type { TaskRequest } from '../policy/task';
import { inertMarkdown, TEMPORAL_DETAILS_MAX_BYTES, TEMPORAL_SUMMARY_MAX_BYTES } from '../client/ui-text';
import type { TaskOutcome, TaskPhase } from './messages';

/** The most bytes one line of the details may take (an error, an event), before the whole is bounded. */
const LINE_MAX_BYTES = 600;
/** The most events the details list: the latest ones, since the story ends there. */
const EVENTS_SHOWN = 10;
/** Characters of a step's parameters shown on its timeline label. */
const STEP_PARAMS_CHARS = 120;

/** What was asked of a person and who answered; each `by` is a verified Slack user id. */
export interface StoryAnswers {
  suggestion?: { by: string; resolution: 'done' | 'dismissed'; at: string };
  draft?: { by: string; accept: boolean; reason?: string; at: string };
  approval?: { by: string; at: string };
  rejection?: { by: string; reason: string; at: string };
  reportRead?: { by: string; at: string };
}

/** What a person is asked while a task waits. */
export type StoryWait = 'suggestion' | 'draft' | 'approval' | 'report' | 'outcome';

/** The facts of one task at one moment, from which {@link taskDetails} tells its story. */
export interface TaskStoryFacts {
  phase: TaskPhase;
  /** Set once the task has ended. */
  outcome: TaskOutcome | null;
  /** The rung the task runs (or ran) at now: after a fallback, the rung it fell back to. */
  rung: number | null;
  /** What the policy decided, and why it is below the agent's earned rung (if it is). */
  decision: {
    effectiveRung: number;
    earnedRung: number;
    reasons: readonly { rule: string; message: string }[];
    refused: { message: string } | null;
  } | null;
  /** A fall back to confirmation after the decision (quota refused, kill switch before a step). */
  fellBack: { from: number; reason: string; beforeStep: number | null } | null;
  stepsTotal: number;
  /** Index of the step running or next to run. */
  currentStep: number;
  /** Steps that ran to completion. */
  executedSteps: number;
  /** What a person is asked now and the Slack ids who may answer (empty: a channel, nobody by name). */
  waiting: { what: StoryWait; on: readonly string[] } | null;
  answers: StoryAnswers;
  /** Rung 5: whether the report was read in time (null: no report, or not yet). */
  reportRead: boolean | null;
  /** Why the task did not execute cleanly: the step's error, the rollback's cause. */
  error: string | null;
  /** Notes in order (fallbacks, escalations, rollbacks); the latest are shown. */
  events: readonly string[];
}

/**
 * The workflow's one-line summary, fixed at start: agent, class, environment and the task's title,
 * made inert and within Temporal's 400-byte summary limit.
 */
export function taskSummary(
  task: Pick<TaskRequest, 'agent' | 'taskClass' | 'environment' | 'title'>,
): string {
  return inertMarkdown(
    `${task.agent.id} · ${task.taskClass} · ${task.environment}: ${task.title}`,
    TEMPORAL_SUMMARY_MAX_BYTES,
  );
}

/**
 * The workflow's static details, fixed at start: who asked, for which agent and resource, and each
 * step as its timeline label names it. Markdown within Temporal's 20 KB details limit; with more
 * steps than fit, the last line says how many were left out.
 */
export function taskStaticDetails(task: TaskRequest): string {
  const lines = [
    `**Task ${inert(task.taskId)}** of agent ${inert(task.agent.id)} (model ${inert(task.agent.model)}, prompt ${inert(task.agent.promptVersion)}), requested by ${inert(task.requester)} in ${inert(task.environment)}`,
    '',
    ...(task.resource ? [`- resource: ${inert(task.resource)}`] : []),
    ...(task.requestedRung
      ? [`- asked for rung ${task.requestedRung.rung}: ${inert(task.requestedRung.reason)}`]
      : []),
    ...task.steps.map((step, i) => `- ${stepLabel(i, task.steps.length, step)}`),
  ];
  return boundedLines(lines, TEMPORAL_DETAILS_MAX_BYTES, (left) => `- … and ${left} more line(s)`);
}

/**
 * The task's current details: a first line that says in capitals how it stands or ended
 * (`EXECUTED`, `ROLLED BACK`, `REJECTED by U…`, `WAITING for approval from U…`), so a completed
 * workflow that did not succeed never reads as a plain success; then the rung (and any fallback
 * with its reason), who answered, who is waited on, the steps and the latest events. The error
 * that ended it (a step's, the rollback's cause) is on the first line.
 * Markdown within Temporal's 20 KB details limit.
 */
export function taskDetails(facts: TaskStoryFacts): string {
  const lines = [headline(facts), ''];
  lines.push(`- rung: ${rungLine(facts)}`);
  const d = facts.decision;
  if (d && !d.refused && d.reasons.length > 0) {
    lines.push(
      `- decided rung ${d.effectiveRung} (earned ${d.earnedRung}): ${inert(d.reasons.map((r) => `${r.rule}: ${r.message}`).join('; '))}`,
    );
  }
  lines.push(...answerLines(facts.answers));
  if (facts.waiting)
    lines.push(`- waiting on: ${people(facts.waiting.on)} (${WAIT_NAMES[facts.waiting.what]})`);
  if (facts.stepsTotal > 0 && facts.outcome !== 'refused') {
    lines.push(`- steps: ${facts.executedSteps} of ${facts.stepsTotal} ran`);
  }
  const events = facts.events.slice(-EVENTS_SHOWN);
  if (events.length > 0) {
    const skipped = facts.events.length - events.length;
    lines.push(`- events${skipped > 0 ? ` (latest ${events.length} of ${facts.events.length})` : ''}:`);
    lines.push(...events.map((e) => `  - ${inert(e)}`));
  }
  return boundedLines(lines, TEMPORAL_DETAILS_MAX_BYTES, (left) => `- … ${left} more line(s) left out`);
}

const WAIT_NAMES: Record<StoryWait, string> = {
  suggestion: 'the suggestion',
  draft: 'the draft review',
  approval: 'approval',
  report: 'reading the report',
  outcome: 'whether a step ran',
};

/** The first line: how the task stands or ended, in capitals, with the rung and who decided. */
function headline(f: TaskStoryFacts): string {
  const at = f.rung === null ? '' : ` at rung ${f.rung}`;
  const a = f.answers;
  const ran = `${f.executedSteps} of ${f.stepsTotal} step(s)`;
  const why = f.error ? `: ${inert(f.error)}` : '';
  switch (f.outcome) {
    case 'executed': {
      const approved = a.approval
        ? `, approved by ${inert(a.approval.by)}`
        : a.draft?.accept
          ? `, draft accepted by ${inert(a.draft.by)}`
          : ', on its own authority';
      if (f.reportRead === false) return `**EXECUTED, REPORT NOT READ IN TIME**${at}: ${ran} ran${approved}`;
      const read = a.reportRead ? `; report read by ${inert(a.reportRead.by)}` : '';
      return `**EXECUTED**${at}: ${ran} ran${approved}${read}`;
    }
    case 'rolled-back':
      return `**ROLLED BACK**${at}: ${f.executedSteps} step(s) ran and were undone${why}`;
    case 'rollback-failed':
      return `**ROLLBACK FAILED**${at}: undoing did not complete, a person must repair${why}`;
    case 'failed':
      return `**FAILED**${at} after ${ran}${why}`;
    case 'rejected':
      return a.rejection
        ? `**REJECTED by ${inert(a.rejection.by)}**${at}: ${inert(a.rejection.reason)}`
        : `**REJECTED**${at}`;
    case 'expired':
      return `**EXPIRED**${at}: nobody answered in time, nothing ran`;
    case 'refused':
      return `**REFUSED by the policy**: ${inert(f.decision?.refused?.message ?? f.error ?? 'no reason given')}`;
    case 'cancelled':
      return `**CANCELLED**${at} after ${ran}`;
    case 'suggestion-done':
      return `**SUGGESTION DONE by ${inert(a.suggestion?.by ?? '?')}**${at}: a person did it, nothing ran here`;
    case 'suggestion-dismissed':
      return `**SUGGESTION DISMISSED by ${inert(a.suggestion?.by ?? '?')}**${at}: nothing ran`;
    case 'draft-rejected':
      return `**DRAFT REJECTED by ${inert(a.draft?.by ?? '?')}**${at}${a.draft?.reason ? `: ${inert(a.draft.reason)}` : ''}`;
    case null:
      return inProgress(f, at);
  }
}

/** The first line of a task still running. */
function inProgress(f: TaskStoryFacts, at: string): string {
  switch (f.phase) {
    case 'deciding':
      return '**DECIDING** the rung';
    case 'awaiting-human':
    case 'awaiting-report-read':
    case 'outcome-unknown': {
      const w = f.waiting;
      if (!w) return `**WAITING**${at}`;
      const marker =
        w.what === 'report' ? 'REPORT UNREAD' : w.what === 'outcome' ? 'OUTCOME UNKNOWN' : 'WAITING';
      return `**${marker}**${at}: waiting on ${people(w.on)} for ${WAIT_NAMES[w.what]}`;
    }
    case 'executing':
      return `**EXECUTING**${at}: step ${Math.min(f.currentStep + 1, f.stepsTotal)} of ${f.stepsTotal}`;
    case 'health-watch':
      return `**WATCHING HEALTH**${at} after ${f.executedSteps} step(s) ran`;
    case 'rolling-back':
      return `**ROLLING BACK**${at}${f.error ? `: ${inert(f.error)}` : ''}`;
    case 'done':
      return `**DONE**${at}`;
  }
}

function rungLine(f: TaskStoryFacts): string {
  if (f.rung === null) return 'not decided yet';
  if (!f.fellBack) return String(f.rung);
  const where = f.fellBack.beforeStep === null ? '' : ` before step ${f.fellBack.beforeStep + 1}`;
  return `${f.rung}, fell back from ${f.fellBack.from}${where}: ${inert(f.fellBack.reason)}`;
}

function answerLines(a: StoryAnswers): string[] {
  const lines: string[] = [];
  if (a.suggestion)
    lines.push(`- ${a.suggestion.resolution} by ${inert(a.suggestion.by)} at ${inert(a.suggestion.at)}`);
  if (a.draft) {
    lines.push(
      `- draft ${a.draft.accept ? 'accepted' : 'rejected'} by ${inert(a.draft.by)} at ${inert(a.draft.at)}${a.draft.reason ? `: ${inert(a.draft.reason)}` : ''}`,
    );
  }
  if (a.approval) lines.push(`- approved by ${inert(a.approval.by)} at ${inert(a.approval.at)}`);
  if (a.rejection) {
    lines.push(
      `- rejected by ${inert(a.rejection.by)} at ${inert(a.rejection.at)}: ${inert(a.rejection.reason)}`,
    );
  }
  if (a.reportRead) lines.push(`- report read by ${inert(a.reportRead.by)} at ${inert(a.reportRead.at)}`);
  return lines;
}

/** Slack ids as a list, or who else is asked when nobody is named. */
function people(ids: readonly string[]): string {
  return ids.length > 0 ? ids.map(inert).join(', ') : 'a channel (nobody by name)';
}

// ---- timeline labels (activity and timer summaries) ----

/**
 * The label of a step on the timeline: `step 2/3: config.set flags.checkout=true`. The parameters
 * shown are the ones that say what the step does (`set`, `command`, `method` and `url`, `path`),
 * else the first few, cut at 120 characters.
 */
export function stepLabel(index: number, total: number, step: TaskRequest['steps'][number]): string {
  return stepLabelAround('', index, total, step);
}

/** {@link stepLabel} with our words before and after it. */
function stepLabelAround(
  before: string,
  index: number,
  total: number,
  step: TaskRequest['steps'][number],
  after = '',
): string {
  return label(`${before}step ${index + 1}/${total}: `, `${step.action} ${paramsGist(step.params)}`, after);
}

/** What a step's parameters are about, in one short line. */
function paramsGist(params: Record<string, unknown>): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
  let gist: string;
  const set = params.set;
  if (set && typeof set === 'object' && !Array.isArray(set)) {
    gist = Object.entries(set as Record<string, unknown>)
      .map(([k, v]) => `${k}=${text(v)}`)
      .join(' ');
  } else if (typeof params.command === 'string') {
    gist = params.command;
  } else if (typeof params.url === 'string') {
    gist = `${typeof params.method === 'string' ? `${params.method} ` : ''}${params.url}`;
  } else if (typeof params.path === 'string') {
    gist = params.path;
  } else {
    gist = Object.entries(params)
      .map(([k, v]) => `${k}=${text(v)}`)
      .join(' ');
  }
  return gist.length > STEP_PARAMS_CHARS ? `${gist.slice(0, STEP_PARAMS_CHARS - 1)}…` : gist;
}

type Step = TaskRequest['steps'][number];

/** Labels of the task's other activities and timers, each one line within the summary limit. */
export const timelineLabel = {
  decide: (): string => 'decide the rung: policy, trust ledger, quota',
  describeSteps: (): string => 'describe the steps for people',
  redecide: (): string => 'decide the edited steps again: policy, kill switch',
  /** `notify #ops: approval-request`, or `notify U0OWNER01: …` for a message to one person. */
  notify: (n: Pick<Notification, 'kind' | 'channel' | 'to'>, records?: OutcomeEvent['kind']): string =>
    label(
      'notify ',
      `${n.to && n.to !== 'channel' ? n.to : n.channel || 'the class channel'}: ${n.kind}`,
      records ? ` (and record ${records} to ledger)` : '',
    ),
  /** An edit of the task's main message, named by the start of what it will say and what it records. */
  updateMessage: (text: string, records: readonly OutcomeEvent['kind'][] = []): string =>
    label(
      'update the main message: ',
      text.length > 80 ? `${text.slice(0, 79)}…` : text,
      records.length > 0 ? ` (and record ${records.join(', ')} to ledger)` : '',
    ),
  recordOutcome: (kind: OutcomeEvent['kind']): string => `record outcome to ledger: ${kind}`,
  messageEditGrace: (): string => 'show the answer unless the outcome comes first',
  answerKeyInForce: (): string => 'check the answer’s signing key, and who gave it, are in force',
  draftStep: (index: number, total: number, step: Step): string =>
    stepLabelAround('draft ', index, total, step),
  executeStep: (index: number, total: number, step: Step, resolution?: 'ran' | 'run-again'): string =>
    stepLabelAround(
      '',
      index,
      total,
      step,
      resolution ? ` (${resolution === 'ran' ? 'record as ran' : 'run again'})` : '',
    ),
  undoStep: (index: number, total: number, step: Step, interrupted: boolean): string =>
    stepLabelAround(interrupted ? 'undo interrupted ' : 'undo ', index, total, step),
  healthCheck: (round: number, rounds: number, index: number, total: number): string =>
    `health check ${round + 1}/${rounds}: step ${index + 1}/${total}`,
  addToDigest: (channel: string): string => label('add report to the digest for ', channel),
  sweepLateCopies: (): string => 'remove late copies of a retried message',
  /** Timers. */
  healthInterval: (round: number, rounds: number): string =>
    `health watch: wait before check ${round + 2}/${rounds}`,
  sweepGrace: (): string => 'grace before removing late copies of a retried message',
  /** A wait for an answer that ends at a nudge (`to`) or at expiry (`to` null). */
  answerWait: (what: StoryWait, to: string | null): string =>
    to === null
      ? `${WAIT_NAMES[what]}: expires unanswered`
      : label(`${WAIT_NAMES[what]}: ping `, to, ' if unanswered'),
} as const;

/**
 * One line within the summary limit: our own words `before` and `after` (plain text with nothing
 * Markdown would act on) around `theirs` (an agent's, a person's or an error's text), made inert
 * and shortened to fit.
 */
function label(before: string, theirs: string, after = ''): string {
  const room = TEMPORAL_SUMMARY_MAX_BYTES - jsonBytes(before) - jsonBytes(after);
  return `${before}${inertMarkdown(theirs, Math.max(8, room))}${after}`;
}

/** Text from an agent, a person or an error, inert and bounded to one line of the details. */
function inert(text: string): string {
  return inertMarkdown(text, LINE_MAX_BYTES);
}

/**
 * Joins lines with newlines while their JSON payload fits `maxJsonBytes`; when one does not, it
 * and the rest are replaced by `more(count)` (whose room is kept in reserve).
 */
function boundedLines(
  lines: readonly string[],
  maxJsonBytes: number,
  more: (left: number) => string,
): string {
  const reserve = jsonBytes(`\n${more(lines.length)}`);
  let used = 2; // the quotes
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const cost = jsonBytes(lines[i]) + (i > 0 ? 2 : 0); // "\n" is two bytes in JSON
    const last = i === lines.length - 1;
    if (used + cost + (last ? 0 : reserve) > maxJsonBytes) {
      kept.push(more(lines.length - i));
      break;
    }
    used += cost;
    kept.push(lines[i]);
  }
  return kept.join('\n');
}

/** Bytes `text` takes inside a JSON string (escapes and UTF-8 counted). */
function jsonBytes(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === '"' || code === 0x0a) bytes += 2;
    else if (code < 0x20) bytes += 6;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code < 0x10000) bytes += 3;
    else bytes += 4;
  }
  return bytes;
}
