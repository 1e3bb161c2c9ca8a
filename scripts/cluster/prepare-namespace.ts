import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { DAY_MS, formatRetention, readRetentionMs } from '../retention';
import { LADDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

// Run by scripts/cluster.sh once the cluster's services are up: creates Ladder's namespace and
// registers Ladder's search attributes on the cluster's SQL visibility store, then waits until a
// workflow carrying every one of them is accepted and found again by a visibility query. A cluster's
// services cache namespaces and search attributes (for up to a minute), so "registered" is not yet
// "usable": the probe is what makes `cluster.sh up` return only when Ladder can run.

/** What {@link prepareNamespace} did, for cluster.sh's output. */
export interface PreparedNamespace {
  namespace: string;
  created: boolean;
  retentionMs: number | null;
  addedSearchAttributes: string[];
  /** Milliseconds from the first probe until a probe workflow was found by its search attributes. */
  probeMs: number;
}

/** Options for {@link prepareNamespace}. */
export interface PrepareOptions {
  address: string;
  namespace: string;
  /** Retention for a namespace this creates, in whole days; an existing namespace keeps its own. */
  retentionDays: number;
  /** How long to wait for the frontend, then for the probe, each in milliseconds. */
  timeoutMs: number;
  log?: (line: string) => void;
}

/**
 * Makes `namespace` on the cluster at `address` ready for Ladder: creates it (with `retentionDays`)
 * when missing, adds whichever of Ladder's search attributes it lacks, and returns once a probe
 * workflow with all of them set is listed by a visibility query on `AgentId`. Idempotent.
 *
 * @throws Error naming the address when the frontend does not answer within `timeoutMs`; naming the
 *   attribute when the namespace already has it with another type; with the last server error when
 *   the probe is not found within `timeoutMs`.
 */
export async function prepareNamespace(options: PrepareOptions): Promise<PreparedNamespace> {
  const log = options.log ?? (() => undefined);
  const connection = await waitForFrontend(options.address, options.timeoutMs);
  try {
    const service = connection.workflowService;
    const created = await ensureNamespace(connection, options.namespace, options.retentionDays);
    if (created) log(`created namespace ${options.namespace} (retention ${options.retentionDays} days)`);
    const retentionMs = await untilFound(options.namespace, options.timeoutMs, () =>
      readRetentionMs(service, options.namespace),
    );
    const addedSearchAttributes = await untilFound(options.namespace, options.timeoutMs, () =>
      ensureSearchAttributes(connection, options.namespace),
    );
    if (addedSearchAttributes.length > 0)
      log(`registered search attributes ${addedSearchAttributes.join(', ')}`);
    const probeMs = await probeVisibility(connection, options.namespace, options.timeoutMs);
    return { namespace: options.namespace, created, retentionMs, addedSearchAttributes, probeMs };
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function waitForFrontend(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  let lastError: string;
  for (;;) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (err) {
      lastError = (err as Error).message;
      await connection?.close().catch(() => undefined);
    }
    if (Date.now() > deadline)
      throw new Error(
        `the cluster's frontend at ${address} did not answer within ${timeoutMs / 1000}s (last error: ${lastError})`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Calls `read` until it stops failing with NOT_FOUND: a namespace just registered is found by every
 * frontend call only once the frontend's namespace cache refreshes (every few seconds).
 */
async function untilFound<T>(namespace: string, timeoutMs: number, read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!isGrpcCode(err, 5 /* NOT_FOUND */) || Date.now() > deadline)
        throw new Error(`namespace ${namespace} was not found on the cluster: ${(err as Error).message}`, {
          cause: err,
        });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Creates the namespace when describe says it does not exist; true when this call created it. */
async function ensureNamespace(
  connection: Connection,
  namespace: string,
  retentionDays: number,
): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (err) {
    if (!isGrpcCode(err, 5 /* NOT_FOUND */)) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msNumberToTs(retentionDays * DAY_MS),
    });
    return true;
  } catch (err) {
    // Another `cluster.sh up` created it between our describe and register.
    if (isGrpcCode(err, 6 /* ALREADY_EXISTS */)) return false;
    throw err;
  }
}

/** Adds the Ladder search attributes the namespace lacks; returns their names. */
async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const missing: Record<string, NonNullable<ReturnType<typeof encodeSearchAttributeIndexedValueType>>> = {};
  for (const key of LADDER_SEARCH_ATTRIBUTES) {
    const have = custom[key.name];
    if (have === undefined) {
      const wanted = encodeSearchAttributeIndexedValueType(key.type);
      if (wanted === undefined) throw new Error(`search attribute ${key.name}: unknown type ${key.type}`);
      missing[key.name] = wanted;
      continue;
    }
    const haveType = Object.values(SearchAttributeType).find(
      (type) => encodeSearchAttributeIndexedValueType(type) === have,
    );
    if (haveType !== key.type)
      throw new Error(
        `namespace ${namespace} already has search attribute ${key.name} of type ${haveType ?? have}, but Ladder needs ${key.type}; ` +
          'remove it (temporal operator search-attribute remove) or use another namespace',
      );
  }
  const names = Object.keys(missing);
  if (names.length > 0)
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return names;
}

/**
 * Starts a workflow with every Ladder search attribute set (on a task queue no worker polls), and
 * waits until a visibility query by its `AgentId` lists it: proof that the frontend accepts the
 * attributes and the history service writes them to SQL visibility. The probe is then deleted.
 */
async function probeVisibility(
  connection: Connection,
  namespace: string,
  timeoutMs: number,
): Promise<number> {
  const client = new Client({ connection, namespace });
  const agentId = `ladder-cluster-probe-${randomUUID().slice(0, 8)}`;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let lastError = 'not listed yet';
  let workflowId: string | undefined;
  try {
    for (;;) {
      try {
        if (workflowId === undefined) {
          const id = `${agentId}-${Date.now()}`;
          await client.workflow.start('LadderClusterProbe', {
            workflowId: id,
            taskQueue: 'ladder-cluster-probe',
            typedSearchAttributes: LADDER_SEARCH_ATTRIBUTES.map(probeValue(agentId)),
            workflowExecutionTimeout: '10 minutes',
          });
          workflowId = id;
        }
        for await (const found of client.workflow.list({ query: `AgentId = "${agentId}"` })) {
          if (found.workflowId === workflowId) return Date.now() - started;
        }
      } catch (err) {
        lastError = (err as Error).message;
      }
      if (Date.now() > deadline)
        throw new Error(
          `Ladder's search attributes are registered on namespace ${namespace} but a probe workflow using them was not listed within ${timeoutMs / 1000}s (last: ${lastError})`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    if (workflowId !== undefined) await removeProbe(client, namespace, workflowId);
  }
}

async function removeProbe(client: Client, namespace: string, workflowId: string): Promise<void> {
  await client.workflow
    .getHandle(workflowId)
    .terminate('cluster readiness probe')
    .catch(() => undefined);
  // Deleted so that dashboards and "all workflows" lists never show it.
  await client.workflowService
    .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } })
    .catch(() => undefined);
}

