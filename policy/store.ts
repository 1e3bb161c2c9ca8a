// Watches the policy file: I/O, so not for workflow code.
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { PolicyProblem } from './checks';
import {
  isSamePolicyFile,
  lastGoodPolicyPaths,
  readLastGoodPolicy,
  writeLastGoodPolicy,
} from './last-good-policy';
import { parsePolicy, PolicyError, type LoadedPolicy } from './loader';
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

const signatureProblems = (messages: string[]): PolicyProblem[] =>
  messages.map((message) => ({ path: '(signatures)', message }));

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
 */
export class PolicyStore {
  private version: PolicyVersion;
  /** The text (plus signatures) the current policy (or the last refused edit) came from. */
  private settledText: string;
  /** Content seen once but not yet stable. */
  private pendingText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly loader = whoAmI();

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
    const result = parsePolicy(read.text, path, { maxBytes: options.maxBytes });
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
    try {
      this.poll();
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
    if (!read.ok) this.options.onError?.(read.error);
    else this.apply(read.text);
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
    return this.apply(read.text);
  }

  private apply(text: string): boolean {
    const result = parsePolicy(text, this.path, { maxBytes: this.options.maxBytes });
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
    const parsed = parsePolicy(saved.text, this.path, { maxBytes: this.options.maxBytes });
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
  }
}
