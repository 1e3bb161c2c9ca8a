import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { listPolicyVersions } from '../activities/policy-history-link';
import { localKeyLayout } from '../client/answer-signer';
import { ConfigError, loadConfig, type Config } from '../config/env';
import {
  isSamePolicyFile,
  lastGoodPolicyPaths,
  policyStateDir,
  readLastGoodPolicy,
} from '../policy/last-good-policy';
import { parsePolicy, type LoadedPolicy } from '../policy/loader';
import {
  addPolicySignature,
  checkPolicySignatures,
  readPolicySignatures,
  signatureFilePath,
  signPolicyText,
  type SignatureVerdict,
} from '../policy/policy-signature';
import { connectClient } from '../worker/connection';
import type { PolicyVersionEntry } from '../workflows/policy-version-messages';
import { operatorSigner } from './operator-key';
import { CliError, readText } from './policy-commands';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

function configOrFail(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(err.problems.map((p) => `Configuration error: ${p}`).join('\n'));
    throw err;
  }
}

/**
 * The policy in force for `file` as this machine last saw it (the worker persists it), or null
 * when no process has loaded this file here: then the file's own guard is what counts.
 */
export function inForcePolicyFor(file: string): LoadedPolicy | null {
  const saved = readLastGoodPolicy(policyStateDir());
  if (!saved || !isSamePolicyFile(saved.meta, file)) return null;
  const parsed = parsePolicy(saved.text, file);
  return parsed.ok ? parsed.policy : null;
}

/** Checks `file`'s signatures against the policy in force (or its own guard on a first load). */
export function policySignatureVerdict(
  file: string,
  text: string,
  loaded: LoadedPolicy,
): SignatureVerdict & { fileError?: string } {
  const signatures = readPolicySignatures(file);
  const verdict = checkPolicySignatures(text, loaded, inForcePolicyFor(file), signatures.file);
  return { ...verdict, ...(signatures.error ? { fileError: signatures.error } : {}) };
}

/**
 * Prints what `policy check` says about signatures: an error (thrown) when the version would be
 * refused, the signers otherwise, and warnings for signatures that do not count.
 *
 * @throws {CliError} listing every missing or invalid signature when the guard requires them.
 */
export function reportPolicySignatures(file: string, text: string, loaded: LoadedPolicy, io: Io): void {
  const verdict = policySignatureVerdict(file, text, loaded);
  const problems = [...(verdict.fileError ? [verdict.fileError] : []), ...verdict.problems];
  if (!verdict.ok) {
    throw new CliError(
      [
        `${file}: not signed as the policy in force requires (${signatureFilePath(file)}):`,
        ...problems.map((p) => `  ${p}`),
      ].join('\n'),
    );
  }
  for (const p of problems) io.err(`${file}: warning: (signatures): ${p}`);
  const guard = loaded.policyGuard;
  if (guard) {
    // A guard no set of admins' keys can satisfy would freeze the policy for good.
    const keyed = new Set(
      loaded.answerTrust.keys
        .filter(
          (k) =>
            k.kind === 'operator' &&
            k.person &&
            loaded.admins.includes(k.person) &&
            !loaded.answerTrust.revoked.includes(k.id),
        )
        .map((k) => k.person),
    );
    const most = Math.max(guard.requireSignatures, guard.sensitiveSignatures);
    if (keyed.size < most) {
      io.err(
        `${file}: warning: policyGuard: needs up to ${most} admins' signatures but only ${keyed.size} admin${keyed.size === 1 ? ' has' : 's have'} an operator key in answers; the policy could not be changed`,
      );
    }
  }
  if (verdict.signers.length > 0) {
    io.out(
      `${file}: signed by ${verdict.signers.map((s) => `${s.person} (${s.keyId})`).join(', ')}${verdict.required > 0 ? `; ${verdict.required} required` : ''}`,
    );
  }
}

function formatEntry(v: PolicyVersionEntry): string {
  const lines = [
    `#${v.seq} ${v.versionId}  loaded ${v.loadedAt}  by ${v.by.join(', ')}${v.signed ? ' [signed]' : ' [unsigned]'}`,
    `    sha256 ${v.contentHash}`,
    `    file ${v.source}, loaded by ${v.loader}${v.alsoLoadedBy > 0 ? ` (and ${v.alsoLoadedBy} more load${v.alsoLoadedBy === 1 ? '' : 's'})` : ''}`,
    v.previousVersionId
      ? `    +${v.linesAdded} -${v.linesRemoved} lines vs ${v.previousVersionId}${v.diffTruncated ? ' (diff cut)' : ''}${v.diffDropped ? ' (diff no longer kept)' : ''}`
      : '    first version recorded by that process',
  ];
  if (v.diff)
    lines.push(
      ...v.diff
        .trimEnd()
        .split('\n')
        .map((l) => `      ${l}`),
    );
  return lines.join('\n');
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(`${name}: expected a whole number ≥ 1, got "${value}"`);
    return n;
  };
}