function probeValue(agentId: string) {
  return (key: (typeof LADDER_SEARCH_ATTRIBUTES)[number]): SearchAttributePair => {
    const values: { [T in SearchAttributeType]: unknown } = {
      KEYWORD: agentId,
      TEXT: agentId,
      INT: 0,
      DOUBLE: 0,
      BOOL: false,
      DATETIME: new Date(),
      KEYWORD_LIST: [agentId],
    };
    return { key, value: values[key.type] } as SearchAttributePair;
  };
}

function isGrpcCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

function argument(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

/**
 * `node dist/scripts/cluster/prepare-namespace.js --address HOST:PORT --namespace NS
 * --retention-days N [--timeout-seconds S]`: prints one summary line; exit 1 with the reason on failure.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const address = argument(args, '--address');
  const namespace = argument(args, '--namespace') ?? 'default';
  const retentionDays = Number(argument(args, '--retention-days') ?? '30');
  const timeoutSeconds = Number(argument(args, '--timeout-seconds') ?? '180');
  if (!address || !Number.isInteger(retentionDays) || retentionDays < 1 || !(timeoutSeconds > 0)) {
    process.stderr.write(
      'usage: prepare-namespace --address HOST:PORT [--namespace NS] [--retention-days N>=1] [--timeout-seconds S]\n',
    );
    process.exit(2);
  }
  try {
    const done = await prepareNamespace({
      address,
      namespace,
      retentionDays,
      timeoutMs: timeoutSeconds * 1000,
      log: (line) => process.stdout.write(`cluster: ${line}\n`),
    });
    process.stdout.write(
      `cluster: namespace ${done.namespace} ready (retention ${formatRetention(done.retentionMs)}; ` +
        `search attributes ${LADDER_SEARCH_ATTRIBUTES.map((k) => k.name).join(', ')} usable after ${(done.probeMs / 1000).toFixed(1)}s)\n`,
    );
    process.exit(0);
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main();
