import type { KnownBlock } from '@slack/types';
import { escapeMrkdwn, mention } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';
import type { AnswerFacts, ExpiryFacts, ReportFacts, StepFacts, StepStatus, TaskFacts } from './task-facts';

/** The most blocks a message's facts take, so the text, context and buttons always fit beside them. */
export const MAX_FACT_BLOCKS = 40;

/** How each step status reads: a Slack emoji shortcode and a word. */
const STATUS: Readonly<Record<StepStatus, { icon: string; word: string }>> = {
  'to-run': { icon: ':hourglass_flowing_sand:', word: 'to run' },
  ran: { icon: ':white_check_mark:', word: 'ran' },
  failed: { icon: ':x:', word: 'failed' },
  'not-run': { icon: ':white_circle:', word: 'not run' },
  'outcome-unknown': { icon: ':grey_question:', word: 'outcome unknown' },
  suggested: { icon: ':bulb:', word: 'suggested (Ladder runs nothing)' },
};

/**
 * Block Kit for a task message's structured facts: the steps (each with its status, result,
 * old → new values or diff, health check and compensation), who may answer and until when, and a
 * report's read deadline and next escalation. Everything that came from an agent is escaped; Slack
 * ids are mentioned (so the people waited on are named and notified), anything else is escaped.
 *
 * Pure; at most {@link MAX_FACT_BLOCKS} sections of at most 3,000 characters each, the overflow
 * pointing to `fullTextUrl` (the Temporal UI) when given.
 */
export function taskFactsBlocks(facts: TaskFacts | undefined, fullTextUrl?: string): KnownBlock[] {
  if (!facts) return [];
  const chunks: string[] = [];
  if (facts.steps && facts.steps.length > 0) chunks.push(...stepChunks(facts.steps));
  if (facts.answer) chunks.push(answerText(facts.answer));
  if (facts.report) chunks.push(reportFactsText(facts.report));
  const kept = chunks.slice(0, MAX_FACT_BLOCKS);
  if (chunks.length > kept.length) {
    kept[kept.length - 1] = `…and ${chunks.length - kept.length + 1} more part(s): see the Temporal UI.`;
  }
  return kept.map((text) => ({
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(text, BLOCK_LIMITS.sectionText, fullTextUrl) },
  }));
}

/** The steps as sections: a heading, then one block of lines per step, packed up to Slack's 3,000 characters. */
function stepChunks(steps: readonly StepFacts[]): string[] {
  const chunks: string[] = [];
  let current = '*Steps*';
  steps.forEach((step, i) => {
    const text = stepText(step, i);
    if (current.length + 1 + text.length > BLOCK_LIMITS.sectionText) {
      chunks.push(current);
      current = text;
    } else current = `${current}\n${text}`;
  });
  chunks.push(current);
  return chunks;
}

/** One step: `1. ✅ what (blast radius) — result`, then its changes, diff, health, compensation, error. Pure. */
export function stepText(step: StepFacts, index: number): string {
  const status = STATUS[step.status];
  const radius = step.blastRadius ? ` (blast radius: ${escapeMrkdwn(step.blastRadius)})` : '';
  const result = step.result ? ` — ${escapeMrkdwn(step.result)}` : '';
  const lines = [
    `${index + 1}. ${status.icon} _${status.word}_: ${escapeMrkdwn(step.what)}${radius}${result}`,
  ];
  for (const c of step.changes ?? [])
    lines.push(
      `      • \`${escapeMrkdwn(c.key)}\`: ${c.from === null ? '_(not set)_' : escapeMrkdwn(c.from)} → ${escapeMrkdwn(c.to)}`,
    );
  if (step.diff) lines.push(`\`\`\`${escapeMrkdwn(step.diff)}\`\`\``);
  if (step.health)
    lines.push(
      `      ${step.health.healthy ? ':large_green_circle: health check passed' : ':red_circle: health check failed'}: ${escapeMrkdwn(step.health.detail)}`,
    );
  if (step.compensation)
    lines.push(
      `      ${step.compensation.undone ? ':leftwards_arrow_with_hook: compensated (undone)' : ':warning: not undone'}${step.compensation.detail ? `: ${escapeMrkdwn(step.compensation.detail)}` : ''}`,
    );
  if (step.error) lines.push(`      error: ${escapeMrkdwn(step.error)}`);
  return lines.join('\n');
}

/** Who may answer, who may not (and by which rule), and when the question expires and what then. Pure. */
export function answerText(a: AnswerFacts): string {
  const lines = [`*Who may answer:* ${people(a.mayAnswer) || '_nobody: check the policy_'}`];
  for (const s of a.standIns ?? [])
    lines.push(`${mention(s.who)} stands in for ${mention(s.for)}, away until ${s.until}`);
  for (const x of a.excluded ?? []) lines.push(`*Not* ${mention(x.who)}: ${EXCLUSIONS[x.rule]}`);
  if (a.expiresAt) lines.push(`*Expires:* ${readableTime(a.expiresAt)}; ${expiryWords(a.onExpiry)}`);
  else if (a.onExpiry?.then === 'keep-waiting') lines.push(`*Expires:* never; ${expiryWords(a.onExpiry)}`);
  if (a.warnAt) lines.push(`*Warning before expiry:* ${readableTime(a.warnAt)}`);
  return lines.join('\n');
}

const EXCLUSIONS: Readonly<Record<NonNullable<AnswerFacts['excluded']>[number]['rule'], string>> = {
  'two-person-rule': 'requested this task, and the two-person rule lets someone else approve it only',
};

/** What happens when a question expires, in words. Pure. */
export function expiryWords(e: ExpiryFacts | undefined): string {
  switch (e?.then) {
    case undefined:
    case 'reject':
      return 'then it is rejected and nothing runs';
    case 'keep-waiting':
      return 'it keeps waiting for an answer (the policy says so for this class)';
    case 'escalate':
      return `then it goes to ${escapeMrkdwn(e.group)} (${people(e.members)})`;
  }
}

/** A report's read deadline, its readers and the next escalation. Pure. */
export function reportFactsText(r: ReportFacts): string {
  const lines = [`*Read by:* ${readableTime(r.readBy)} (readers: ${people(r.readers) || '_none_'})`];
  lines.push(
    r.nextEscalation
      ? `*If unread:* ${mention(r.nextEscalation.to)} is pinged at ${readableTime(r.nextEscalation.at)}`
      : '*If unread:* no escalation is left; past the read deadline the breach is recorded and the agent loses a rung',
  );
  return lines.join('\n');
}

/** People as mentions (Slack ids) or escaped names, comma-separated. Pure. */
function people(who: readonly string[]): string {
  return who.map((w) => (w === 'channel' ? 'the channel' : mention(w))).join(', ');
}

/** An ISO time as `2026-11-26 15:30:05 UTC`; anything else escaped as it is. Pure. */
export function readableTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : escapeMrkdwn(iso);
}
