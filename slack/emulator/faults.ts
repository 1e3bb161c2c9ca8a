/**
 * A fault the next matching Web API calls answer with, for tests and chaos runs of retries, rate
 * limits and slow answers.
 *
 * - `rate-limited`: HTTP 429 with `Retry-After: retryAfterSeconds`; nothing is done.
 * - `server-error`: HTTP 500; nothing is done.
 * - `slow`: the call is done only after `delayMs` and answered then, like Slack under load (a post
 *   appears in the channel at that moment, even if the caller has given up).
 * - `slow-answer`: the call is done at once but answered after `delayMs`, like an answer lost or
 *   held up on the way back (the post is visible while the caller still waits).
 */
export type Fault =
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'server-error' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'slow-answer'; delayMs: number };

export type FaultKind = Fault['kind'];

const FAULT_KINDS: readonly FaultKind[] = ['rate-limited', 'server-error', 'slow', 'slow-answer'];

/** A fault waiting for calls; `method` undefined matches every method. */
export interface PendingFault {
  fault: Fault;
  method?: string;
  remaining: number;
}

/** What the fault endpoint reports: faults still waiting, and how many calls got one, by kind. */
export interface FaultReport {
  pending: PendingFault[];
  served: { total: number } & Record<FaultKind, number>;
}

/**
 * Faults waiting for calls, in the order they were added (the first that matches a call answers
 * it), with a count of the faults served and the delays of slow calls, which `close` cuts short.
 */
export class FaultQueue {
  private readonly pending: PendingFault[] = [];
  private readonly served: Record<FaultKind, number> = {
    'rate-limited': 0,
    'server-error': 0,
    slow: 0,
    'slow-answer': 0,
  };
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: (elapsed: boolean) => void }>();
  private closed = false;

  /** Makes the next `times` calls to `method` (every method when undefined) meet `fault`. */
  add(fault: Fault, method?: string, times = 1): void {
    this.pending.push({ fault, method, remaining: times });
  }

  /** The fault for one call to `method`, counted as served; undefined when none is waiting. */
  take(method: string): Fault | undefined {
    const index = this.pending.findIndex((f) => f.method === undefined || f.method === method);
    if (index < 0) return undefined;
    const entry = this.pending[index];
    if (--entry.remaining <= 0) this.pending.splice(index, 1);
    this.served[entry.fault.kind]++;
    return entry.fault;
  }

  /** Drops every waiting fault (served counts stay); returns how many were dropped. */
  clear(): number {
    return this.pending.splice(0).length;
  }

  report(): FaultReport {
    const total = Object.values(this.served).reduce((a, b) => a + b, 0);
    return { pending: this.pending.map((f) => ({ ...f })), served: { total, ...this.served } };
  }

  /**
   * Waits `ms` for a slow call. Resolves true when the time has passed, false when the emulator
   * closed first (the call is then dropped, neither done nor answered).
   */
  delay(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => sleeper.wake(true), ms),
        wake: (elapsed: boolean) => {
          clearTimeout(sleeper.timer);
          this.sleepers.delete(sleeper);
          resolve(elapsed);
        },
      };
      this.sleepers.add(sleeper);
    });
  }

  /** Ends every delay at once (the emulator is closing) so no timer outlives it. */
  close(): void {
    this.closed = true;
    for (const sleeper of [...this.sleepers]) sleeper.wake(false);
  }
}

/** A fault request that cannot be served; `field` names the offending field of the JSON body. */
export class FaultRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Upper bounds that keep a typo from stalling a run for hours. */
const MAX_COUNT = 100_000;
const MAX_DELAY_MS = 10 * 60_000;
const MAX_RETRY_AFTER_SECONDS = 3600;
const FIELDS = ['method', 'kind', 'count', 'retryAfterSeconds', 'delayMs'];

/**
 * Reads the body of `POST /emulator/faults`, e.g.
 * `{"method":"chat.postMessage","kind":"slow","count":3,"delayMs":15000}`.
 *
 * `kind` is required; `count` (default 1) is how many calls meet the fault; `method` (default:
 * every method) must be one the emulator serves; `retryAfterSeconds` (1..3600) belongs to
 * `rate-limited` only and `delayMs` (0..600000) to `slow` and `slow-answer` only.
 *
 * @param knownMethods - the Web API methods the emulator serves.
 * @throws FaultRequestError naming the first field that is missing, unknown or out of range.
 */
export function parseFaultRequest(
  input: unknown,
  knownMethods: readonly string[],
): { fault: Fault; method?: string; count: number } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new FaultRequestError(
      '',
      'expected a JSON object such as {"method":"chat.postMessage","kind":"rate-limited","count":1,"retryAfterSeconds":5}',
    );
  const body = input as Record<string, unknown>;
  for (const field of Object.keys(body))
    if (!FIELDS.includes(field))
      throw new FaultRequestError(field, `unknown field "${field}"; expected one of ${FIELDS.join(', ')}`);

  const kind = body.kind;
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind))
    throw new FaultRequestError(
      'kind',
      `field "kind" must be one of ${FAULT_KINDS.join(', ')} (got ${JSON.stringify(kind ?? null)})`,
    );

  let method: string | undefined;
  if (body.method !== undefined) {
    if (typeof body.method !== 'string' || !knownMethods.includes(body.method))
      throw new FaultRequestError(
        'method',
        `field "method" must be a Web API method the emulator serves, such as chat.postMessage (got ${JSON.stringify(body.method)})`,
      );
    method = body.method;
  }

  const count = body.count === undefined ? 1 : wholeNumber(body, 'count', 1, MAX_COUNT);
  const expects = (field: 'retryAfterSeconds' | 'delayMs', kinds: FaultKind[]): boolean => {
    const belongs = kinds.includes(kind as FaultKind);
    if (!belongs && body[field] !== undefined)
      throw new FaultRequestError(field, `field "${field}" applies only to kind ${kinds.join(' or ')}`);
    if (belongs && body[field] === undefined)
      throw new FaultRequestError(field, `field "${field}" is required for kind ${kind}`);
    return belongs;
  };
  const rateLimited = expects('retryAfterSeconds', ['rate-limited']);
  const delayed = expects('delayMs', ['slow', 'slow-answer']);

  let fault: Fault;
  if (rateLimited)
    fault = {
      kind: 'rate-limited',
      retryAfterSeconds: wholeNumber(body, 'retryAfterSeconds', 1, MAX_RETRY_AFTER_SECONDS),
    };
  else if (delayed)
    fault = { kind: kind as 'slow' | 'slow-answer', delayMs: wholeNumber(body, 'delayMs', 0, MAX_DELAY_MS) };
  else fault = { kind: 'server-error' };
  return { fault, method, count };
}

function wholeNumber(body: Record<string, unknown>, field: string, min: number, max: number): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new FaultRequestError(
      field,
      `field "${field}" must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  return value;
}
