import type { Client } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { classInfrastructure } from '../../activities/ledger-activities';
import { readKillSwitch } from '../../client/kill-switch';
import { missingForNextRung } from '../../policy/ledger-reducer';
import { SERIES_DAYS } from '../../policy/ledger-series';
import type { LoadedPolicy } from '../../policy/loader';
import { own } from '../../policy/own';
import type { PromotionVerdict } from '../../policy/trust-rules';
import { agentClassViewOf, dailyMedians, type AgentClassView } from '../model/agent-class';
import { gridOf, type GridView, type LedgerRead } from '../model/grid';
import { pendingOf, type PendingView } from '../model/pending';
import { mapBounded } from '../../client/map-bounded';
import { createRefreshingCache } from '../refreshing-cache';
import {
  READ_CONCURRENCY,
  readCanary,
  readLedgerOverview,
  readLedgerSeries,
  readTask,
  readTurnDurations,
  readWaitingTasks,
  type TaskRead,
} from './temporal-reads';

/** The main page's figures and when they were read. */
export interface Overview {
  grid: GridView;
  pending: PendingView;
  readAtMs: number;
}

/** The agent × class page's figures. */
export interface AgentClassPage {
  view: AgentClassView;
  verdict: PromotionVerdict | null;
  readAtMs: number;
}

/** What the pages read, each from a cache refreshed in the background. */
export interface DashboardData {
  overview(): Promise<Overview>;
  /** Null when the policy declares no such agent or class. */
  agentClass(agentId: string, taskClass: string): Promise<AgentClassPage | null>;
  task(workflowId: string): Promise<TaskRead | null>;
  /** Resolves once no read is in flight: call it before closing the Temporal connection. */
  settle(): Promise<void>;
}

/** Where the data come from and how fresh they must be. */
export interface DashboardDataOptions {
  client: Client;
  taskQueue: string;
  policy: () => LoadedPolicy;
  /** The policy file's path: the canary's next version is named relative to it. */
  policyPath: string;
  /** Age in ms past which a page's figures are refreshed in the background. */
  refreshMs: number;
  /** Running tasks read for the pending lists (the newest); more are counted, not listed. */
  pendingLimit?: number;
  /** Closed tasks read for one agent × class's turn durations (the newest). */
  durationLimit?: number;
  onError?: (what: string, err: unknown) => void;
}

/**
 * The dashboard's reads behind caches: one overview (ledgers of every agent, kill switch, canary,
 * running tasks), agent × class pages and task pages, each served from memory and refreshed in the
 * background once older than `refreshMs`. A request never fans out to every workflow; a refresh
 * reads each agent's ledger once and at most `pendingLimit` running tasks.
 */
export function createDashboardData(options: DashboardDataOptions): DashboardData {
  const { client, taskQueue } = options;
  const registry = createActionRegistry();
  const caches = { ttlMs: options.refreshMs, onError: options.onError };
  const overview = createRefreshingCache<Overview>(
    async () => {
      const policy = options.policy();
      const agents = Object.keys(policy.agents);
      const [killSwitch, canary, reads, waiting] = await Promise.all([
        readKillSwitch(client, taskQueue).catch(() => null),
        readCanary(client, taskQueue, policy, options.policyPath).catch(() => null),
        mapBounded(agents, READ_CONCURRENCY, (a) => readLedgerOverview(client, taskQueue, a)),
        readWaitingTasks(client, taskQueue, options.pendingLimit ?? 50),
      ]);
      const ledgers = new Map<string, LedgerRead>(agents.map((a, i) => [a, reads[i]]));
      const readAtMs = Date.now();
      return {
        grid: gridOf(policy, ledgers, killSwitch, canary),
        pending: pendingOf(
          waiting.tasks,
          reads.filter((r) => r !== null && r !== 'error'),
          readAtMs,
          waiting.notShown,
        ),
        readAtMs,
      };
    },
    { ...caches, maxKeys: 1 },
  );
  const agentClass = createRefreshingCache<AgentClassPage>(
    async (key) => {
      const [agentId, taskClass] = JSON.parse(key) as [string, string];
      const policy = options.policy();
      const nowMs = Date.now();
      const [read, series, closed] = await Promise.all([
        readLedgerOverview(client, taskQueue, agentId),
        readLedgerSeries(client, taskQueue, agentId),
        readTurnDurations(
          client,
          taskQueue,
          agentId,
          taskClass,
          nowMs - SERIES_DAYS * 86_400_000,
          options.durationLimit ?? 1000,
        ),
      ]);
      const ledger = read === 'error' ? null : read;
      const view = agentClassViewOf(policy, agentId, taskClass, ledger, series, dailyMedians(closed), nowMs);
      const verdict = ledger
        ? missingForNextRung(ledger, taskClass, {
            policy,
            infrastructure: (c) => classInfrastructure(policy, registry, c),
            nowMs,
          })
        : null;
      return { view, verdict, readAtMs: nowMs };
    },
    { ...caches, maxKeys: 200 },
  );
  const tasks = createRefreshingCache<TaskRead | null>((id) => readTask(client, id), {
    ...caches,
    maxKeys: 100,
  });
  return {
    overview: () => overview.get('overview'),
    async agentClass(agentId, taskClass) {
      const policy = options.policy();
      if (!own(policy.agents, agentId) || !own(policy.taskClasses, taskClass)) return null;
      return agentClass.get(JSON.stringify([agentId, taskClass]));
    },
    task: (workflowId) => tasks.get(workflowId),
    async settle() {
      await Promise.all([overview.settle(), agentClass.settle(), tasks.settle()]);
    },
  };
}