/**
 * Registers `ladder policy sign` and `ladder policy history` on the `policy` command.
 *
 * @param loadOrFail - loads and validates a policy file, throwing a {@link CliError} with every error.
 */
export function registerPolicyGuardCommands(
  policy: Command,
  io: Io,
  loadOrFail: (file: string, io: Io) => LoadedPolicy,
): void {
  policy
    .command('sign')
    .argument('<file>', 'policy YAML file')
    .requiredOption('--as <admin>', 'the admin signing (Slack user id)')
    .option(
      '--key <file>',
      "the admin's operator key (default: LADDER_OPERATOR_KEY or <keys dir>/operators/<admin>.key.json)",
    )
    .description(`sign the exact bytes of a policy file as an admin; adds to <file>.sig.json`)
    .action((file: string, options: { as: string; key?: string }) => {
      const loaded = loadOrFail(file, io);
      const text = readText(file, 'policy file');
      const config = configOrFail();
      const signer = operatorSigner(config, options.as, options.key);
      if (signer.kind !== 'operator')
        throw new CliError(`${signer.keyId} is a frontend key; policies are signed with an admin's own key`);
      const keyPath =
        options.key ?? config.keys.operatorKey ?? localKeyLayout(config.keys.dir).operatorKey(options.as);
      const { privateKeyPem } = JSON.parse(readFileSync(keyPath, 'utf8')) as { privateKeyPem: string };
      const existing = readPolicySignatures(file);
      if (existing.error)
        io.err(`${file}: warning: replacing an unreadable signature file: ${existing.error}`);
      const next = addPolicySignature(existing.file, text, {
        keyId: signer.keyId,
        signature: signPolicyText(text, privateKeyPem),
      });
      if (
        existing.file &&
        existing.file.signatures.length > 0 &&
        existing.file.contentSha256 !== next.contentSha256
      ) {
        io.err(
          `${file}: warning: dropped ${existing.file.signatures.length} signature(s) made for an earlier version of the file`,
        );
      }
      writeFileSync(signatureFilePath(file), `${JSON.stringify(next, null, 2)}\n`);
      io.out(
        `${file}: signed by ${options.as} (${signer.keyId}); ${next.signatures.length} signature(s) in ${signatureFilePath(file)}`,
      );
      const verdict = policySignatureVerdict(file, text, loaded);
      if (verdict.required === 0) io.out(`${file}: no signatures are required by the policy in force`);
      else
        io.out(
          `${file}: ${verdict.signers.length} of ${verdict.required} required signature(s)${verdict.sensitive.length > 0 ? ` (changes ${verdict.sensitive.join(', ')})` : ''}${verdict.ok ? ': ready to load' : ''}`,
        );
      for (const p of verdict.problems.slice(verdict.ok ? 0 : 1)) io.err(`${file}: warning: ${p}`);
    });

  policy
    .command('history')
    .option('--limit <n>', 'how many versions, newest first', positiveInt('--limit'), 20)
    .option('--diff', "print each version's diff against the one before")
    .option('--json', 'print the versions as JSON')
    .description('list the policy versions the workers loaded: who, when, content hash, diff')
    .action(async (options: { limit: number; diff?: boolean; json?: boolean }) => {
      const config = configOrFail();
      let client: Client;
      try {
        client = await connectClient(config);
      } catch (err) {
        const saved = readLastGoodPolicy(config.actions.stateDir);
        const local = saved
          ? `\nthe last good policy on this machine is ${saved.meta.versionId}, loaded ${saved.meta.loadedAt} (${lastGoodPolicyPaths(config.actions.stateDir).yaml})`
          : '';
        throw new CliError(
          `cannot reach Temporal at ${config.temporal.address}: ${(err as Error).message}${local}`,
        );
      }
      try {
        const view = await listPolicyVersions(client, config.taskQueue, {
          limit: options.limit,
          withDiffs: options.diff,
        });
        if (options.json) {
          io.out(JSON.stringify(view, null, 2));
          return;
        }
        if (view.versions.length === 0) {
          io.out(
            `no policy version recorded yet for task queue "${config.taskQueue}" (is a worker running?)`,
          );
          return;
        }
        io.out(`${view.total} version(s) recorded for task queue "${config.taskQueue}", newest first:`);
        for (const v of view.versions) io.out(formatEntry(v));
      } finally {
        await client.connection.close();
      }
    });
}
