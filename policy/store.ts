// Watches the policy file: I/O, so not for workflow code.
import { readFileSync } from 'node:fs';
import type { PolicyProblem } from './checks';
import { parsePolicy, PolicyError, type LoadedPolicy } from './loader';

export interface PolicyStoreOptions {
  /** Called after a changed file loaded; the new policy is already current. */
  onChange?: (policy: LoadedPolicy, warnings: PolicyProblem[]) => void;
  /** Called when a changed file is refused; the last good policy stays current. */
  onError?: (error: PolicyError) => void;
  /** How often to read the file, in milliseconds. */
  intervalMs?: number;
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

/**
 * Holds the policy in force and reloads it when its file changes. A bad edit never replaces a good
 * policy: it is reported through `onError` and the last good version stays current.
 *
 * The watcher compares the file's *content* on each poll rather than its stat: an edit of the same
 * size within the file system's timestamp granularity, or one made before the first stat, would
 * otherwise go unseen. A policy file is a few kilobytes, so reading it once a second costs nothing.
 * New content is taken only once it reads the same on two polls in a row, so the empty or half-written
 * file a save passes through is never reported as a bad edit.
 */
export class PolicyStore {
  private policy: LoadedPolicy;
  /** The text the current policy (or the last refused edit) came from. */
  private settledText: string;
  /** Content seen once but not yet stable. */
  private pendingText: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  /**
   * Loads the file once.
   *
   * @throws {PolicyError} when the file is missing or invalid at start: there is no good policy to keep.
   */
  constructor(
    readonly path: string,
    private readonly options: PolicyStoreOptions = {},
  ) {
    const read = readPolicyText(path);
    if (!read.ok) throw read.error;
    const result = parsePolicy(read.text, path);
    if (!result.ok) throw new PolicyError(path, result.errors);
    this.policy = result.policy;
    this.settledText = read.text;
  }

  /** The policy in force now. */
  current(): LoadedPolicy {
    return this.policy;
  }

  /** Starts watching the file for changes; call {@link close} to stop. */
  watch(): this {
    if (this.timer) return this;
    this.timer = setInterval(() => this.poll(), this.options.intervalMs ?? 1000);
    this.timer.unref();
    return this;
  }

  private poll(): void {
    const read = readPolicyText(this.path);
    // A missing file is usually an editor mid-rename; report it only if it stays missing.
    const text = read.ok ? read.text : `\0missing`;
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
    this.settledText = read.text;
    return this.apply(read.text);
  }

  private apply(text: string): boolean {
    const result = parsePolicy(text, this.path);
    if (!result.ok) {
      this.options.onError?.(new PolicyError(this.path, result.errors));
      return false;
    }
    if (result.policy.contentHash === this.policy.contentHash) return false;
    this.policy = result.policy;
    this.options.onChange?.(result.policy, result.warnings);
    return true;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.pendingText = undefined;
  }
}
