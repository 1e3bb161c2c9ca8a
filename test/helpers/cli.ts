import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

/** The built `ladder` CLI. */
export const LADDER_BIN = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the built CLI as a user would, in its own process, with `env` on top of the test's
 * environment (the stack's Temporal address, task queue and policy, typically).
 */
export function runLadder(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [LADDER_BIN, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}
