import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ask } from './processes';
import { writeJson } from './write-json';
import type { ProfileControl } from './profile-messages';
import {
  bundleMap,
  formatProfileSummary,
  summarizeProfiles,
  type CpuProfile,
  type ProfileSummary,
} from './profile-summary';

/** Raw profiles are kept beside the summary when together no larger than this; else they stay in the run's folder. */
const RAW_PROFILE_MAX_BYTES = 200 * 1024;

const isReply =
  (type: ProfileControl['type']) =>
  (m: unknown): m is ProfileControl =>
    (m as ProfileControl | null)?.type === type || (m as ProfileControl | null)?.type === 'profile-error';

/**
 * Profiles the worker's every thread while `during` runs (through the profile hook preloaded into
 * it), then writes the summary to `<resultsDir>/<name>.json` and `.txt`. Raw profiles are written
 * to `rawDir` and also copied to `resultsDir` when together they are no larger than 200 KB.
 *
 * @returns what `during` returned, the summary, and the files written.
 * @throws Error when the worker has no profile hook or a thread cannot be profiled.
 */
export async function profileWorker<T>(
  worker: ChildProcess,
  during: () => Promise<T>,
  paths: {
    rawDir: string;
    resultsDir: string;
    name: string;
    title: string;
    /** The worker's workflow bundle, so workflow code is grouped by the module it came from. */
    workflowBundle?: string;
  },
): Promise<{ value: T; summary: ProfileSummary; files: string[] }> {
  mkdirSync(paths.rawDir, { recursive: true });
  const started = await ask(
    worker,
    { type: 'profile-start' },
    isReply('profile-started'),
    'profile-start',
    10_000,
  );
  if (started.type === 'profile-error')
    throw new Error(`the worker could not start profiling: ${started.message}`);
  const value = await during();
  const stopped = await ask(
    worker,
    { type: 'profile-stop', dir: paths.rawDir },
    isReply('profile-written'),
    'profile-stop',
    60_000,
  );
  if (stopped.type === 'profile-error')
    throw new Error(`the worker could not write its profile: ${stopped.message}`);
  const names = readdirSync(paths.rawDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => threadOf(a) - threadOf(b));
  if (names.length === 0) throw new Error(`the worker wrote no profile into ${paths.rawDir}`);
  const raw = names.map((f) => join(paths.rawDir, f));
  const summary = summarizeProfiles(
    raw.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile),
    30,
    names.map((f) => (threadOf(f) === 0 ? 'main thread' : `worker thread ${threadOf(f)} (workflows)`)),
    paths.workflowBundle
      ? bundleMap(basename(paths.workflowBundle), readFileSync(paths.workflowBundle, 'utf8'))
      : undefined,
  );
  const files = [join(paths.resultsDir, `${paths.name}.json`), join(paths.resultsDir, `${paths.name}.txt`)];
  await writeJson(files[0], { title: paths.title, ...summary });
  writeFileSync(files[1], formatProfileSummary(summary, paths.title));
  if (raw.reduce((sum, f) => sum + statSync(f).size, 0) <= RAW_PROFILE_MAX_BYTES) {
    for (const [i, file] of raw.entries()) {
      const kept = join(paths.resultsDir, `${paths.name}.${names[i]}`);
      copyFileSync(file, kept);
      files.push(kept);
    }
  }
  return { value, summary, files };
}

/** The thread id in a profile file's name, `thread-<id>.cpuprofile`. */
function threadOf(file: string): number {
  return Number(/thread-(\d+)/.exec(file)?.[1] ?? NaN);
}
