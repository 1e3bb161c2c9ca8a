import type { LedgerState } from '../../policy/ledger';

/**
 * Polls `condition` every 50 ms until it holds: tests wait on conditions, never on fixed sleeps.
 *
 * @throws Error when it does not hold within `timeoutMs`.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until an agent's ledger has counted at least `actions` actions in `taskClass`, then until
 * its clean period (`periodMs`, plus half a second) has passed since the class's evidence began.
 * The period runs on the ledger's clock from when it counted the first evidence, which on a loaded
 * machine may be well after the test sent it: timing from the send can end the period too early.
 */
export async function waitPastCleanPeriod(
  readLedger: () => Promise<Pick<LedgerState, 'classes'> | null | undefined>,
  taskClass: string,
  actions: number,
  periodMs: number,
): Promise<void> {
  let sinceMs: number | undefined;
  await waitUntil(async () => {
    const evidence = (await readLedger().catch(() => null))?.classes[taskClass]?.evidence;
    sinceMs = evidence && evidence.actions >= actions ? evidence.sinceMs : undefined;
    return sinceMs !== undefined;
  });
  await waitUntil(() => Date.now() > sinceMs! + periodMs + 500);
}
