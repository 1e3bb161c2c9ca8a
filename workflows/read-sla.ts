import { condition } from '@temporalio/workflow';

/** One contact of an escalation chain, with its delay from when the report was posted. */
export interface EscalationStep {
  afterMs: number;
  notify: string;
}

/**
 * Waits for a report to be read under its SLA: unread at each escalation delay (measured from
 * posting), `ping` is called for that step; the wait ends at the later of the SLA and the last
 * escalation. Shared by per-action reports and digests.
 *
 * @returns whether the report was read in time.
 */
export async function awaitReadWithEscalation(options: {
  read: () => boolean;
  escalation: readonly EscalationStep[];
  readSlaMs: number;
  ping: (index: number, step: EscalationStep) => Promise<void>;
}): Promise<boolean> {
  let waited = 0;
  for (let i = 0; i < options.escalation.length; i++) {
    const step = options.escalation[i];
    if (await condition(options.read, Math.max(0, step.afterMs - waited))) return true;
    waited = step.afterMs;
    await options.ping(i, step);
  }
  return condition(options.read, Math.max(0, options.readSlaMs - waited));
}
