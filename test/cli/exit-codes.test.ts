import { CliExit, EXIT, exitCodeForOutcome } from '../../cli/exit-codes';
import { runCli } from '../../cli/main';
import type { TaskOutcome } from '../../workflows/messages';

describe('exit codes of ladder submit --wait', () => {
  it.each<[TaskOutcome, number]>([
    ['executed', 0],
    ['suggestion-done', 0],
    ['rolled-back', 3],
    ['rollback-failed', 3],
    ['rejected', 4],
    ['draft-rejected', 4],
    ['suggestion-dismissed', 4],
    ['expired', 4],
    ['cancelled', 4],
    ['refused', 5],
    ['failed', 6],
  ])('%s → %i', (outcome, code) => {
    expect(exitCodeForOutcome(outcome)).toBe(code);
  });

  it('treats an outcome it does not know, or none, as a failure, never as success', () => {
    expect(exitCodeForOutcome('something-new')).toBe(EXIT.failed);
    expect(exitCodeForOutcome(null)).toBe(EXIT.failed);
    expect(exitCodeForOutcome('toString')).toBe(EXIT.failed);
  });

  it('keeps 1 and 2 for errors and usage, distinct from every outcome code', () => {
    expect(new Set(Object.values(EXIT)).size).toBe(Object.values(EXIT).length);
    expect([EXIT.error, EXIT.usage]).toEqual([1, 2]);
  });

  it('runCli returns the code a command exits with, printing nothing more', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    // A command that ends with CliExit, run through the same runCli path as `ladder`.
    const code = await runCliWith(io, () => {
      throw new CliExit(EXIT.rolledBack);
    });
    expect(code).toBe(3);
    expect(err).toEqual([]);
  });
});

/** Runs `runCli` on `ladder exit-test` with one extra command whose action is `action`. */
async function runCliWith(
  io: { out: (t: string) => void; err: (t: string) => void },
  action: () => void,
): Promise<number> {
  const commander = await import('commander');
  const original = commander.Command.prototype.parseAsync;
  const spy = jest.spyOn(commander.Command.prototype, 'parseAsync').mockImplementation(async function (
    this: InstanceType<typeof commander.Command>,
    ...args: Parameters<typeof original>
  ) {
    this.command('exit-test').action(action);
    return original.apply(this, args);
  });
  try {
    return await runCli(['exit-test'], io);
  } finally {
    spy.mockRestore();
  }
}
