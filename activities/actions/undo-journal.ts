import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
