// Watches the policy file: I/O, so not for workflow code.
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TS_REQUIRE_HOOK, typescriptFor } from '../config/thread-code';
import type { PolicyProblem } from './checks';
import {
  isSamePolicyFile,
  lastGoodPolicyPaths,
  readLastGoodPolicy,
  writeLastGoodPolicy,
} from './last-good-policy';
import { parsePolicy, PolicyError, type LoadedPolicy, type PolicyLoadResult } from './loader';
import { checkPolicySignatures, readPolicySignatures, type PolicySigner } from './policy-signature';

/** One version as this process took it: what `policy history` records. */
export interface PolicyVersion {
  policy: LoadedPolicy;
  /** The file's exact content. */
  text: string;
  /** Admins whose valid signatures came with it; empty when unsigned. */
  signers: PolicySigner[];
  /** `user@host` of this process: "who" when nobody signed. */
  loader: string;
  /** When this process took it (ISO-8601). */
  loadedAt: string;
  /** The version it replaced here, or the last good one a previous process persisted; null when none. */
  previous: { versionId: string; text: string } | null;
}

export interface PolicyStoreOptions {
  /** Called after a changed file loaded; the new policy is already current. */
  onChange?: (policy: LoadedPolicy, warnings: PolicyProblem[], version: PolicyVersion) => void;
  /** Called when a changed file is refused (invalid, or not signed as the policy in force requires); the last good policy stays current. */
  onError?: (error: PolicyError) => void;
  /** Called when something went wrong that does not change which policy is in force (e.g. the state file cannot be written). */
  onWarning?: (message: string) => void;
  /** How often to read the file, in milliseconds. */
  intervalMs?: number;
  /**
   * Folder of `last-good-policy.yaml` (+ `.json`): written on every load, so a fresh CLI finds it,
   * and read at start, so a restarted process is still governed by the signature rules of the
   * version it had in force (not by whatever the file now says about itself).
   */
  stateDir?: string;
  /** Largest policy file accepted, in bytes (default 1 MB). */
  maxBytes?: number;
  /** What sets `maxBytes` (e.g. `LADDER_POLICY_MAX_BYTES`), named when a file is refused for its size. */
  maxBytesSetting?: string;
  /**
   * Longest a watched reload may spend parsing, in milliseconds (default 60,000), before the edit
   * is refused as unparseable; the parse runs in its own thread, which is then stopped.
   */
  parseTimeoutMs?: number;
}

type FileRead = { ok: true; text: string } | { ok: false; error: PolicyError };

function readPolicyText(path: string): FileRead {
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, error: new PolicyError(path, [{ path: '(file)', message: `cannot read: ${code}` }]) };
  }
}

function whoAmI(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where it came from.
  }
  return `${user}@${hostname()}`;
}

const sizeLimit = (options: PolicyStoreOptions) => ({
  maxBytes: options.maxBytes,
  maxBytesSetting: options.maxBytesSetting,
});

const signatureProblems = (messages: string[]): PolicyProblem[] =>
  messages.map((message) => ({ path: '(signatures)', message }));

/**
 * The code of a thread that parses one policy text. It loads the loader module by path, compiling
 * TypeScript on the fly when the process runs from sources (ts-jest), and posts back what
 * `parsePolicy` returns: plain data, so it crosses the thread boundary as is.
 */
