/**
 * What the trust ledger (workflows/trust-ledger.ts) tells people, in words: audits, promotion
 * proposals and their answers, demotions, class rollbacks. The ledger passes the facts (who, when,
 * which rung, which class, which counts) and posts what these functions return.
 *
 * Pure and import-free at run time (type imports only): the ledger workflow imports this module
 * into the deterministic workflow sandbox. Texts are plain, with Slack mrkdwn where it says so;
 * `taskMessageBlocks` escapes them for Slack, except the one owner mention read back by
 * {@link proposalOwnerMention}.
 */

/** A notification's title and text. */
export interface Wording {
  title: string;
  text: string;
}

/** An autonomous outcome sampled for review: which task, by which agent, at which rung, in which class. */
export interface AuditFacts {
  agentId: string;
  workflowId: string;
  rung: number;
  taskClass: string;
}

/** The request for a reviewer's verdict on an autonomous outcome. Pure. */
export function auditRequestWording(a: AuditFacts): Wording {
  return {
    // The message header adds "Audit: " (task-message TITLES).
    title: `${a.agentId} ran ${a.workflowId} on its own (rung ${a.rung})`,
    text: `This autonomous outcome was sampled for review. Was it right? Disagreeing counts against ${a.agentId} in ${a.taskClass}; enough disagreement reduces the class's scope for every agent.`,
  };
}

/**
 * How an audit was answered, for the audit message once the verdict is counted. `at` is an ISO
 * time; `reason` is shown only for a disagreement (which always has one). Pure.
 */
export function auditVerdictText(v: {
  agentId: string;
  by: string;
  at: string;
  agree: boolean;
  reason?: string;
}): string {
  return v.agree
    ? `Audit: ${v.by} agreed with what ${v.agentId} did (${v.at}).`
    : `Audit: ${v.by} disagreed (${v.at}): ${v.reason ?? ''}`;
}

/** An audit closed unanswered; `reason` is why the ledger closed it, when it gives one. Pure. */
export function auditExpiredText(auditId: string, reason?: string | null): string {
  return `Audit ${auditId} expired: ${reason ?? 'nobody reviewed it in time'}.`;
}

/** One promotion criterion and whether the evidence meets it (`detail` in words, with the figures). */
export interface CriterionFacts {
  criterion: string;
  ok: boolean;
  detail: string;
}

/** An earned promotion: which agent, from which rung to which, in which class, on what evidence. */
export interface ProposalFacts {
  agentId: string;
  taskClass: string;
  from: number;
  to: number;
  criteria: readonly CriterionFacts[];
}

/** The proposal asking an approver to raise an agent one rung; one mrkdwn line per criterion. Pure. */
export function proposalWording(p: ProposalFacts): Wording {
  const lines = p.criteria.map((c) => `${c.ok ? '✅' : '❌'} *${c.criterion}*: ${c.detail}`);
  return {
    title: `${p.agentId}: rung ${p.from} → ${p.to} in ${p.taskClass}`,
    text: `The evidence meets every threshold for promotion:\n${lines.join('\n')}\nApprove to raise ${p.agentId} one rung in ${p.taskClass}; decline to keep it where it is.`,
  };
}

/**
 * A proposal's text as posted in the class channel, naming the agent's owner first: `<@owner>, `
 * is the one mention Ladder writes into a text (read back by {@link proposalOwnerMention}).
 *
 * @param owner - the owner's Slack user id.
 */
export function proposalForOwnerText(owner: string, agentId: string, proposalText: string): string {
  return `<@${owner}>, ${agentId} has earned a proposal. ${proposalText}`;
}

/** The owner mention {@link proposalForOwnerText} puts at the start of a proposal. */
const OWNER_MENTION = /^<@([UW][A-Z0-9]{2,})>, /;

/**
 * The owner a proposal's text names first, and the length of that mention (`<@U…>, `), or null
 * when the text starts with none. Pure.
 */
export function proposalOwnerMention(text: string): { userId: string; length: number } | null {
  const match = OWNER_MENTION.exec(text);
  return match ? { userId: match[1], length: match[0].length } : null;
}

/**
 * How a proposal was decided, for its message: approved (with the rung reached) or declined.
 * `at` is an ISO time. Pure.
 */
export function proposalDecidedText(
  d: { by: string; at: string } & ({ approved: true; rung: number; taskClass: string } | { approved: false }),
): string {
  return d.approved
    ? `Approved by ${d.by} at ${d.at}: now at rung ${d.rung} in ${d.taskClass}.`
    : `Declined by ${d.by} at ${d.at}; the clean period starts again.`;
}

/**
 * A demotion, told to the agent's owner: the rungs, the cause (a sentence without its full stop),
 * who reported it (null when automatic), and the evidence at the time in words. Pure.
 */
export function demotionWording(c: {
  agentId: string;
  taskClass: string;
  from: number;
  to: number;
  cause: string;
  by: string | null;
  evidence: string;
}): Wording {
  return {
    title: `${c.agentId} demoted: rung ${c.from} → ${c.to} in ${c.taskClass}`,
    text: `${c.cause}.${c.by ? ` Reported by ${c.by}.` : ''} Evidence at the time: ${c.evidence}.`,
  };
}

/**
 * A class rollback: every agent in `taskClass` capped at rung `cap`, because of `cause` (a
 * sentence without its full stop), until an admin releases it. Pure.
 */
export function classRollbackWording(r: { taskClass: string; cap: number; cause: string }): Wording {
  return {
    title: `${r.taskClass}: scope reduced to rung ${r.cap} for every agent`,
    text: `${r.cause}. Every agent in ${r.taskClass} is capped at rung ${r.cap} until an admin releases it (\`ladder unfreeze --class ${r.taskClass}\`).`,
  };
}
