import type { SlackFaultPlan } from './options';

/** One fault request as the emulator's `POST /emulator/faults` takes it. */
interface FaultRequest {
  method: string;
  kind: 'rate-limited' | 'server-error' | 'slow' | 'slow-answer';
  count: number;
  retryAfterSeconds?: number;
  delayMs?: number;
}

/** A batch's share of each fault count: `batch` of `batches`, the remainder going to the first ones. */
function share(total: number, batch: number, batches: number): number {
  return Math.floor(total / batches) + (batch < total % batches ? 1 : 0);
}

/**
 * The fault requests of one batch: 429s with Retry-After and slow posts on chat.postMessage,
 * 500s split between chat.postMessage and chat.update (so edits of a task's message fail too).
 */
export function faultBatch(plan: SlackFaultPlan, batch: number, batches: number): FaultRequest[] {
  const errors = share(plan.serverErrors, batch, batches);
  const requests: FaultRequest[] = [
    {
      method: 'chat.postMessage',
      kind: 'rate-limited',
      count: share(plan.rateLimited, batch, batches),
      retryAfterSeconds: plan.retryAfterSeconds,
    },
    { method: 'chat.postMessage', kind: 'server-error', count: Math.ceil(errors / 2) },
    { method: 'chat.update', kind: 'server-error', count: Math.floor(errors / 2) },
    {
      method: 'chat.postMessage',
      kind: 'slow',
      count: share(plan.slow, batch, batches),
      delayMs: plan.slowMs,
    },
    {
      method: 'chat.postMessage',
      kind: 'slow-answer',
      count: share(plan.slowAnswers, batch, batches),
      delayMs: plan.slowMs,
    },
  ];
  return requests.filter((r) => r.count > 0);
}

/**
 * Queues faults in the Slack emulator through its control endpoint `POST /emulator/faults` (the
 * next matching Web API calls get them, in order).
 *
 * @returns how many faulty answers were queued.
 * @throws Error naming the endpoint and its answer when the emulator refuses a request.
 */
export async function injectSlackFaults(emulatorUrl: string, requests: FaultRequest[]): Promise<number> {
  let queued = 0;
  for (const body of requests) {
    const response = await fetch(`${emulatorUrl}/emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(
        `POST ${emulatorUrl}/emulator/faults ${JSON.stringify(body)} answered ${response.status}: ${await response.text()}`,
      );
    queued += body.count;
  }
  return queued;
}

/** How many calls the emulator answered with a fault, by kind (`GET /emulator/faults`). */
export async function servedSlackFaults(emulatorUrl: string): Promise<Record<string, number>> {
  const response = await fetch(`${emulatorUrl}/emulator/faults`);
  if (!response.ok) throw new Error(`GET ${emulatorUrl}/emulator/faults answered ${response.status}`);
  return ((await response.json()) as { served: Record<string, number> }).served;
}
