import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LedgerState } from '../policy/ledger';
import type { DailySeries } from '../policy/ledger-series';
import { agentTokens } from '../workflows/agent-tokens';
import {
  agentTokensWorkflowId,
  exportTokensQuery,
  type TokenRecord,
} from '../workflows/agent-token-messages';
import { killSwitch } from '../workflows/kill-switch';
import { standingApprovals } from '../workflows/standing-approvals';
import { standingApprovalsWorkflowId, type StandingApproval } from '../workflows/standing-approval-messages';
import { listStandingApprovals } from './standing-approvals';
import {
  killSwitchWorkflowId,
  ledgerOverviewQuery,
  ledgerSeriesQuery,
  ledgerWorkflowId,
  type KillSwitchState,
} from '../workflows/messages';
import { trustLedger } from '../workflows/trust-ledger';
import { entityStartOptions } from './entity-start';
import { readKillSwitch } from './kill-switch';
import { ledgerStartOptions } from './ledger-link';

/** The file format `ladder state export` writes and `ladder state import` reads. */
export const STATE_FORMAT = 'ladder.state/v1';

/**
 * An agent's trust state as one deployment holds it: what each agent earned (rungs, evidence,
 * history, open proposals and audits, daily series), the run-time kill switch, and the agent
 * tokens' hashes, and the standing approvals in force or ended in the last day (absent in exports
 * made before they existed).
 */
export interface TrustStateExport {
  format: typeof STATE_FORMAT;
  exportedAt: string;
  from: { namespace: string; taskQueue: string };
  ledgers: { agentId: string; state: LedgerState; series: DailySeries }[];
  killSwitch: KillSwitchState;
  agentTokens: TokenRecord[];
  standingApprovals?: StandingApproval[];
}

async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * Reads the trust state of the deployment on `taskQueue`: the ledger of each of `agentIds` that
 * has one (agents without evidence have nothing earned to move), the kill switch and the token
 * registry. The ledgers' dedupe sets are left behind: they guard against this deployment's retries.
 */
export async function exportTrustState(
  client: Client,
  options: { taskQueue: string; agentIds: readonly string[]; nowMs: number },
): Promise<TrustStateExport> {
  const ledgers: TrustStateExport['ledgers'] = [];
  for (const agentId of options.agentIds) {
    const handle = client.workflow.getHandle(ledgerWorkflowId(options.taskQueue, agentId));
    const state = await orNull(() => handle.query(ledgerOverviewQuery));
    if (!state) continue;
    const series = (await orNull(() => handle.query(ledgerSeriesQuery))) ?? {};
    ledgers.push({ agentId, state: { ...state, seen: [] }, series });
  }
  const tokens = await orNull(() =>
    client.workflow.getHandle(agentTokensWorkflowId(options.taskQueue)).query(exportTokensQuery),
  );
  return {
    format: STATE_FORMAT,
    exportedAt: new Date(options.nowMs).toISOString(),
    from: { namespace: client.options.namespace, taskQueue: options.taskQueue },
    ledgers,
    killSwitch: await readKillSwitch(client, options.taskQueue),
    agentTokens: tokens ?? [],
    standingApprovals: await listStandingApprovals(client, options.taskQueue),
  };
}

/** Why an import was refused before anything started. */
export class StateImportError extends Error {}

/** What an import started, by workflow id. */
export interface ImportReport {
  started: string[];
}

/**
 * Starts the target deployment's entity workflows with the exported state: each agent's ledger,
 * the kill switch (when anything was engaged), the token registry (when there are tokens) and the
 * standing approvals (when there are any).
 *
 * All or nothing as far as Temporal allows: every target is checked first, and if any of them
 * already runs (the target has state of its own), nothing starts and the error lists them all.
 *
 * @throws StateImportError listing the targets that already run.
 */
export async function importTrustState(
  client: Client,
  options: { taskQueue: string },
  data: TrustStateExport,
): Promise<ImportReport> {
  const { taskQueue } = options;
  const engaged =
    data.killSwitch.all !== null ||
    Object.keys(data.killSwitch.agents).length > 0 ||
    Object.keys(data.killSwitch.classes ?? {}).length > 0;
  const starts: { workflowId: string; start: () => Promise<unknown> }[] = [
    ...data.ledgers.map(({ agentId, state, series }) => {
      const startOptions = ledgerStartOptions(taskQueue, agentId);
      return {
        workflowId: startOptions.workflowId,
        start: () =>
          client.workflow.start(trustLedger, { ...startOptions, args: [{ agentId, state, series }] }),
      };
    }),
    ...(engaged
      ? [
          {
            workflowId: killSwitchWorkflowId(taskQueue),
            start: () =>
              client.workflow.start(killSwitch, {
                workflowId: killSwitchWorkflowId(taskQueue),
                ...entityStartOptions(taskQueue),
                args: [data.killSwitch],
              }),
          },
        ]
      : []),
    ...(data.agentTokens.length > 0
      ? [
          {
            workflowId: agentTokensWorkflowId(taskQueue),
            start: () =>
              client.workflow.start(agentTokens, {
                workflowId: agentTokensWorkflowId(taskQueue),
                ...entityStartOptions(taskQueue),
                args: [{ tokens: data.agentTokens }],
                staticSummary: 'agent token registry (hashes only)',
              }),
          },
        ]
      : []),
    ...((data.standingApprovals ?? []).length > 0
      ? [
          {
            workflowId: standingApprovalsWorkflowId(taskQueue),
            start: () =>
              client.workflow.start(standingApprovals, {
                workflowId: standingApprovalsWorkflowId(taskQueue),
                ...entityStartOptions(taskQueue),
                args: [data.standingApprovals],
              }),
          },
        ]
      : []),
  ];
  const running: string[] = [];
  for (const { workflowId } of starts) {
    const described = await orNull(() => client.workflow.getHandle(workflowId).describe());
    if (described?.status.name === 'RUNNING') running.push(workflowId);
  }
  if (running.length > 0)
    throw new StateImportError(
      `the target already holds trust state, nothing was imported: ${running.join(', ')} already run${running.length === 1 ? 's' : ''} on task queue ${taskQueue}`,
    );
  const started: string[] = [];
  for (const { workflowId, start } of starts) {
    try {
      await start();
    } catch (err) {
      throw new StateImportError(
        `import stopped at ${workflowId}: ${(err as Error).message}${started.length > 0 ? ` (already started: ${started.join(', ')})` : ''}`,
      );
    }
    started.push(workflowId);
  }
  return { started };
}
