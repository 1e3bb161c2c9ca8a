import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OutcomeUnknownError,
  PermanentActionError,
  type RetrySafety,
} from '../../../activities/actions/contract';
import { requestMayHaveArrived } from '../../../activities/actions/http-call';
import { ATTEMPT_LEASE_MS, runEffectOnce, type EffectOnce } from '../../../activities/actions/undo-journal';

/**
 * The journal half of "no blind re-run": an attempt that began an effect and never recorded its end
 * (the worker was SIGKILLed inside it) leaves a start marker, and the next attempt decides from the
 * action's declared retry safety instead of running the effect again.
 */
describe('runEffectOnce', () => {
  let stateDir: string;
  let runs: number;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'ladder-effect-'));
    runs = 0;
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  const spec = (safety: RetrySafety, extra: Partial<EffectOnce<string>> = {}): EffectOnce<string> => ({
    ctx: { stateDir },
    key: 'task/a/1#0',
    what: '`deploy`',
    safety,
    effect: async () => `ran ${++runs}`,
    unobserved: () => 'confirmed',
    ...extra,
  });

  /** Markers not refreshed for longer than the lease, as a killed process leaves them. */
  function ageMarkers(): void {
    const dir = join(stateDir, 'attempts');
    const then = new Date(Date.now() - ATTEMPT_LEASE_MS - 1_000);
    for (const name of readdirSync(dir)) utimesSync(join(dir, name), then, then);
  }

  /**
   * An attempt that dies inside the effect (as with SIGKILL): it never gets past it, never refreshes
   * its marker again (an hour is beyond any test), and the marker ages past its lease.
   */
  async function dieInsideEffect(safety: RetrySafety, key?: string): Promise<void> {
    const before = runs;
    const never = new Promise<string>(() => undefined);
    void runEffectOnce(
      spec(safety, {
        ...(key ? { key } : {}),
        refreshEveryMs: 3_600_000,
        effect: () => {
          runs++;
          return never;
        },
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(before + 1);
    ageMarkers();
  }

  const none: RetrySafety = { kind: 'none', why: 'no check declared' };

  it('runs a fresh effect once and returns the recorded result to later attempts', async () => {
    await expect(runEffectOnce(spec(none))).resolves.toBe('ran 1');
    await expect(runEffectOnce(spec(none))).resolves.toBe('ran 1');
    expect(runs).toBe(1);
    expect(readdirSync(join(stateDir, 'attempts'))).toEqual([]);
  });

  it('refuses to repeat an effect whose earlier attempt died inside it when nothing makes a retry safe', async () => {
    await dieInsideEffect(none);
    const retry = runEffectOnce(spec(none));
    await expect(retry).rejects.toBeInstanceOf(OutcomeUnknownError);
    await expect(retry).rejects.toThrow(
      /`deploy`: an earlier attempt started it at .* nothing makes a retry safe \(no check declared\)/,
    );
    expect(runs).toBe(1);
  });

  it.each(['repeatable', 'key-honoured'] as const)('repeats it when the action is %s', async (kind) => {
    await dieInsideEffect({ kind, why: 'declared' });
    await expect(runEffectOnce(spec({ kind, why: 'declared' }))).resolves.toBe('ran 2');
  });

  it('asks a verifiable check: happened records it unrepeated, not-happened runs it, cannot-tell stops', async () => {
    const check = jest.fn<Promise<boolean | undefined>, []>();
    const verifiable: RetrySafety = { kind: 'verifiable', why: 'a check', check };
    await dieInsideEffect(verifiable);

    check.mockResolvedValueOnce(undefined);
    await expect(runEffectOnce(spec(verifiable))).rejects.toThrow(/could not tell whether it happened/);
    check.mockResolvedValueOnce(true);
    await expect(runEffectOnce(spec(verifiable))).resolves.toBe('confirmed');
    expect(runs).toBe(1);
    // Settled: no further check, no run.
    await expect(runEffectOnce(spec(verifiable))).resolves.toBe('confirmed');
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('runs it when the check says it did not happen', async () => {
    const verifiable: RetrySafety = { kind: 'verifiable', why: 'a check', check: async () => false };
    await dieInsideEffect(verifiable);
    await expect(runEffectOnce(spec(verifiable))).resolves.toBe('ran 2');
  });

  it("a person's `ran` records the effect without running it; `run-again` repeats only the attempt answered about", async () => {
    await dieInsideEffect(none);
    const unknown = (await runEffectOnce(spec(none)).catch((e: unknown) => e)) as OutcomeUnknownError;
    expect(unknown).toBeInstanceOf(OutcomeUnknownError);

    // An answer about another attempt (an older marker) does not authorise a repeat.
    const stale = { answer: 'run-again' as const, marker: '2000-01-01T00:00:00.000Z/000000000000' };
    await expect(runEffectOnce(spec(none, { ctx: { stateDir, resolution: stale } }))).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );

    // The repeat itself dies: asked again, not repeated on the strength of the first answer.
    const again = { answer: 'run-again' as const, marker: unknown.marker };
    void runEffectOnce(
      spec(none, {
        ctx: { stateDir, resolution: again },
        refreshEveryMs: 3_600_000,
        effect: () => {
          runs++;
          return new Promise<string>(() => undefined);
        },
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    ageMarkers();
    await expect(runEffectOnce(spec(none, { ctx: { stateDir, resolution: again } }))).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );

    const ran = { answer: 'ran' as const, marker: unknown.marker };
    await expect(runEffectOnce(spec(none, { ctx: { stateDir, resolution: ran } }))).resolves.toBe(
      'confirmed',
    );
    expect(runs).toBe(2);
  });

  it('clears the marker when a failed attempt cannot have taken effect, keeps it when it may have', async () => {
    const refused = runEffectOnce(spec(none, { effect: () => Promise.reject(new Error('answered 503')) }));
    await expect(refused).rejects.toThrow('answered 503');
    await expect(runEffectOnce(spec(none))).resolves.toBe('ran 1');

    const key = 'task/a/1#1';
    const broken = runEffectOnce(
      spec(none, {
        key,
        effect: () => Promise.reject(new Error('socket hang up')),
        mayHaveTakenEffect: () => true,
      }),
    );
    await expect(broken).rejects.toThrow('socket hang up');
    await expect(runEffectOnce(spec(none, { key }))).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it("keeps a newer attempt's marker when a stalled, older attempt ends late", async () => {
    let failFirst: (err: Error) => void = () => undefined;
    const first = runEffectOnce(
      spec(none, {
        refreshEveryMs: 3_600_000,
        effect: () => {
          runs++;
          return new Promise<string>((_, reject) => (failFirst = reject));
        },
        mayHaveTakenEffect: () => false,
      }),
    );
    await new Promise((r) => setImmediate(r));
    // The first attempt's process stalled past its lease; its check says nothing happened, so a
    // second runs (and dies inside the effect).
    ageMarkers();
    const notYet: RetrySafety = { kind: 'verifiable', why: 'a check', check: async () => false };
    await dieInsideEffect(notYet);
    expect(runs).toBe(2);
    // The first attempt now fails in a way that cannot have taken effect: it removes its own marker only.
    failFirst(new Error('refused'));
    await expect(first).rejects.toThrow('refused');
    await expect(runEffectOnce(spec(none))).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(runs).toBe(2);
  });

  it('waits for an earlier attempt that is still running and returns its result, never running the effect twice', async () => {
    let finishFirst: (value: string) => void = () => undefined;
    const first = runEffectOnce(
      spec(none, {
        effect: () => {
          runs++;
          return new Promise<string>((done) => (finishFirst = done));
        },
      }),
    );
    await new Promise((r) => setImmediate(r));
    // Temporal gave up on the first attempt (a lost heartbeat) and retried, but its process goes
    // on. A check asked now would say "not yet" for an effect that is under way.
    const check = jest.fn(async () => false);
    const retry = runEffectOnce(spec({ kind: 'verifiable', why: 'a check', check }));
    // The retry has already seen the live marker (runEffectOnce reads it before its first await).
    finishFirst('ran by the first');
    await expect(first).resolves.toBe('ran by the first');
    await expect(retry).resolves.toBe('ran by the first');
    expect(runs).toBe(1);
    expect(check).not.toHaveBeenCalled();
  });

  it('waits for a still-running attempt that fails unseen, then reads its outcome as unknown at once', async () => {
    let breakFirst: (err: Error) => void = () => undefined;
    const first = runEffectOnce(
      spec(none, {
        effect: () => {
          runs++;
          return new Promise<string>((_, reject) => (breakFirst = reject));
        },
        mayHaveTakenEffect: () => true,
      }),
    );
    await new Promise((r) => setImmediate(r));
    const retry = runEffectOnce(spec(none));
    breakFirst(new Error('socket hang up'));
    await expect(first).rejects.toThrow('socket hang up');
    // Its marker says the attempt ended: the retry does not wait out the lease (jest's 5 s would fail first).
    await expect(retry).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(runs).toBe(1);
  });

  it('stops waiting for a live attempt when its own activity is cancelled', async () => {
    void runEffectOnce(
      spec(none, {
        effect: () => {
          runs++;
          return new Promise<string>(() => undefined);
        },
      }),
    );
    await new Promise((r) => setImmediate(r));
    const cancel = new AbortController();
    const retry = runEffectOnce(spec(none, { ctx: { stateDir, signal: cancel.signal } }));
    cancel.abort(new Error('task cancelled'));
    await expect(retry).rejects.toThrow('task cancelled');
    expect(runs).toBe(1);
  });

  it("keeps a running attempt's marker fresh, so a retry waits rather than reading it as dead", async () => {
    void runEffectOnce(
      spec(none, {
        refreshEveryMs: 10,
        effect: () => {
          runs++;
          return new Promise<string>(() => undefined);
        },
      }),
    );
    await new Promise((r) => setImmediate(r));
    ageMarkers();
    const dir = join(stateDir, 'attempts');
    const [marker] = readdirSync(dir);
    while (Date.now() - statSync(join(dir, marker)).mtimeMs > ATTEMPT_LEASE_MS) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const cancel = new AbortController();
    const retry = runEffectOnce(spec(none, { ctx: { stateDir, signal: cancel.signal } }));
    let settled = false;
    void retry.then(
      () => (settled = true),
      () => (settled = true),
    );
    // A marker read as dead is refused before runEffectOnce's first wait: by now it would have been.
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    cancel.abort(new Error('done looking'));
    await expect(retry).rejects.toThrow('done looking');
    expect(runs).toBe(1);
  });
});

describe('which failures may have taken effect', () => {
  it('counts a 5xx answer and a broken connection as possibly arrived, a refusal or no connection as not', () => {
    const network = (code: string): Error =>
      new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
    expect(requestMayHaveArrived(new Error('POST http://x/deploys answered 504: gateway timeout'))).toBe(
      true,
    );
    expect(requestMayHaveArrived(network('ECONNRESET'))).toBe(true);
    expect(requestMayHaveArrived(network('UND_ERR_SOCKET'))).toBe(true);
    expect(requestMayHaveArrived(network('ECONNREFUSED'))).toBe(false);
    expect(requestMayHaveArrived(network('UND_ERR_CONNECT_TIMEOUT'))).toBe(false);
    expect(requestMayHaveArrived(network('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(false);
    expect(requestMayHaveArrived(new PermanentActionError('answered 409'))).toBe(false);
  });

  it('counts an aborted request as possibly arrived, without tripping on its numeric code', () => {
    // What fetch throws when the activity's signal aborts it: a DOMException whose code is 20.
    const aborted = new DOMException('This operation was aborted', 'AbortError');
    expect(aborted.code).toBe(20);
    expect(requestMayHaveArrived(aborted)).toBe(true);
    expect(requestMayHaveArrived(new TypeError('fetch failed', { cause: aborted }))).toBe(true);
  });
});
