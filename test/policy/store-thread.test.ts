import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { largePolicy } from '../../bench/policy-variants';
import { parsePolicy, type LoadedPolicy, type PolicyError } from '../../policy/loader';
import { PolicyStore } from '../../policy/store';
import { examplePolicyText } from '../helpers/example-policy';
import { waitUntil } from '../helpers/wait';

describe('PolicyStore reloading a ~1 MB policy', () => {
  let path: string;
  let store: PolicyStore | undefined;

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'ladder-policy-thread-')), 'policy.yaml');
    writeFileSync(path, examplePolicyText());
  });
  afterEach(() => store?.close());

  it('parses a watched edit off the event loop and takes exactly what an in-place parse gives', async () => {
    const big = largePolicy('thread-1', false);
    // What the same parse costs the event loop when done in place (the store before parsing in a thread).
    const started = performance.now();
    const inPlace = parsePolicy(big, path);
    const inPlaceMs = performance.now() - started;
    expect(inPlace.ok).toBe(true);

    const changes: LoadedPolicy[] = [];
    const warnings: string[] = [];
    store = new PolicyStore(path, {
      intervalMs: 20,
      onChange: (p) => changes.push(p),
      onWarning: (w) => warnings.push(w),
    }).watch();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    writeFileSync(path, big);
    await waitUntil(() => changes.length > 0);
    delay.disable();

    const stallMs = delay.max / 1e6;
    process.stdout.write(
      `in-place parse ${inPlaceMs.toFixed(0)} ms; longest loop stall during the watched reload ${stallMs.toFixed(0)} ms\n`,
    );
    // The loop is never held for anything like the parse itself: reading, comparing and taking the
    // result are all that run on it (a ratio, so a loaded machine slowing both does not matter).
    expect(stallMs).toBeLessThan(inPlaceMs / 2);
    expect(warnings).toEqual([]);
    expect(store.current()).toStrictEqual(inPlace.ok && inPlace.policy);
    expect(Object.keys(store.current().agents).length).toBeGreaterThan(5000);
  });

  it('refuses an edit whose parse outlasts parseTimeoutMs, keeping the last good policy', async () => {
    const errors: PolicyError[] = [];
    store = new PolicyStore(path, {
      intervalMs: 20,
      parseTimeoutMs: 1,
      onError: (e) => errors.push(e),
    }).watch();
    const good = store.current().versionId;
    writeFileSync(path, largePolicy('thread-2', false));
    await waitUntil(() => errors.length > 0);
    expect(errors[0].problems).toEqual([
      { path: '(file)', message: 'parsing took longer than 1 ms and was stopped' },
    ]);
    expect(store.current().versionId).toBe(good);
  });

  it('drops a parse still in flight when reload() takes newer content first', async () => {
    const changes: LoadedPolicy[] = [];
    store = new PolicyStore(path, { intervalMs: 20, onChange: (p) => changes.push(p) }).watch();
    writeFileSync(path, largePolicy('thread-3', false));
    // Two polls settle the content and start its parse in a thread; then an operator's reload of a
    // newer, small version wins, and the big one's result must not replace it when it arrives.
    await waitUntil(() => (store as unknown as { parsing?: unknown }).parsing !== undefined);
    writeFileSync(path, examplePolicyText().replace("version: '2026.11.1'", "version: '2026.11.7'"));
    expect(store.reload()).toBe(true);
    expect(store.current().version).toBe('2026.11.7');
    // The cancelled parse's outcome is handled one setImmediate turn after it settles (at once, on
    // cancel); a few turns later it has certainly been dropped, not applied.
    for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
    expect(changes.map((p) => p.version)).toEqual(['2026.11.7']);
    expect(store.current().version).toBe('2026.11.7');
  });
});
