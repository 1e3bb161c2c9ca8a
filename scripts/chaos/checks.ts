import type { TaskOutcome } from '../../workflows/messages';
import type { DestinationReader } from './destinations';
import { waitingKind, type GivenAnswer, type TaskRun } from './driver';
import type { KillRecord } from './kills';
import type { ListedMessage } from './slack-messages';
import type { StepEffect } from './task-mix';

/** One count of the table, with what makes it up. */
export interface Finding {
  count: number;
  details: string[];
}

/** Every count a chaos run must end with at 0. */
export interface ChaosCounts {
  notSubmitted: Finding;
  tasksLost: Finding;
  tasksStuck: Finding;
  waitingUnanswered: Finding;
  unexpectedOutcomes: Finding;
  demoEffectsDuplicated: Finding;
  sideEffectsDuplicated: Finding;
  effectsMissing: Finding;
  effectsWithoutRun: Finding;
  approvalsLost: Finding;
  readsLost: Finding;
  otherAnswersLost: Finding;
  outcomeAnswersLost: Finding;
  answerTimesDiffer: Finding;
  slackMissing: Finding;
  slackDuplicated: Finding;
  slackNotFinal: Finding;
  processesDied: Finding;
  killsNotDone: Finding;
}

const finding = (): Finding => ({ count: 0, details: [] });
const add = (f: Finding, detail: string, n = 1): void => {
  f.count += n;
  if (f.details.length < 50) f.details.push(detail);
};

/** What the task was answered (the last accepted answer of a kind), if anything. */
const given = (run: TaskRun, what: GivenAnswer['what']): GivenAnswer | undefined =>
  [...run.answers].reverse().find((a) => a.what === what);

/**
 * The answers the run tried and saw fail, as `; failed attempts: dismiss via slack by U…: why`
 * (empty when none): an outcome that matches one of them was recorded although the answerer was
 * told otherwise.
 */
function failedAttempts(run: TaskRun): string {
  const failed = run.attempts.filter((a) => !a.ok);
  if (failed.length === 0) return '';
  const shown = failed
    .slice(0, 3)
    .map((a) => `${a.answer} via ${a.via} by ${a.by}: ${a.reason ?? 'no reason'}`);
  return `; failed attempts: ${shown.join(' | ')}${failed.length > 3 ? ` (+${failed.length - 3} more)` : ''}`;
}

/** The outcome a task should end with, from the answers it was given and what its template does. */
export function expectedOutcome(run: TaskRun): TaskOutcome | undefined {
  if (!run.result) return undefined;
  const answers = run.answers.map((a) => a.answer);
  if (answers.includes('reject')) return 'rejected';
  if (answers.includes('decline')) return 'draft-rejected';
  if (answers.includes('dismiss')) return 'suggestion-dismissed';
  if (answers.includes('done')) return 'suggestion-done';
  if (run.result.rung === 0) return 'suggestion-done';
  return run.result.rung >= 4 && run.plan.rollsBack ? 'rolled-back' : 'executed';
}

/** Whether step `i` ran and was undone, by the task's outcome; undefined when that cannot be said. */
function fateOf(run: TaskRun, i: number, effect: StepEffect): { ran: boolean; undone: boolean } | undefined {
  const result = run.result;
  if (!result) return undefined;
  switch (result.outcome) {
    case 'executed':
      return { ran: true, undone: false };
    case 'rolled-back':
      if (i >= result.executedSteps) return undefined;
      return {
        ran: true,
        undone: effect.action === 'config.set' || effect.action === 'file.write' || effect.undoable,
      };
    case 'suggestion-done':
    case 'suggestion-dismissed':
    case 'rejected':
    case 'draft-rejected':
    case 'refused':
    case 'expired':
      return { ran: false, undone: false };
    default:
      return undefined;
  }
}

function countBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/**
 * Counts what the run lost, left stuck, duplicated or left wrong: tasks, effects at their
 * destinations, answers people gave, Slack messages, processes. Reads the destinations now.
 */
