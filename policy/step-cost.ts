import { own } from './own';

/** The part of a step its charge depends on. */
export interface PricedStep {
  action: string;
  /** What the agent declares the step costs, in USD; absent: nothing. */
  costUsd?: number;
}

/**
 * What a task's steps are charged against a class's `perDay.costUsd`, in USD: each step the
 * greater of what the agent declares and its action's price in `bounds.stepCostUsd`, so an agent
 * that declares less (or nothing) cannot spend past the daily budget. Without prices this is the
 * declared sum, as before prices existed.
 *
 * Summed left to right from 0, so the decision and the quota ledger's reservation get the same
 * float for the same steps. Pure; a few nanoseconds a step.
 *
 * @param steps - the task's steps, in order.
 * @param prices - the class's `bounds.stepCostUsd` (action → USD), if any.
 * @returns the charge in USD, ≥ 0.
 */
export function chargedCostUsd(
  steps: readonly PricedStep[],
  prices: Readonly<Record<string, number>> | undefined,
): number {
  let cost = 0;
  for (let i = 0; i < steps.length; i++) {
    const declared = steps[i].costUsd ?? 0;
    const price = prices === undefined ? undefined : own(prices, steps[i].action);
    cost += price !== undefined && price > declared ? price : declared;
  }
  return cost;
}
