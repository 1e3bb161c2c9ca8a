import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { ensureLocalKeysForPolicies } from '../local-keys';
import { SOURCES } from './paths';

/** The demo service's address in the example policy, replaced by the chaos stack's own. */
const EXAMPLE_DEMO_HOST = '127.0.0.1:4100';
/** Far above what one run can use: the mix must not fall back to confirmation on a daily quota. */
const UNLIMITED = 1_000_000;

/**
 * The policy a chaos run uses: the example policy (so what it tests is what the project ships),
 * with only what a test stack needs changed, each for a stated reason:
 *
 * - every `127.0.0.1:4100` (the demo service's bounds, credentials, idempotency declarations) names
 *   the chaos stack's demo service instead;
 * - answer keys come from the run's own keys folder;
 * - daily quotas are unlimited, so hundreds of tasks stay at the rung the mix asks for;
 * - health windows are a few seconds, so rung-4 tasks finish in a run of minutes;
 * - `shell.exec` is inside the deploy bounds and `file.write` inside the config-change bounds, so
 *   both actions are also run autonomously (rungs 3 to 5), not only after an approval;
 * - customer-email gets a host bound (the demo service's helpdesk), so accepted reply drafts can
 *   be sent (a class without one may make no HTTP call).
 *
 * @returns the path of the written policy and the policy as loaded (validated).
 * @throws {PolicyError} when the result does not validate; Error when the example no longer has a
 *   task class the chaos mix relies on.
 */
export function writeChaosPolicy(
  dir: string,
  demoHost: string,
  keysDir: string,
): { path: string; policy: LoadedPolicy } {
  const text = readFileSync(SOURCES.policy, 'utf8').replaceAll(EXAMPLE_DEMO_HOST, demoHost);
  const doc = parseDocument(text);
  doc.setIn(['answers', 'keysFile'], join(keysDir, 'answer-keys.json'));
  const classes = doc.getIn(['taskClasses']);
  if (!isMap(classes)) throw new Error(`${SOURCES.policy}: expected a taskClasses map`);
  for (const item of classes.items) {
    const name = String((item.key as { value?: unknown }).value ?? item.key);
    if (doc.hasIn(['taskClasses', name, 'bounds', 'perDay'])) {
      doc.setIn(
        ['taskClasses', name, 'bounds', 'perDay'],
        doc.createNode({ count: UNLIMITED, costUsd: UNLIMITED }),
      );
    }
    if (doc.hasIn(['taskClasses', name, 'rollback'])) {
      doc.setIn(
        ['taskClasses', name, 'rollback'],
        doc.createNode({ healthWindow: '4s', healthInterval: '2s' }),
      );
    }
  }
  requireClass(doc, 'deploy');
  requireClass(doc, 'config-change');
  requireClass(doc, 'customer-email');
  requireClass(doc, 'db-migration');
  addBoundAction(doc, 'deploy', 'shell.exec');
  addBoundAction(doc, 'config-change', 'file.write');
  if (!doc.hasIn(['taskClasses', 'customer-email', 'bounds'])) {
    doc.setIn(
      ['taskClasses', 'customer-email', 'bounds'],
      doc.createNode({
        actions: ['http.request'],
        environments: ['production'],
        perDay: { count: UNLIMITED, costUsd: UNLIMITED },
        hosts: [demoHost],
      }),
    );
  }
  const path = join(dir, 'policy.yaml');
  writeFileSync(
    path,
    `# Written by the chaos run from ${SOURCES.policy}; see scripts/chaos/policy.ts for every change.\n${doc.toString()}`,
  );
  ensureLocalKeysForPolicies(keysDir, [path]);
  return { path, policy: loadPolicyFile(path).policy };
}

function requireClass(doc: Document, name: string): void {
  if (!doc.hasIn(['taskClasses', name]))
    throw new Error(`${SOURCES.policy} has no task class "${name}", which the chaos task mix uses`);
}

function addBoundAction(doc: Document, taskClass: string, action: string): void {
  const actions = doc.getIn(['taskClasses', taskClass, 'bounds', 'actions']);
  if (!isSeq(actions))
    throw new Error(
      `${SOURCES.policy}: task class "${taskClass}" has no bounds.actions list to add ${action} to`,
    );
  if (!actions.items.some((i) => (i as { value?: unknown }).value === action))
    actions.add(doc.createNode(action));
}