export async function countProblems(
  runs: readonly TaskRun[],
  destinations: DestinationReader,
  messages: readonly ListedMessage[],
  kills: readonly KillRecord[],
  plannedKills: number,
  unexpectedExits: readonly string[],
): Promise<ChaosCounts> {
  const c: ChaosCounts = {
    notSubmitted: finding(),
    tasksLost: finding(),
    tasksStuck: finding(),
    waitingUnanswered: finding(),
    unexpectedOutcomes: finding(),
    demoEffectsDuplicated: finding(),
    sideEffectsDuplicated: finding(),
    effectsMissing: finding(),
    effectsWithoutRun: finding(),
    approvalsLost: finding(),
    readsLost: finding(),
    otherAnswersLost: finding(),
    outcomeAnswersLost: finding(),
    answerTimesDiffer: finding(),
    slackMissing: finding(),
    slackDuplicated: finding(),
    slackNotFinal: finding(),
    processesDied: finding(),
    killsNotDone: finding(),
  };

  // Effects duplicated at their destinations: any key applied (or line written) more than once.
  const demo = countBy(await destinations.demoEffects(), (e) => e.key);
  for (const [key, n] of demo) if (n > 1) add(c.demoEffectsDuplicated, `${key} applied ${n} times`, n - 1);
  const lines = countBy(destinations.sideEffectLines(), (l) => l);
  for (const [line, n] of lines) if (n > 1) add(c.sideEffectsDuplicated, `${line} written ${n} times`, n - 1);

  const slackByKey = new Map<string, ListedMessage[]>();
  for (const m of messages) if (m.key !== null) slackByKey.set(m.key, [...(slackByKey.get(m.key) ?? []), m]);
  // An announcement Slack's limit refused is a line in its channel feed's digest: it counts as the
  // task's message (once), and its own message must then not exist too.
  const inDigests = new Map<string, ListedMessage[]>();
  for (const m of messages)
    for (const key of m.entries) inDigests.set(key, [...(inDigests.get(key) ?? []), m]);
  for (const [key, digests] of inDigests) {
    const all = [...(slackByKey.get(key) ?? []), ...digests];
    if (all.length > 1)
      add(
        c.slackDuplicated,
        `${key}: announced ${all.length} times (${all.map((m) => m.ts).join(', ')})`,
        all.length - 1,
      );
  }
  for (const [key, list] of slackByKey)
    if (list.length > 1)
      add(
        c.slackDuplicated,
        `${key}: ${list.length} messages (${list.map((m) => m.ts).join(', ')})`,
        list.length - 1,
      );

  for (const run of runs) {
    const id = run.plan.workflowId;
    if (!run.submitted) {
      add(c.notSubmitted, `${id}: ${run.submitError ?? 'never submitted'}`);
      continue;
    }
    if (run.notFound) {
      add(c.tasksLost, `${id}: submitted, but the server has no such workflow`);
      continue;
    }
    if (run.done && !run.result) {
      add(c.tasksLost, `${id}: the workflow closed as ${run.closedAs} without a result`);
      continue;
    }
    if (!run.done) {
      const waiting = run.status ? waitingKind(run.status) : null;
      const phase = run.status?.phase ?? 'unknown (no status)';
      if (waiting && !run.answers.some((a) => a.what === waiting)) {
        add(
          c.waitingUnanswered,
          `${id}: waits for ${waiting} (${run.status?.waitingOn}); the run could not answer: ${run.attempts.at(-1)?.reason ?? 'no attempt'}`,
        );
      } else {
        add(
          c.tasksStuck,
          `${id}: not finished at the deadline, phase ${phase}${waiting ? `, waits for ${waiting} although answered` : ''}`,
        );
      }
      for (const a of run.answers)
        if (waiting === a.what) lostAnswer(c, run, a, 'the task still waits for it');
      continue;
    }
    const result = run.result!;
    const expected = expectedOutcome(run);
    if (expected !== result.outcome)
      add(
        c.unexpectedOutcomes,
        `${id} (${run.plan.kind}, rung ${result.rung}): ${result.outcome}, expected ${expected}${result.error ? `: ${result.error}` : ''}${failedAttempts(run)}`,
      );

    checkAnswers(c, run);
    await checkEffects(c, run, destinations, demo, lines);
    checkSlack(c, run, slackByKey, inDigests);
  }

  for (const exit of unexpectedExits) add(c.processesDied, exit);
  if (kills.length < plannedKills)
    add(
      c.killsNotDone,
      `${plannedKills - kills.length} of ${plannedKills} planned kills did not happen`,
      plannedKills - kills.length,
    );
  for (const k of kills)
    if (k.trap && !k.inside) add(c.killsNotDone, `timed kill ${k.trap} missed its window: ${k.detail}`);
  return c;
}

