// Policy files for the reload benchmark: as large as the default 1 MiB limit lets through, valid
// and invalid, plus an alias bomb. Generated from the example policy so they look like real ones.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';

/** Just under the loader's default limit (1 MiB), so every variant is parsed rather than refused by size. */
export const LARGE_POLICY_BYTES = 1_040_000;

/** The checkout's root, from `bench/` (sources, as tests import it) or `dist/bench/` (built). */
const ROOT = existsSync(resolve(__dirname, '..', 'package.json'))
  ? resolve(__dirname, '..')
  : resolve(__dirname, '..', '..');
const EXAMPLE = resolve(ROOT, 'examples', 'policy.yaml');

/** The example policy as data, without its keys file (the benchmark verifies no answers). */
function exampleDocument(version: string): Record<string, unknown> {
  const doc = parse(readFileSync(EXAMPLE, 'utf8'), { merge: true }) as Record<string, unknown>;
  doc.version = version;
  doc.answers = { ttl: '15m' };
  return doc;
}

/** One generated agent; `broken` gives it four schema and reference errors. */
function agent(i: number, broken: boolean): Record<string, unknown> {
  if (!broken)
    return {
      owner: 'U0SRE0001',
      model: 'claude-sonnet-4-5',
      promptVersion: `ops-v${i % 50}`,
      rungs: { 'config-change': i % 6, deploy: i % 5, 'db-migration': i % 3 },
    };
  return {
    owner: 42,
    ownr: 'U0SRE0001',
    model: 'claude-sonnet-4-5',
    promptVersion: `ops-v${i % 50}`,
    rungs: { 'config-change': 9, [`no-such-class-${i % 7}`]: 2 },
  };
}

function withAgents(version: string, count: number, broken: boolean): string {
  const doc = exampleDocument(version);
  const agents = { ...(doc.agents as Record<string, unknown>) };
  for (let i = 0; i < count; i++) agents[`bench-agent-${String(i).padStart(5, '0')}`] = agent(i, broken);
  doc.agents = agents;
  return stringify(doc);
}

/**
 * A policy of about `targetBytes` (never more), made of the example policy plus generated agents,
 * padded with a comment to the exact size.
 *
 * @param broken - false: every agent is valid and the file loads. true: every generated agent has
 *   four errors (tens of thousands in all), so the file is refused after a full parse.
 * @param version - the declared version; different versions make different content hashes.
 */
export function largePolicy(version: string, broken: boolean, targetBytes = LARGE_POLICY_BYTES): string {
  const per =
    Buffer.byteLength(withAgents(version, 100, broken)) - Buffer.byteLength(withAgents(version, 0, broken));
  let count = Math.floor((targetBytes - Buffer.byteLength(withAgents(version, 0, broken))) / (per / 100));
  let text = withAgents(version, count, broken);
  while (Buffer.byteLength(text) > targetBytes - 2) text = withAgents(version, (count -= 10), broken);
  const pad = targetBytes - Buffer.byteLength(text) - 3;
  return `${text}#${'-'.repeat(Math.max(0, pad))}\n`;
}

/** "Billion laughs": nine levels of nine aliases, 9^9 strings once expanded; `salt` varies the bytes. */
export function aliasBomb(salt: string): string {
  const names = 'abcdefghi';
  let text = `# ${salt}\na: &a [${Array(9).fill('"lol"').join(', ')}]\n`;
  for (let i = 1; i < names.length; i++) {
    text += `${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(', ')}]\n`;
  }
  return text;
}
