import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineQuery } from '@temporalio/workflow';
import { bundleLadderWorkflows, WORKFLOWS_PATH } from '../../../worker/create-worker';

const MARKER_SOURCE = resolve(__dirname, '..', 'fixtures', 'code-marker.ts');

/** Answered by every workflow of a marked bundle: the marker of the bundle whose worker ran the query. */
export const codeMarkerQuery = defineQuery<string>('ladderCodeMarker');

/**
 * Bundles Ladder's workflows as `npm run bundle` does, plus a copy of test/cluster/fixtures/code-marker.ts
 * whose marker constant is `marker`: bundles with different markers are different workflow code.
 *
 * @param marker - letters and digits only (it is written into source code).
 * @param dir - folder for the marker's source copy and the bundle.
 * @returns the path of the bundle file, for `LADDER_WORKFLOW_BUNDLE`.
 */
export async function bundleWithMarker(marker: string, dir: string): Promise<string> {
  if (!/^[A-Za-z0-9]+$/.test(marker)) throw new Error(`marker must be letters and digits, got "${marker}"`);
  const source = readFileSync(MARKER_SOURCE, 'utf8');
  const changed = source.replace("const CODE_MARKER = 'unset';", `const CODE_MARKER = '${marker}';`);
  if (changed === source) throw new Error(`${MARKER_SOURCE} no longer declares CODE_MARKER = 'unset'`);
  const markerPath = join(dir, `code-marker-${marker}.ts`);
  writeFileSync(markerPath, changed);
  const code = await bundleLadderWorkflows(WORKFLOWS_PATH, [markerPath]);
  const bundlePath = join(dir, `workflow-bundle-${marker}.js`);
  writeFileSync(bundlePath, code);
  return bundlePath;
}
