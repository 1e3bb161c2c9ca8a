import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutcomeUnknownError, type ActionContext, type RetrySafety } from './contract';

/**
 * Journal entries (and temp files a crash left behind) older than this are removed. An entry only
 * matters while the step's activity may still be retried, or a step that failed after snapshotting
 * may still be undone (its saga unwinds right after the failure); a completed step's undo record is
 * in the workflow's own history. Seven days is far beyond any retry window and any approval wait.
 */
export const JOURNAL_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * How long an attempt's start marker counts as live after it was last refreshed (ms). A running
 * attempt refreshes it every {@link ATTEMPT_REFRESH_MS}; one not refreshed for this long belongs to
 * a process that died (or stalled for twice the action profile's heartbeat timeout), and its
 * outcome is unknown.
 */
export const ATTEMPT_LEASE_MS = 10_000;

/** How often a running attempt refreshes its start marker (ms), as often as it heartbeats. */
export const ATTEMPT_REFRESH_MS = 1_000;

/** How often a retry looks again at an earlier attempt that is still running (ms). */
const LIVE_ATTEMPT_POLL_MS = 250;

/** At most one sweep per state folder per process in this interval, so a write stays cheap. */
export const JOURNAL_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

const KINDS = ['undo', 'done', 'attempts', 'keys'] as const;

/** When each state folder was last swept by this process (ms since the epoch). */
const lastSweep = new Map<string, number>();

/**
 * Removes journal files under `<stateDir>/undo`, `done`, `attempts` and `keys` last written before
 * `now - maxAgeMs`. Never throws: a file another process removed first, or an unreadable folder,
 * is skipped (clean-up must not fail the step that triggered it).
 *
 * @returns how many files were removed.
 */
export function sweepJournal(
  stateDir: string,
  now: number = Date.now(),
  maxAgeMs: number = JOURNAL_MAX_AGE_MS,
): number {
  let removed = 0;
  for (const kind of KINDS) {
    const dir = join(stateDir, kind);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.endsWith('.json') && !name.endsWith('.tmp')) continue;
      const file = join(dir, name);
      try {
        if (now - statSync(file).mtimeMs > maxAgeMs) {
          unlinkSync(file);
          removed++;
        }
      } catch {
        // Gone already, or not ours to remove: leave it.
      }
    }
  }
  return removed;
}

/**
 * Sweeps `stateDir` when this process has not swept it in the last
 * {@link JOURNAL_SWEEP_INTERVAL_MS}: called on every journal write, costs a map lookup otherwise.
 *
 * @returns the number of files removed, or `undefined` when no sweep was due.
 */
export function maybeSweepJournal(stateDir: string, now: number = Date.now()): number | undefined {
  const key = resolve(stateDir);
  const last = lastSweep.get(key);
  if (last !== undefined && now - last < JOURNAL_SWEEP_INTERVAL_MS && now >= last) return undefined;
  lastSweep.set(key, now);
  return sweepJournal(stateDir, now);
}

/**
 * Whether a journal file was last written longer than {@link JOURNAL_MAX_AGE_MS} ago: it belongs
 * to a workflow that closed at least that long ago, so it is read as absent (and removed) even
 * before a sweep runs. A task id used again once its workflow is gone (the namespace keeps closed
 * workflows at least as long, see `RETENTION_DAYS_RANGE`) therefore never finds the old task's
 * results. Throws ENOENT for a missing file, as reading it would.
 */
function outlived(file: string, now: number = Date.now()): boolean {
  if (now - statSync(file).mtimeMs <= JOURNAL_MAX_AGE_MS) return false;
  try {
    unlinkSync(file);
  } catch {
    // Removed meanwhile, or not ours to remove: absent either way.
  }
  return true;
}

