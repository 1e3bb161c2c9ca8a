/**
 * What rung 5 tells people after the fact, in words: a task's own report (workflows/rungs/rung-5-report.ts)
 * and an agent's digest of a period (workflows/report-digest.ts), and their unread reminders.
 *
 * Pure and import-free: workflows import this module into the deterministic workflow sandbox.
 * Texts are plain; `taskMessageBlocks` escapes them for Slack.
 */

/**
 * One line on what a rung-5 task did, for a digest: how many steps ran and what they changed
 * (`changes`, from `changeSummary` in ./task-facts), or the task's title when nothing reports a
 * change; at most {@link SUMMARY_CHARS} characters of either. Pure.
 */
export function reportSummary(executedSteps: number, title: string, changes = ''): string {
  const what = changes || title;
  // A digest lists many tasks in one message: each line stays short (the task's page has the rest).
  const short = what.length > SUMMARY_CHARS ? `${what.slice(0, SUMMARY_CHARS - 1)}…` : what;
  return `${executedSteps} step(s) executed: ${short}`;
}

/** The longest part of a {@link reportSummary} after its step count, in characters. */
export const SUMMARY_CHARS = 300;

/**
 * A task's own after-the-fact report: how many of its steps ran on the agent's own authority. What
 * changed, the health checks, the read deadline and the next escalation are its facts. Pure.
 */
export function reportText(r: { executedSteps: number; totalSteps: number }): string {
  return `Done on my own (rung 5): ${r.executedSteps} of ${r.totalSteps} step(s) ran. What changed is below; please read it and mark it read.`;
}

/** The ping to the next contact while a task's report is unread (the report's facts and button go with it). Pure. */
export function unreadReportText(title: string): string {
  return `Unread report, waiting for a reader: ${title}`;
}

/** One task in a digest: its class, title and {@link reportSummary}. */
export interface DigestEntry {
  taskClass: string;
  title: string;
  summary: string;
}

/** A digest's title: how many tasks the agent did on its own in the period. Pure. */
export function digestTitle(agentId: string, taskCount: number): string {
  return `Digest: ${taskCount} task(s) ${agentId} did on its own`;
}

/**
 * A digest's text: one numbered line per listed task, in the order they arrived, and how many more
 * the digest counts beyond them (`total`, default: as many as listed). Pure.
 */
export function digestListing(entries: readonly DigestEntry[], total = entries.length): string {
  const lines = entries.map((e, n) => `${n + 1}. [${e.taskClass}] ${e.title}: ${e.summary}`);
  const more = total - entries.length;
  if (more > 0) lines.push(`…and ${more} more task(s) in this period (each has its own page in Temporal)`);
  return lines.join('\n');
}

/** The ping to the next contact while a digest is unread. Pure. */
export function unreadDigestText(taskCount: number): string {
  return `Unread digest of ${taskCount} task(s)`;
}
