import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import * as workflows from '../../workflows';
import { committedHistories } from '../helpers/histories';
import { quietSdkLogs } from '../helpers/temporal';
import { TEST_ENV } from '../setup/shared-state';

// Replaying committed histories is the determinism guard: a change to workflow code that would
// break running workflows fails here (use patched() for such changes).
describe('replay of committed workflow histories', () => {
  beforeAll(quietSdkLogs);
  const fixtures = committedHistories();

  it('has at least one committed history for every exported workflow type', () => {
    const covered = new Set(fixtures.map((f) => f.workflowType));
    const missing = Object.keys(workflows).filter((type) => !covered.has(type));
    expect(missing).toEqual([]);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))(
    'replays %s without nondeterminism',
    async (_file, fixture) => {
      const bundlePath = process.env[TEST_ENV.bundlePath]!;
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: bundlePath }, replayName: fixture.file },
          historyFromJSON(fixture.history),
          fixture.workflowId,
        ),
      ).resolves.toBeUndefined();
    },
  );
});
