import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Returns the undo record for `key`, computing and persisting it the first time only.
 *
 * A retried `execute` (same idempotency key) must not snapshot the state it already changed as the
 * "before", so the first snapshot wins. Written to a temp file and renamed: a crash never leaves a
 * half-written record.
 *
 * @param stateDir - folder for journal files (created if missing).
 * @param key - the step's idempotency key.
 * @param snapshot - reads the state to restore; called at most once per key across retries.
 */
export function recordOnce<T>(stateDir: string, key: string, snapshot: () => T): T {
  const dir = join(stateDir, 'undo');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { record: T }).record;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const record = snapshot();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ key, record }));
  renameSync(tmp, file);
  return record;
}

/**
 * Runs `effect` once per key: when a previous attempt finished, its recorded result is returned and
 * the effect is not repeated. (An attempt that crashed mid-effect leaves no record and runs again, so
 * effects without their own idempotency, like shell commands, should be safe to repeat.)
 */
export async function completeOnce<T>(stateDir: string, key: string, effect: () => Promise<T>): Promise<T> {
  const dir = join(stateDir, 'done');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { result: T }).result;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const result = await effect();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ key, result }));
  renameSync(tmp, file);
  return result;
}
