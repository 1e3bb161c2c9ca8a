// Preloaded (`node --require`) into the Ladder worker by bench:tasks, so a CPU profile covers one
// batch rather than the worker's whole life (what `--cpu-prof` would give). Node preloads it in
// every thread, including the SDK's workflow threads, so workflow code is profiled too. The driver
// sends `profile-start` and `profile-stop` over the worker's IPC channel; the main thread passes
// them to the other threads on a BroadcastChannel, and each thread writes its own profile.
// It does nothing until asked.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';
import type { ProfileControl } from './profile-messages';

const CHANNEL = 'ladder-bench-profile';
/** Microseconds between samples: fine enough for a batch of seconds, small files. */
const SAMPLING_INTERVAL_US = 500;

let session: Session | undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((done, fail) =>
    session!.post(method, params ?? {}, (err, result) => (err ? fail(err) : done(result))),
  );
}

async function start(): Promise<void> {
  if (session) return;
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await post('Profiler.start');
}

/** Stops this thread's profiler and writes `thread-<id>.cpuprofile` into `dir`; returns the file. */
async function stop(dir: string): Promise<string | undefined> {
  if (!session) return undefined;
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  session.disconnect();
  session = undefined;
  const file = join(dir, `thread-${threadId}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

const channel = new BroadcastChannel(CHANNEL);
channel.unref();

if (isMainThread) {
  const written: string[] = [];
  channel.onmessage = (event) => {
    const m = (event as MessageEvent).data as ProfileControl;
    if (m.type === 'written') written.push(m.file);
  };
  process.on('message', (raw: ProfileControl) => {
    if (raw.type === 'profile-start') {
      channel.postMessage(raw);
      void start().then(
        () => process.send?.({ type: 'profile-started' } satisfies ProfileControl),
        (err: Error) =>
          process.send?.({ type: 'profile-error', message: err.message } satisfies ProfileControl),
      );
    } else if (raw.type === 'profile-stop') {
      written.length = 0;
      channel.postMessage(raw);
      void stop(raw.dir).then(
        (file) => {
          // The other threads answer on the channel within moments; the driver lists the folder anyway.
          setTimeout(() => {
            process.send?.({
              type: 'profile-written',
              files: [...(file ? [file] : []), ...written],
            } satisfies ProfileControl);
          }, 1000);
        },
        (err: Error) =>
          process.send?.({ type: 'profile-error', message: err.message } satisfies ProfileControl),
      );
    }
  });
} else {
  channel.onmessage = (event) => {
    const m = (event as MessageEvent).data as ProfileControl;
    if (m.type === 'profile-start') void start();
    else if (m.type === 'profile-stop')
      void stop(m.dir).then((file) => {
        if (file) channel.postMessage({ type: 'written', file } satisfies ProfileControl);
      });
  };
}
