import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleLadderWorkflows } from '../worker/create-worker';

/**
 * Bundles `workflows/` once into a file the production worker loads with `LADDER_WORKFLOW_BUNDLE`,
 * so workers start without running webpack. The bundle always holds the tracing interceptors
 * (inert unless a traced client started the workflow), so one bundle serves traced and untraced workers.
 *
 * @param outPath - file to write; parent folders are created.
 * @returns the size of the bundle in bytes.
 */
export async function bundleWorkflowsTo(outPath: string): Promise<number> {
  const code = await bundleLadderWorkflows();
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, code);
  return Buffer.byteLength(code);
}

if (require.main === module) {
  const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
  bundleWorkflowsTo(out).then(
    (bytes) => process.stdout.write(`Wrote ${out} (${Math.round(bytes / 1024)} KiB)\n`),
    (err: unknown) => {
      process.stderr.write(`Bundling failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
