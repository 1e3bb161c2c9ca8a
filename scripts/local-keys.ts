import { readFileSync } from 'node:fs';
import { ensureLocalKeys, localKeyLayout } from '../client/answer-signer';
import { parsePolicy } from '../policy/loader';
import { policyPeopleAndChannels } from '../slack/emulator/policy-people';

/**
 * For the local stack only: makes the frontend key and one operator key per person each policy
 * names, and writes their public halves where `answers.keysFile` of the example policy points.
 * In production every operator makes their own key and admins list it in the policy.
 *
 * @returns the number of keys in the public keys file.
 */
export function ensureLocalKeysForPolicies(keysDir: string, policyPaths: readonly string[]): number {
  const people = new Set<string>();
  for (const path of policyPaths) {
    const result = parsePolicy(readFileSync(path, 'utf8'), path, { readKeysFile: false });
    // An invalid policy is reported by whoever loads it next; it names nobody to make keys for.
    if (!result.ok) continue;
    for (const user of policyPeopleAndChannels(result.policy).users) people.add(user.id);
    for (const members of Object.values(result.policy.groups)) members.forEach((m) => people.add(m));
  }
  return ensureLocalKeys(localKeyLayout(keysDir), [...people]).length;
}
