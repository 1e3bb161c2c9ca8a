// The last good policy, persisted where a fresh process on the same machine finds it: the CLI
// compares a file against it (`policy check`), and a restarted worker is still governed by the
// guard of the version it had in force instead of trusting whatever the file says now.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config/env';
import { policySha256, type PolicySigner } from './policy-signature';

/** What is kept beside the text. */
export interface LastGoodPolicyMeta {
  versionId: string;
  contentHash: string;
  /** The declared `version` field. */
  version: string;
  /** Absolute path of the policy file it was loaded from. */
  source: string;
  /** When the loading process took it (ISO-8601). */
  loadedAt: string;
  /** Admins whose signatures came with it; empty when unsigned. */
  signers: PolicySigner[];
  /** `user@host` of the process that loaded it. */
  loader: string;
}

/** The two files under a state folder. */
export function lastGoodPolicyPaths(stateDir: string): { yaml: string; json: string } {
  return { yaml: join(stateDir, 'last-good-policy.yaml'), json: join(stateDir, 'last-good-policy.json') };
}

/**
 * The state folder from `LADDER_STATE_DIR` (default `.temporal/state`). Falls back to the variable
 * itself when other settings are invalid: the policy commands must work without a full config.
 */
export function policyStateDir(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return loadConfig(env).actions.stateDir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return env.LADDER_STATE_DIR || '.temporal/state';
  }
}

function writeAtomically(path: string, text: string): void {
  // Rename over the old file, so a reader never sees half a policy.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Writes the text and its metadata (text first: metadata never names a text that is not there). */
export function writeLastGoodPolicy(stateDir: string, text: string, meta: LastGoodPolicyMeta): void {
  mkdirSync(stateDir, { recursive: true });
  const paths = lastGoodPolicyPaths(stateDir);
  writeAtomically(paths.yaml, text);
  writeAtomically(paths.json, `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * Reads the last good policy, or null when there is none or it does not match its metadata (a
 * half-finished write by a crashed process).
 */
export function readLastGoodPolicy(stateDir: string): { text: string; meta: LastGoodPolicyMeta } | null {
  const paths = lastGoodPolicyPaths(stateDir);
  if (!existsSync(paths.yaml) || !existsSync(paths.json)) return null;
  try {
    const text = readFileSync(paths.yaml, 'utf8');
    const meta = JSON.parse(readFileSync(paths.json, 'utf8')) as LastGoodPolicyMeta;
    if (typeof meta.contentHash !== 'string' || meta.contentHash !== policySha256(text)) return null;
    return { text, meta };
  } catch {
    return null;
  }
}

/** True when the last good policy came from this policy file. */
export function isSamePolicyFile(meta: LastGoodPolicyMeta, path: string): boolean {
  return resolve(meta.source) === resolve(path);
}
