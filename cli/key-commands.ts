import { isSlackUserId } from '../policy/slack-ids';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  generateAnswerKey,
  localKeyLayout,
  publicAnswerKey,
  writeAnswerKeyFile,
} from '../client/answer-signer';
import { ConfigError, loadConfig } from '../config/env';
import { CliError } from './policy-commands';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Registers `ladder keys create`: makes an answer key pair for one operator (`--person`) or a
 * frontend (`--frontend <id>`), writes the private half (mode 0600) and prints the public entry an
 * admin adds to the policy's `answers.keys`.
 */
export function registerKeyCommands(program: Command, io: Io): void {
  const keys = program.command('keys').description('answer keys: who may vouch for a human answer');
  keys
    .command('create')
    .option('--person <userId>', "an operator's own key: answers only as this Slack user id")
    .option('--frontend <id>', "a frontend's key (e.g. a Slack app): signs for people it verified itself")
    .option('--out <file>', 'where to write the private key (default: the keys folder)')
    .option('--force', 'replace an existing key file')
    .description('make an Ed25519 answer key and print the public entry for the policy (answers.keys)')
    .action((options: { person?: string; frontend?: string; out?: string; force?: boolean }) => {
      if (!options.person === !options.frontend)
        throw new CliError('give exactly one of --person or --frontend');
      if (options.person && !isSlackUserId(options.person))
        throw new CliError(`--person: expected a Slack user id such as U012ABC, got "${options.person}"`);
      if (options.frontend && !/^[A-Za-z0-9._-]+$/.test(options.frontend))
        throw new CliError(
          `--frontend: expected an id of letters, digits, ".", "_" or "-", got "${options.frontend}"`,
        );
      let keysDir: string;
      try {
        keysDir = loadConfig().keys.dir;
      } catch (err) {
        if (err instanceof ConfigError)
          throw new CliError(err.problems.map((p) => `Configuration error: ${p}`).join('\n'));
        throw err;
      }
      const layout = localKeyLayout(keysDir);
      const file = options.person
        ? generateAnswerKey(`operator-${options.person}`, 'operator', options.person)
        : generateAnswerKey(options.frontend!, 'frontend');
      const path = options.out ?? (options.person ? layout.operatorKey(options.person) : layout.frontendKey);
      if (existsSync(path) && !options.force)
        throw new CliError(
          `${path} exists; pass --force to replace it (answers signed with the old key stop verifying once it is removed from the policy)`,
        );
      writeAnswerKeyFile(path, file);
      io.err(`Private key written to ${path} (mode 0600). Keep it where only its owner can read it.`);
      io.out(JSON.stringify(publicAnswerKey(file)));
    });
}