/** A write-once journal entry per key under `<stateDir>/<kind>/`. */
function journalEntry<T>(stateDir: string, kind: 'undo' | 'done' | 'keys', key: string) {
  const dir = join(stateDir, kind);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  return {
    /**
     * The recorded value, or `undefined` when nothing was recorded for the key, or only longer
     * ago than {@link JOURNAL_MAX_AGE_MS} (see {@link outlived}).
     */
    read(): { value: T } | undefined {
      try {
        if (outlived(file)) return undefined;
        return { value: (JSON.parse(readFileSync(file, 'utf8')) as { value: T }).value };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    /** Written to a temp file and renamed: a crash never leaves a half-written entry. */
    write(value: T): void {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ key, value }));
      renameSync(tmp, file);
      maybeSweepJournal(stateDir);
    },
    /** Removes the entry; a missing one is fine. */
    remove(): void {
      try {
        unlinkSync(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}

/**
 * Returns the undo record for `key`, computing and persisting it the first time only.
 *
 * A retried `execute` (same idempotency key) must not snapshot the state it already changed as the
 * "before", so the first snapshot wins.
 *
 * @param stateDir - folder for journal files (created if missing).
 * @param key - the step's idempotency key.
 * @param snapshot - reads the state to restore; called at most once per key across retries.
 */
export function recordOnce<T>(stateDir: string, key: string, snapshot: () => T): T {
  return recordIn(stateDir, 'undo', key, snapshot);
}

/** The value journaled under `kind`/`key`, computed by `make` and journaled the first time only. */
function recordIn<T>(stateDir: string, kind: 'undo' | 'keys', key: string, make: () => T): T {
  const entry = journalEntry<T>(stateDir, kind, key);
  const recorded = entry.read();
  if (recorded) return recorded.value;
  const record = make();
  entry.write(record);
  return record;
}

/**
 * The `Idempotency-Key` sent to a destination for the effect `key`: the key and a random suffix
 * journaled at its first use (`<workflowId>#<step>~<12 hex>`), the same for every retry while the
 * journal keeps it. A task id used again once its workflow is gone finds no suffix (journal
 * entries are read as absent after {@link JOURNAL_MAX_AGE_MS}) and draws a new one, so a
 * destination that remembers keys longer than that never answers the new task with the old
 * task's result, as if its request had already been applied.
 */
export function destinationKey(stateDir: string, key: string): string {
  return recordIn(stateDir, 'keys', key, () => `${key}~${randomBytes(6).toString('hex')}`);
}

/** The effect key a destination key was made from (see {@link destinationKey}): its suffix dropped. */
export function effectKeyOf(sent: string): string {
  return sent.replace(/~[0-9a-f]{12}$/, '');
}

/**
 * The undo record `recordOnce` journaled for `key`, if any: lets a step that failed after
 * snapshotting (say, the file was written but the reload failed) still be undone.
 */
export function recordedUndo<T>(stateDir: string, key: string): T | undefined {
  return journalEntry<T>(stateDir, 'undo', key).read()?.value;
}

/** How {@link runEffectOnce} runs one effect. */
export interface EffectOnce<T> {
  /**
   * Folder for journal files, a person's answer after an unknown outcome, if any, and the
   * activity's cancellation (which stops a wait for an earlier attempt still running).
   */
  ctx: Pick<ActionContext, 'stateDir' | 'resolution' | 'signal'>;
  /** The effect's own key: the step's idempotency key, `#undo` appended for a compensation. */
  key: string;
  /** One line naming the effect for people, e.g. "`rm -rf build`" or "POST http://…/deploys". */
  what: string;
  /** How a retry after an unknown outcome is made safe (see {@link RetrySafety}). */
  safety: RetrySafety;
  /** The effect itself. */
  effect: () => Promise<T>;
  /** Whether a declared undo could reverse the effect (offered to the person asked about it). */
  undoable?: boolean;
  /** The result to record when the effect happened but nobody saw how (a check or a person said so). */
  unobserved: () => T;
  /**
   * Whether a failed attempt may still have taken effect (a connection broken after the request
   * went out): then its start marker stays and a retry treats the outcome as unknown. Default: no
   * (the effect answered with an error, or failed before it began).
   */
  mayHaveTakenEffect?: (err: unknown) => boolean;
  /** How often this attempt refreshes its start marker while the effect runs (ms; default {@link ATTEMPT_REFRESH_MS}). */
  refreshEveryMs?: number;
}

/**
 * Runs an effect at most once per key, and never repeats one blindly.
 *
 * Before the effect a start marker is journaled; after it, the result. A later attempt that finds
 * the result returns it. One that finds a marker its attempt still refreshes (Temporal gave up on
 * that attempt, after a heartbeat timeout say, but its process goes on) waits for it to end and
 * then looks again: two attempts never run the effect at once, and a check never answers "not
 * yet" for an effect that is under way. One that finds only a marker nobody refreshes any more
 * (for {@link ATTEMPT_LEASE_MS}), or one its attempt left when it failed in a way that may have
 * taken effect, knows an earlier attempt began the effect and never recorded how it ended (the
 * worker died, or the connection broke mid-request), so the outcome is unknown: it repeats the
 * effect only when `safety` says that is safe (`repeatable`,
 * `key-honoured`, or a `verifiable` check that says it did not happen; a check that says it did
 * records {@link EffectOnce.unobserved}), and otherwise throws {@link OutcomeUnknownError}. A
 * person's answer (`ctx.resolution`) settles it: `ran` records the effect as done, `run-again`
 * repeats it.
 *
 * @throws {OutcomeUnknownError} when the outcome is unknown and nothing makes a retry safe.
 * @throws `ctx.signal`'s reason when the activity is cancelled while it waits for a live attempt.
 */
export async function runEffectOnce<T>(spec: EffectOnce<T>): Promise<T> {
  const { ctx, key, safety } = spec;
  const done = journalEntry<T>(ctx.stateDir, 'done', key);
  const attempts = attemptMarkers(ctx.stateDir, key);
  let earlier: AttemptMarker[];
  for (;;) {
    const recorded = done.read();
    if (recorded) return recorded.value;
    earlier = attempts.list();
    if (!earlier.some((m) => isLive(m))) break;
    await pause(LIVE_ATTEMPT_POLL_MS, ctx.signal);
  }
  const settle = (value: T, clear: readonly AttemptMarker[]): T => {
    done.write(value);
    clear.forEach((m) => attempts.remove(m));
    return value;
  };
  if (ctx.resolution?.answer === 'ran') return settle(spec.unobserved(), earlier);
  // Every unfinished attempt is accounted for by the person's answer: repeat it, once.
  const answeredRepeat =
    ctx.resolution?.answer === 'run-again' &&
    earlier.length > 0 &&
    earlier.every((m) => m.marker === ctx.resolution!.marker);
  if (earlier.length > 0 && !answeredRepeat) {
    const newest = earlier[earlier.length - 1];
    const unknown = `${spec.what}: an earlier attempt started it at ${newest.at} and never recorded how it ended`;
    if (safety.kind === 'none') {
      throw new OutcomeUnknownError(
        `${unknown}, and nothing makes a retry safe (${safety.why})`,
        newest.marker,
        spec.undoable,
      );
    }
    if (safety.kind === 'verifiable') {
      const happened = await safety.check();
      if (happened === true) return settle(spec.unobserved(), earlier);
      if (happened === undefined) {
        throw new OutcomeUnknownError(
          `${unknown}, and its check could not tell whether it happened (${safety.why})`,
          newest.marker,
          spec.undoable,
        );
      }
      // The check says it did not happen: running it now is the first time.
    }
  }
  // Resolved (a safe retry, a check, a person): the earlier attempts no longer stand for anything.
  earlier.forEach((m) => attempts.remove(m));
  const mine = attempts.add();
  const refresher = setInterval(() => attempts.refresh(mine), spec.refreshEveryMs ?? ATTEMPT_REFRESH_MS);
  refresher.unref();
  let result: T;
  try {
    result = await spec.effect();
  } catch (err) {
    // Either way this attempt has ended: a retry need not wait for its lease to run out.
    if (spec.mayHaveTakenEffect?.(err) ?? false) attempts.end(mine);
    else attempts.remove(mine);
    throw err;
  } finally {
    clearInterval(refresher);
  }
  return settle(result, [mine]);
}

/**
 * Whether an attempt is still running: its marker was refreshed within {@link ATTEMPT_LEASE_MS}
 * and its attempt has not ended.
 */
function isLive(m: AttemptMarker, now: number = Date.now()): boolean {
  return !m.ended && now - m.refreshedAt < ATTEMPT_LEASE_MS;
}

/** Waits `ms`, or throws the signal's reason as soon as it aborts. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    throw signal?.aborted ? (signal.reason ?? err) : err;
  }
}

/**
 * Whether the effect {@link runEffectOnce} runs under `key` may have happened: an attempt finished
 * it (its result is journaled), or began it and never learned that it failed before taking effect
 * (its start marker stands). False when no attempt began it, or each one that did was answered
 * with an error.
 */
export function effectMayHaveBegun(stateDir: string, key: string): boolean {
  return (
    Boolean(journalEntry(stateDir, 'done', key).read()) || attemptMarkers(stateDir, key).list().length > 0
  );
}

/**
 * One attempt's start marker: when it began, a random id naming it, when its attempt last said it
 * was still running (the file's mtime, ms since the epoch), and whether the attempt has ended.
 */
interface AttemptMarker {
  at: string;
  marker: string;
  file: string;
  refreshedAt: number;
  ended: boolean;
}

/**
 * The start markers of one effect's attempts, one file per attempt under `<stateDir>/attempts/`,
 * so an attempt removes only its own (a slow attempt that ends late never erases a newer one's).
 */
function attemptMarkers(stateDir: string, key: string) {
  const dir = join(stateDir, 'attempts');
  const prefix = `${createHash('sha256').update(key).digest('hex')}.`;
  return {
    /** Unfinished attempts, oldest first. */
    list(): AttemptMarker[] {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const found: AttemptMarker[] = [];
      for (const name of names) {
        if (!name.startsWith(prefix) || !name.endsWith('.json')) continue;
        try {
          const file = join(dir, name);
          if (outlived(file)) continue;
          const refreshedAt = statSync(file).mtimeMs;
          const v = JSON.parse(readFileSync(file, 'utf8')) as { at: string; marker: string; ended?: boolean };
          found.push({ at: v.at, marker: v.marker, file, refreshedAt, ended: v.ended === true });
        } catch {
          // Removed meanwhile by its own attempt: it ended.
        }
      }
      return found.sort((x, y) => x.at.localeCompare(y.at));
    },
    /** Journals this attempt's marker (temp file and rename: never half-written). */
    add(): AttemptMarker {
      mkdirSync(dir, { recursive: true });
      const at = new Date().toISOString();
      const id = randomBytes(6).toString('hex');
      const file = join(dir, `${prefix}${id}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ key, at, marker: `${at}/${id}` }));
      renameSync(tmp, file);
      maybeSweepJournal(stateDir);
      return { at, marker: `${at}/${id}`, file, refreshedAt: Date.now(), ended: false };
    },
    /** Says the attempt is still running; a marker removed meanwhile (or unwritable) is left alone. */
    refresh(m: AttemptMarker): void {
      try {
        const now = new Date();
        utimesSync(m.file, now, now);
      } catch {
        // Gone or unwritable: the marker ages, and a retry then reads the outcome as unknown.
      }
    },
    /** Keeps the marker, saying its attempt ended without learning whether the effect happened. */
    end(m: AttemptMarker): void {
      const tmp = `${m.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ key, at: m.at, marker: m.marker, ended: true }));
      renameSync(tmp, m.file);
    },
    remove(m: AttemptMarker): void {
      try {
        unlinkSync(m.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}

/** What {@link beginEffect} tells an attempt, and how the attempt says how it ended. */
export interface EffectAttempt {
  /** An earlier attempt began the effect and never learned how it ended: it may have happened. */
  earlierUnfinished: boolean;
  /**
   * The attempt before this one was refused before anything was done (a rate limit), and no
   * attempt is unfinished: nothing can have happened, so there is nothing to look for.
   */
  refusedBefore: boolean;
  /**
   * An earlier attempt began handing the effect to someone else (an announcement to its channel's
   * feed): the effect is theirs now, and no later attempt may do it itself.
   */
  handedOverBefore: boolean;
  /** Journals, before the hand-over starts, that this attempt hands the effect over. */
  handOver(): void;
  /** This attempt knows the outcome (done, or failed without effect). */
  end(): void;
  /** This attempt was refused before anything was done: the next one need not look for it. */
  endRefused(): void;
}

/**
 * A start marker for an effect that cannot go through {@link runEffectOnce} (a Slack post, whose
 * result is not journaled): tells whether an earlier attempt began it and never learned how it
 * ended, or was refused outright, and writes this attempt's own marker. Call `end()` or
 * `endRefused()` once this attempt knows the outcome.
 *
 * A refusal is forgotten as this attempt begins, before the effect runs: an attempt that does the
 * effect and dies before reporting it leaves no refusal behind to vouch that nothing happened.
 *
 * @param key - the effect's key; use a prefix per kind of effect (e.g. `notify:`).
 */
export function beginEffect(stateDir: string, key: string): EffectAttempt {
  const attempts = attemptMarkers(stateDir, key);
  const refusals = attemptMarkers(stateDir, `${key}#refused`);
  const handOvers = attemptMarkers(stateDir, `${key}#handed-over`);
  const earlier = attempts.list();
  const refused = refusals.list();
  refused.forEach((m) => refusals.remove(m));
  const mine = attempts.add();
  const end = (): void => {
    attempts.remove(mine);
    // This attempt knows the outcome now; the earlier ones are answered by the sweep it triggers.
    earlier.forEach((m) => attempts.remove(m));
  };
  return {
    earlierUnfinished: earlier.length > 0,
    refusedBefore: earlier.length === 0 && refused.length > 0,
    handedOverBefore: handOvers.list().length > 0,
    handOver: () => {
      handOvers.add();
    },
    end,
    endRefused: () => {
      attempts.remove(mine);
      // Earlier unfinished attempts stay unanswered: the next attempt must still look for them.
      if (earlier.length === 0) refusals.add();
    },
  };
}