function lostAnswer(c: ChaosCounts, run: TaskRun, a: GivenAnswer, why: string): void {
  const detail = `${run.plan.workflowId}: ${a.answer} by ${a.by} at ${a.at} (${a.via}) accepted, but ${why}`;
  if (a.what === 'outcome') add(c.outcomeAnswersLost, detail);
  else if (a.what === 'report') add(c.readsLost, detail);
  else if (a.what === 'approval' || a.what === 'draft') add(c.approvalsLost, detail);
  else add(c.otherAnswersLost, detail);
}

/** Each accepted answer must show in how the task ended. */
function checkAnswers(c: ChaosCounts, run: TaskRun): void {
  const r = run.result!;
  for (const a of run.answers) {
    switch (a.answer) {
      case 'approve':
      case 'accept':
        if (
          r.approvedBy !== a.by ||
          !['executed', 'failed', 'rolled-back', 'rollback-failed'].includes(r.outcome)
        )
          lostAnswer(c, run, a, `the result says approved by ${r.approvedBy} (${r.outcome})`);
        // The person's receipt and the task's record must name the same moment (the audit trail).
        else if (r.approvedAt !== a.at)
          add(
            c.answerTimesDiffer,
            `${run.plan.workflowId}: ${a.answer} by ${a.by}: receipt says ${a.at}, the result ${r.approvedAt}`,
          );
        break;
      case 'reject':
      case 'decline':
      case 'done':
      case 'dismiss': {
        const outcome = {
          reject: 'rejected',
          decline: 'draft-rejected',
          done: 'suggestion-done',
          dismiss: 'suggestion-dismissed',
        }[a.answer];
        if (r.outcome !== outcome) lostAnswer(c, run, a, `the task ended ${r.outcome}`);
        break;
      }
      case 'read':
        if (r.reportRead !== true) lostAnswer(c, run, a, `the result says reportRead ${r.reportRead}`);
        break;
      default:
        // ran / run-again: the task notes who answered what, at the receipt's time.
        if (!r.events.some((e) => e.includes(a.by) && e.includes(`"${a.answer}"`) && e.includes(a.at)))
          lostAnswer(c, run, a, 'no event of the task records it');
    }
  }
}

/** Each step's effect (and undo) is at its destination exactly when the outcome says it ran. */
async function checkEffects(
  c: ChaosCounts,
  run: TaskRun,
  destinations: DestinationReader,
  demo: Map<string, number>,
  lines: Map<string, number>,
): Promise<void> {
  const id = run.plan.workflowId;
  const expectCount = (what: string, found: number, expected: boolean): void => {
    if (expected && found === 0)
      add(c.effectsMissing, `${id}: ${what} is not at its destination (${run.result!.outcome})`);
    if (!expected && found > 0)
      add(
        c.effectsWithoutRun,
        `${id}: ${what} is at its destination, but the task ended ${run.result!.outcome}`,
      );
  };
  for (const [i, effect] of run.plan.steps.entries()) {
    const fate = fateOf(run, i, effect);
    if (!fate) continue;
    const kept = fate.ran && !fate.undone;
    switch (effect.action) {
      case 'shell.exec':
        expectCount(`line ${effect.key}`, lines.get(effect.key) ?? 0, fate.ran);
        expectCount(`line ${effect.key}#undo`, lines.get(`${effect.key}#undo`) ?? 0, fate.undone);
        break;
      case 'http.request':
        expectCount(`request ${effect.key}`, demo.get(effect.key) ?? 0, fate.ran);
        expectCount(`undo request ${effect.key}#undo`, demo.get(`${effect.key}#undo`) ?? 0, fate.undone);
        break;
      case 'config.set': {
        expectCount(`reload ${effect.key}#reload`, demo.get(`${effect.key}#reload`) ?? 0, fate.ran);
        expectCount(
          `reload ${effect.key}#undo-reload`,
          demo.get(`${effect.key}#undo-reload`) ?? 0,
          fate.undone,
        );
        const want = kept ? effect.set : effect.previous;
        const have = destinations.configValues(effect.file, Object.keys(want));
        if (JSON.stringify(have) !== JSON.stringify(want))
          add(
            kept ? c.effectsMissing : c.effectsWithoutRun,
            `${id}: ${effect.file} holds ${JSON.stringify(have)}, expected ${JSON.stringify(want)} (${run.result!.outcome})`,
          );
        break;
      }
      case 'file.write': {
        const have = destinations.workspaceFile(effect.path);
        if (kept && have !== effect.content)
          add(
            c.effectsMissing,
            `${id}: ${effect.path} holds ${JSON.stringify(have)}, expected what step ${i + 1} wrote`,
          );
        if (!kept && have !== null)
          add(c.effectsWithoutRun, `${id}: ${effect.path} exists, but the task ended ${run.result!.outcome}`);
        break;
      }
    }
  }
}