const PARSE_THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  // Linux: a thread's nice value is its own. Lowered, the parse yields the CPU to the thread that
  // serves requests instead of competing with it on a small machine.
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
} catch {
  // Elsewhere the parse runs at normal priority: still off the serving thread.
}
${TS_REQUIRE_HOOK}
const { parsePolicy } = require(workerData.loader);
parentPort.postMessage(parsePolicy(workerData.text, workerData.source, workerData.options));
`;

/** How a parse in a thread ended: `parsePolicy`'s result, or why there is none. */
type ThreadOutcome =
  | { kind: 'parsed'; result: PolicyLoadResult }
  /** The text itself is the problem (too slow or too large to parse): refuse it. */
  | { kind: 'refused'; message: string }
  /** The thread could not do its job (could not start, crashed): the text is not to blame. */
  | { kind: 'failed'; message: string };

/**
 * Nice value of a parse thread (Linux). 10 leaves the serving thread about ten times the parse's
 * share of a contended CPU, yet the parse still finishes on a busy machine (19 could starve it past
 * its timeout). On a 2-core machine (`npm run bench:slack-ack`), ack p99 during 1 MB reloads was
 * 55–123 ms with the thread at 0 and 19–38 ms at 10.
 */
const PARSE_THREAD_NICE = 10;

/** Heap allowed to a parse thread per MiB of the size limit: ~2.5× what a 1 MiB policy needs. */
const PARSE_HEAP_MB_PER_MIB = 256;

/**
 * Parses `text` with `parsePolicy` in a worker thread, so a large file does not block the calling
 * thread's event loop. The thread is stopped after `timeoutMs`, and its heap is limited in
 * proportion to the size limit, so a hostile file costs at most that time and memory.
 *
 * @returns the outcome (never rejects) and `cancel`, which stops the thread and resolves nothing further.
 */
function parseInThread(
  text: string,
  source: string,
  options: { maxBytes?: number; maxBytesSetting?: string },
  timeoutMs: number,
): { outcome: Promise<ThreadOutcome>; cancel: () => void } {
  const loader = require.resolve('./loader');
  const maxBytesMiB = (options.maxBytes ?? 1024 * 1024) / (1024 * 1024);
  const heapMb = Math.ceil(PARSE_HEAP_MB_PER_MIB * Math.max(1, maxBytesMiB));
  let worker: Worker;
  try {
    worker = new Worker(PARSE_THREAD_CODE, {
      eval: true,
      workerData: {
        text,
        source,
        options,
        loader,
        nice: PARSE_THREAD_NICE,
        typescript: typescriptFor(loader),
      },
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
  } catch (err) {
    const message = `cannot start a parse thread: ${(err as Error).message}`;
    return { outcome: Promise.resolve({ kind: 'failed', message }), cancel: () => undefined };
  }
  // A parse in flight must not keep a process alive that has nothing else to do.
  worker.unref();
  let settle: (outcome: ThreadOutcome) => void = () => undefined;
  const outcome = new Promise<ThreadOutcome>((resolveOutcome) => {
    const timer = setTimeout(() => {
      done({
        kind: 'refused',
        message: `parsing took longer than ${timeoutMs} ms and was stopped`,
      });
    }, timeoutMs);
    timer.unref();
    let finished = false;
    function done(result: ThreadOutcome): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      void worker.terminate();
      resolveOutcome(result);
    }
    settle = done;
    worker.once('message', (result: PolicyLoadResult) => done({ kind: 'parsed', result }));
    worker.once('error', (err: Error & { code?: string }) =>
      done(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'refused', message: `parsing needed more than ${heapMb} MB of memory and was stopped` }
          : { kind: 'failed', message: `the parse thread failed: ${err.message.split('\n')[0]}` },
      ),
    );
    worker.once('exit', (code) =>
      done({ kind: 'failed', message: `the parse thread exited (code ${code}) without a result` }),
    );
  });
  return { outcome, cancel: () => settle({ kind: 'failed', message: 'cancelled' }) };
}

/**
 * Holds the policy in force and reloads it when its file changes. A bad edit never replaces a good
 * policy: it is reported through `onError` and the last good version stays current. When the
 * policy in force has a `policyGuard`, an edit without enough admins' signatures is refused the
 * same way.
 *
 * The watcher compares the file's *content* on each poll rather than its stat: an edit of the same
 * size within the file system's timestamp granularity, or one made before the first stat, would
 * otherwise go unseen. A policy file is a few kilobytes, so reading it once a second costs nothing.
 * New content is taken only once it reads the same on two polls in a row, so the empty or half-written
 * file a save passes through is never reported as a bad edit. The signature file is part of that
 * content, so signatures that arrive after a refused edit let it load.
 *
 * A watched reload parses in a worker thread: a 1 MB policy takes a second or more to parse, and
 * the processes that watch it (the Slack app above all, which must ack within 3 s) cannot stop
 * serving for that long. Reading, comparing and checking signatures stay on the process's thread.
 * The constructor and {@link reload} parse in place: they are synchronous by contract and run at
 * start-up or on an operator's command.
 */
export class PolicyStore {
  private version: PolicyVersion;
  /** The text (plus signatures) the current policy (or the last refused edit) came from. */
  private settledText: string;
  /** Content seen once but not yet stable. */
  private pendingText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly loader = whoAmI();
  /** The watched reload being parsed in a thread, if any. */
  private parsing: { cancel: () => void } | undefined;
  /** Bumped whenever newer content is taken (or the store closes): a parse of older content is dropped. */
  private generation = 0;

  /**
   * Loads the file once.
   *
   * @throws {PolicyError} when the file is missing, invalid, or not signed as required at start:
   *   there is no good policy to keep.
   */
  constructor(
    readonly path: string,
    private readonly options: PolicyStoreOptions = {},
  ) {
    const read = readPolicyText(path);
    if (!read.ok) throw read.error;
    const result = parsePolicy(read.text, path, sizeLimit(options));
    if (!result.ok) throw new PolicyError(path, result.errors);
    const baseline = this.persistedBaseline();
    const signatures = readPolicySignatures(path);
    const verdict = checkPolicySignatures(
      read.text,
      result.policy,
      baseline?.policy ?? null,
      signatures.file,
    );
    if (!verdict.ok) {
      const governed = baseline
        ? [`governed by the last good policy ${baseline.policy.versionId} (${baseline.file})`]
        : [];
      throw new PolicyError(
        path,
        signatureProblems([
          ...(signatures.error ? [signatures.error] : []),
          ...verdict.problems,
          ...governed,
        ]),
      );
    }
    this.version = this.versionOf(
      result.policy,
      read.text,
      verdict.signers,
      baseline && baseline.policy.contentHash !== result.policy.contentHash
        ? { versionId: baseline.policy.versionId, text: baseline.text }
        : null,
    );
    this.settledText = this.contentKey(read.text, signatures.raw);
    this.persist();
  }

  /** The policy in force now. */
  current(): LoadedPolicy {
    return this.version.policy;
  }

  /** The version in force now, with its text, signers and the version it replaced. */
  currentVersion(): PolicyVersion {
    return this.version;
  }

  /** Starts watching the file for changes; call {@link close} to stop. */
  watch(): this {
    if (this.timer) return this;
    this.timer = setInterval(() => this.guardedPoll(), this.options.intervalMs ?? 1000);
    this.timer.unref();
    return this;
  }

  /**
   * A poll runs in a timer, where an exception would crash the process: anything unexpected is
   * reported through `onError` and the last good policy stays in force.
   */
  private guardedPoll(): void {
    this.guarded(() => this.poll());
  }

  /** Runs `work` (a poll, or the end of a reload) so that nothing it throws escapes into a timer or promise. */
  private guarded(work: () => void): void {
    try {
      work();
    } catch (err) {
      try {
        const problem = {
          path: '(watch)',
          message: `reload failed: ${err instanceof Error ? err.message : String(err)}`,
        };
        this.options.onError?.(err instanceof PolicyError ? err : new PolicyError(this.path, [problem]));
      } catch {
        // A throwing onError must not crash the process either: its failure is dropped.
      }
    }
  }

  private poll(): void {
    // One reload at a time: the first poll after it ends sees whatever was written meanwhile.
    if (this.parsing) return;
    const read = readPolicyText(this.path);
    // A missing file is usually an editor mid-rename; report it only if it stays missing.
    const text = read.ok ? this.contentKey(read.text, readPolicySignatures(this.path).raw) : `\0missing`;
    if (text === this.settledText) {
      this.pendingText = undefined;
      return;
    }
    if (text !== this.pendingText) {
      this.pendingText = text;
      return;
    }
    this.pendingText = undefined;
    this.settledText = text;
    this.generation++;
    if (!read.ok) this.options.onError?.(read.error);
    else this.applyInBackground(read.text);
  }

  /** {@link apply}, with the parse in a worker thread; the rest runs when it is done, unless newer content came first. */
  private applyInBackground(text: string): void {
    const generation = this.generation;
    const parse = parseInThread(
      text,
      this.path,
      sizeLimit(this.options),
      this.options.parseTimeoutMs ?? 60_000,
    );
    this.parsing = parse;
    const finish = (outcome: ThreadOutcome): void => {
      if (generation !== this.generation) return;
      this.guarded(() => {
        if (outcome.kind === 'parsed') this.applyParsed(text, outcome.result);
        else if (outcome.kind === 'refused')
          this.options.onError?.(new PolicyError(this.path, [{ path: '(file)', message: outcome.message }]));
        else {
          // The thread is to blame, not the file: a slow reload beats a good edit never taking effect.
          this.options.onWarning?.(`${outcome.message}; parsing the policy on the main thread instead`);
          this.apply(text);
        }
      });
    };
    void parse.outcome.then((outcome) => {
      if (this.parsing === parse) this.parsing = undefined;
      // Copying the result in from the thread took this turn; checking and taking it waits for the
      // next, so requests that arrived meanwhile are served in between.
      setImmediate(() => finish(outcome));
    });
  }

  /**
   * Reads the file again now. Returns true when a new version became current, false when the
   * content is unchanged or the new content was refused.
   */
  reload(): boolean {
    const read = readPolicyText(this.path);
    if (!read.ok) {
      this.options.onError?.(read.error);
      return false;
    }
    this.settledText = this.contentKey(read.text, readPolicySignatures(this.path).raw);
    this.cancelParse();
    return this.apply(read.text);
  }

  private apply(text: string): boolean {
    return this.applyParsed(text, parsePolicy(text, this.path, sizeLimit(this.options)));
  }

  /** Takes parsed `text` as the policy in force if it is valid, new, and signed as required. */
  private applyParsed(text: string, result: PolicyLoadResult): boolean {
    if (!result.ok) {
      this.options.onError?.(new PolicyError(this.path, result.errors));
      return false;
    }
    if (result.policy.contentHash === this.version.policy.contentHash) return false;
    const signatures = readPolicySignatures(this.path);
    const verdict = checkPolicySignatures(text, result.policy, this.version.policy, signatures.file);
    const sigProblems = signatureProblems([
      ...(signatures.error ? [signatures.error] : []),
      ...verdict.problems,
    ]);
    if (!verdict.ok) {
      this.options.onError?.(new PolicyError(this.path, sigProblems));
      return false;
    }
    const previous = { versionId: this.version.policy.versionId, text: this.version.text };
    this.version = this.versionOf(result.policy, text, verdict.signers, previous);
    this.persist();
    // Signatures that did not count are worth a warning even when enough others did.
    this.options.onChange?.(result.policy, [...result.warnings, ...sigProblems], this.version);
    return true;
  }

  private versionOf(
    policy: LoadedPolicy,
    text: string,
    signers: PolicySigner[],
    previous: PolicyVersion['previous'],
  ): PolicyVersion {
    return { policy, text, signers, loader: this.loader, loadedAt: new Date().toISOString(), previous };
  }

  private contentKey(text: string, signatures: string | null): string {
    return `${text}\0signatures\0${signatures ?? ''}`;
  }

  /** The last good policy a previous process persisted for this same file, if any and still parseable. */
  private persistedBaseline(): { policy: LoadedPolicy; text: string; file: string } | null {
    if (this.options.stateDir === undefined) return null;
    const saved = readLastGoodPolicy(this.options.stateDir);
    if (!saved || !isSamePolicyFile(saved.meta, this.path)) return null;
    const parsed = parsePolicy(saved.text, this.path, sizeLimit(this.options));
    if (!parsed.ok) {
      this.options.onWarning?.(
        `the last good policy ${saved.meta.versionId} no longer loads; the file governs itself`,
      );
      return null;
    }
    return { policy: parsed.policy, text: saved.text, file: lastGoodPolicyPaths(this.options.stateDir).yaml };
  }

  private persist(): void {
    if (this.options.stateDir === undefined) return;
    const { policy, text, signers, loader, loadedAt } = this.version;
    try {
      writeLastGoodPolicy(this.options.stateDir, text, {
        versionId: policy.versionId,
        contentHash: policy.contentHash,
        version: policy.version,
        source: resolve(this.path),
        loadedAt,
        signers,
        loader,
      });
    } catch (err) {
      this.options.onWarning?.(
        `cannot write the last good policy to ${this.options.stateDir}: ${(err as Error).message}`,
      );
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pendingText = undefined;
    this.cancelParse();
  }

  /** Stops a reload's parse in flight; its result, if it still comes, is dropped. */
  private cancelParse(): void {
    this.generation++;
    this.parsing?.cancel();
    this.parsing = undefined;
  }
}
