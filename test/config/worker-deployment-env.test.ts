import { loadConfig } from '../../config/env';
import { versionedWorkerOptions } from '../../worker/versioning';
import { problemsFor } from '../helpers/config';

describe('worker deployment versioning settings', () => {
  it('leaves the worker unversioned unless configured', () => {
    expect(loadConfig({}).workerDeployment).toBeUndefined();
    expect(
      loadConfig({ LADDER_WORKER_DEPLOYMENT: '', LADDER_WORKER_BUILD_ID: '' }).workerDeployment,
    ).toBeUndefined();
  });

  it('reads the deployment name and build id together', () => {
    const config = loadConfig({
      LADDER_WORKER_DEPLOYMENT: 'ladder-prod',
      LADDER_WORKER_BUILD_ID: '1.4.0+1d16473',
    });
    expect(config.workerDeployment).toEqual({ deploymentName: 'ladder-prod', buildId: '1.4.0+1d16473' });
    expect(versionedWorkerOptions(config.workerDeployment!)).toEqual({
      version: { deploymentName: 'ladder-prod', buildId: '1.4.0+1d16473' },
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'AUTO_UPGRADE',
    });
  });

  it('names the missing half when only one is set', () => {
    expect(problemsFor({ LADDER_WORKER_DEPLOYMENT: 'ladder-prod' })).toEqual([
      'LADDER_WORKER_BUILD_ID: expected LADDER_WORKER_DEPLOYMENT and LADDER_WORKER_BUILD_ID to be set together (worker versioning; see docs/deploy.md)',
    ]);
    expect(problemsFor({ LADDER_WORKER_BUILD_ID: '7' })).toEqual([
      'LADDER_WORKER_DEPLOYMENT: expected LADDER_WORKER_DEPLOYMENT and LADDER_WORKER_BUILD_ID to be set together (worker versioning; see docs/deploy.md)',
    ]);
  });

  it.each([
    ['ladder.prod', 'a "." (Temporal splits versions on it)'],
    ['ladder:prod', 'a ":"'],
    ['__ladder', 'a reserved leading "__"'],
    ['x'.repeat(101), 'more than 100 characters'],
  ])('refuses the deployment name %j: %s', (name) => {
    expect(problemsFor({ LADDER_WORKER_DEPLOYMENT: name, LADDER_WORKER_BUILD_ID: '1' })).toEqual([
      `LADDER_WORKER_DEPLOYMENT: expected a deployment name of letters, digits, "_" or "-" (no "." or ":"), at most 100 characters, got ${JSON.stringify(name)}`,
    ]);
  });

  it.each([['-1'], ['1 2'], ['__unversioned__'], ['a/b']])('refuses the build id %j', (buildId) => {
    expect(problemsFor({ LADDER_WORKER_DEPLOYMENT: 'ladder', LADDER_WORKER_BUILD_ID: buildId })).toEqual([
      `LADDER_WORKER_BUILD_ID: expected a build id of letters, digits, ".", "_", "+" or "-" (e.g. 1.4.0 or a commit), at most 100 characters, got ${JSON.stringify(buildId)}`,
    ]);
  });
});