/** The key (after `<workflowId>/`) of the message a finished task keeps, and the text it should end with. */
function mainMessage(run: TaskRun): { keys: string[]; phrases: string[] } | undefined {
  const r = run.result!;
  const answer = (what: GivenAnswer['what']) => given(run, what);
  const approval = answer('approval') ?? answer('draft');
  const by = approval?.by ?? r.approvedBy;
  const at = approval?.at ?? r.approvedAt;
  const ran = `Executed: ${r.executedSteps} of ${run.plan.steps.length} step(s) ran.`;
  if (r.outcome === 'refused') return { keys: ['refused'], phrases: [] };
  if (r.outcome === 'rolled-back')
    return { keys: ['rollback'], phrases: [`Rolled back ${r.executedSteps} step(s)`] };
  if (r.rung === 0) {
    const s = answer('suggestion');
    const word = r.outcome === 'suggestion-done' ? 'Done' : 'Dismissed';
    return { keys: ['suggestion'], phrases: s ? [`${word} by ${s.by} at ${s.at}.`] : [] };
  }
  if (r.rung === 1) {
    if (r.outcome === 'draft-rejected')
      return { keys: ['draft'], phrases: [`Draft rejected by ${answer('draft')?.by}`] };
    return { keys: ['draft'], phrases: r.outcome === 'executed' ? [ran, `Approved by ${by} at ${at}.`] : [] };
  }
  if (r.rung === 2) {
    const keys = ['approval-request', 'approval-request-fallback'];
    if (r.outcome === 'rejected') return { keys, phrases: [`Rejected by ${answer('approval')?.by}`] };
    return { keys, phrases: r.outcome === 'executed' ? [ran, `Approved by ${by} at ${at}.`] : [] };
  }
  if (r.outcome !== 'executed') return undefined;
  if (r.rung >= 5 && r.decision.report?.mode === 'each') {
    const read = answer('report');
    return {
      keys: ['report'],
      phrases: [ran, ...(read ? [`Report read by ${read.by} at ${read.at}.`] : [])],
    };
  }
  return { keys: ['executed'], phrases: [ran] };
}

/** The task's messages: its main one there once and in its final text, each outcome question asked there. */
function checkSlack(
  c: ChaosCounts,
  run: TaskRun,
  byKey: Map<string, ListedMessage[]>,
  inDigests: Map<string, ListedMessage[]>,
): void {
  const id = run.plan.workflowId;
  const main = mainMessage(run);
  if (main) {
    const found = main.keys.flatMap((k) => byKey.get(`${id}/${k}`) ?? []);
    // A digest line is written once, in its final form: only its presence is checked.
    const digested = main.keys.some((k) => inDigests.has(`${id}/${k}`));
    if (found.length === 0 && !digested)
      add(
        c.slackMissing,
        `${id}: no ${main.keys.join(' or ')} message (${run.result!.outcome} at rung ${run.result!.rung})`,
      );
    for (const m of found) {
      const missing = main.phrases.filter((p) => !m.text.includes(p));
      if (missing.length > 0)
        add(
          c.slackNotFinal,
          `${id}: message ${m.ts} says "${m.text.slice(0, 160)}", lacks "${missing.join('", "')}"`,
        );
    }
  }
  for (const a of run.answers)
    if (a.question && !byKey.has(`${id}/outcome-unknown-${a.question.id}`))
      add(c.slackMissing, `${id}: no message asking outcome question ${a.question.id}`);
}
