import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Journal entries (and temp files a crash left behind) older than this are removed. An entry only
 * matters while the step's activity may still be retried, or a step that failed after snapshotting
 * may still be undone (its saga unwinds right after the failure); a completed step's undo record is
 * in the workflow's own history. Seven days is far beyond any retry window and any approval wait.
 */
export const JOURNAL_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** At most one sweep per state folder per process in this interval, so a write stays cheap. */
export const JOURNAL_SWEEP_INTERVAL_MS = 60 * 60 * 1000;

const KINDS = ['undo', 'done'] as const;

/** When each state folder was last swept by this process (ms since the epoch). */
const lastSweep = new Map<string, number>();

/**
 * Removes journal files under `<stateDir>/undo` and `<stateDir>/done` last written before
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

/** A write-once journal entry per key under `<stateDir>/<kind>/`. */
function journalEntry<T>(stateDir: string, kind: 'undo' | 'done', key: string) {
  const dir = join(stateDir, kind);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  return {
    /** The recorded value, or `undefined` when nothing was recorded for the key. */
    read(): { value: T } | undefined {
      try {
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
  const entry = journalEntry<T>(stateDir, 'undo', key);
  const recorded = entry.read();
  if (recorded) return recorded.value;
  const record = snapshot();
  entry.write(record);
  return record;
}

/**
 * The undo record `recordOnce` journaled for `key`, if any: lets a step that failed after
 * snapshotting (say, the file was written but the reload failed) still be undone.
 */
export function recordedUndo<T>(stateDir: string, key: string): T | undefined {
  return journalEntry<T>(stateDir, 'undo', key).read()?.value;
}

/**
 * Runs `effect` once per key: when a previous attempt finished, its recorded result is returned and
 * the effect is not repeated. (An attempt that crashed mid-effect leaves no record and runs again, so
 * effects without their own idempotency, like shell commands, should be safe to repeat.)
 */
export async function completeOnce<T>(stateDir: string, key: string, effect: () => Promise<T>): Promise<T> {
  const entry = journalEntry<T>(stateDir, 'done', key);
  const recorded = entry.read();
  if (recorded) return recorded.value;
  const result = await effect();
  entry.write(result);
  return result;
}
