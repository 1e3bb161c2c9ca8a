import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  JOURNAL_MAX_AGE_MS,
  JOURNAL_SWEEP_INTERVAL_MS,
  maybeSweepJournal,
  recordedUndo,
  recordOnce,
  runEffectOnce,
  sweepJournal,
} from '../../../activities/actions/undo-journal';

const DAY = 24 * 60 * 60 * 1000;

describe('undo journal clean-up', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'ladder-journal-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  /** A journal file under `kind` last written at `atMs`. */
  function entry(kind: 'undo' | 'done', name: string, atMs: number): string {
    mkdirSync(join(stateDir, kind), { recursive: true });
    const file = join(stateDir, kind, name);
    writeFileSync(file, '{"key":"k","value":1}');
    utimesSync(file, atMs / 1000, atMs / 1000);
    return file;
  }

  /** Makes every journal file look last written `ageMs` ago. */
  function age(ageMs: number): void {
    const at = (Date.now() - ageMs) / 1000;
    for (const kind of ['undo', 'done', 'attempts'])
      if (existsSync(join(stateDir, kind)))
        for (const name of readdirSync(join(stateDir, kind))) utimesSync(join(stateDir, kind, name), at, at);
  }

  it('reads entries older than 7 days as absent, so a task id used again runs its own effects', async () => {
    const ctx = { stateDir };
    const step = (value: string, ran: string[]) => ({
      ctx,
      key: 'task/a/reused#0',
      what: 'the step',
      safety: { kind: 'none' as const, why: 'test' },
      effect: async () => {
        ran.push(value);
        return value;
      },
      unobserved: () => 'unobserved',
      mayHaveTakenEffect: () => true,
    });
    const first: string[] = [];
    recordOnce(stateDir, 'task/a/reused#0', () => 'snapshot of the old task');
    expect(await runEffectOnce(step('old', first))).toBe('old');
    // An attempt of the old task that never ended, too.
    await expect(
      runEffectOnce({
        ...step('lost', first),
        key: 'task/a/reused#1',
        effect: () => Promise.reject(new Error('cut')),
      }),
    ).rejects.toThrow('cut');
    // Within 7 days the journal answers for the id: the effect is not run again.
    age(6 * DAY);
    expect(await runEffectOnce(step('again', first))).toBe('old');
    expect(first).toEqual(['old']);
    // Past 7 days (the workflow is gone, the id is free): the new task's own effect runs.
    age(JOURNAL_MAX_AGE_MS + DAY);
    expect(recordedUndo(stateDir, 'task/a/reused#0')).toBeUndefined();
    const second: string[] = [];
    expect(await runEffectOnce(step('new', second))).toBe('new');
    expect(await runEffectOnce({ ...step('new-1', second), key: 'task/a/reused#1' })).toBe('new-1');
    expect(second).toEqual(['new', 'new-1']);
  });

  it('keeps entries for 7 days', () => {
    expect(JOURNAL_MAX_AGE_MS).toBe(7 * DAY);
    expect(JOURNAL_SWEEP_INTERVAL_MS).toBe(60 * 60 * 1000);
  });

  it('removes entries and stale temp files older than the maximum age, and keeps the rest', () => {
    const now = Date.UTC(2026, 0, 20);
    const old = entry('undo', 'a.json', now - 8 * DAY);
    const oldDone = entry('done', 'b.json', now - 30 * DAY);
    const oldTmp = entry('done', 'c.json.123.tmp', now - 8 * DAY);
    const fresh = entry('undo', 'd.json', now - 6 * DAY);
    const other = entry('undo', 'notes.txt', now - 100 * DAY);
    expect(sweepJournal(stateDir, now)).toBe(3);
    expect([old, oldDone, oldTmp].map(existsSync)).toEqual([false, false, false]);
    expect([fresh, other].map(existsSync)).toEqual([true, true]);
    expect(sweepJournal(stateDir, now, 5 * DAY)).toBe(1);
    expect(existsSync(fresh)).toBe(false);
  });

  it('never throws on a missing state folder', () => {
    expect(sweepJournal(join(stateDir, 'missing'), Date.now())).toBe(0);
  });

  it('sweeps a folder at most once an hour per process', () => {
    const now = Date.UTC(2026, 1, 1);
    entry('undo', 'a.json', now - 8 * DAY);
    expect(maybeSweepJournal(stateDir, now)).toBe(1);
    entry('undo', 'b.json', now - 8 * DAY);
    expect(maybeSweepJournal(stateDir, now + 59 * 60 * 1000)).toBeUndefined();
    expect(existsSync(join(stateDir, 'undo', 'b.json'))).toBe(true);
    expect(maybeSweepJournal(stateDir, now + JOURNAL_SWEEP_INTERVAL_MS)).toBe(1);
    expect(readdirSync(join(stateDir, 'undo'))).toEqual([]);
  });

  it('sweeps when the journal is written, keeping the entry just written', async () => {
    const stale = entry('done', 'stale.json', Date.now() - 8 * DAY);
    expect(recordOnce(stateDir, 'wf/step-1', () => ({ before: 'x' }))).toEqual({ before: 'x' });
    expect(existsSync(stale)).toBe(false);
    expect(recordedUndo(stateDir, 'wf/step-1')).toEqual({ before: 'x' });
    const once = (value: number) =>
      runEffectOnce({
        ctx: { stateDir },
        key: 'wf/step-2',
        what: 'test effect',
        safety: { kind: 'none', why: 'test' },
        effect: () => Promise.resolve(value),
        unobserved: () => -1,
      });
    await expect(once(42)).resolves.toBe(42);
    await expect(once(43)).resolves.toBe(42);
  });
});
