// Watches the policy file: I/O, so not for workflow code.
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import type { PolicyProblem } from './checks';
import { loadPolicyFile, parsePolicy, PolicyError, type LoadedPolicy } from './loader';

export interface PolicyStoreOptions {
  /** Called after a changed file loaded; the new policy is already current. */
  onChange?: (policy: LoadedPolicy, warnings: PolicyProblem[]) => void;
  /** Called when a changed file is refused; the last good policy stays current. */
  onError?: (error: PolicyError) => void;
  /** How often to look at the file, in milliseconds (stat polling survives editors that replace files). */
  intervalMs?: number;
}

/**
 * Holds the policy in force and reloads it when its file changes. A bad edit never replaces a good
 * policy: it is reported through `onError` and the last good version stays current.
 */
export class PolicyStore {
  private policy: LoadedPolicy;
  private watching = false;

  /**
   * Loads the file once.
   *
   * @throws {PolicyError} when the file is missing or invalid at start: there is no good policy to keep.
   */
  constructor(
    readonly path: string,
    private readonly options: PolicyStoreOptions = {},
  ) {
    this.policy = loadPolicyFile(path).policy;
  }

  /** The policy in force now. */
  current(): LoadedPolicy {
    return this.policy;
  }

  /** Starts watching the file for changes; call {@link close} to stop. */
  watch(): this {
    if (this.watching) return this;
    this.watching = true;
    watchFile(
      this.path,
      { interval: this.options.intervalMs ?? 1000, persistent: false },
      (curr: Stats, prev: Stats) => {
        if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) this.reload();
      },
    );
    return this;
  }

  /**
   * Reads the file again now. Returns true when a new version became current, false when the
   * content is unchanged or the new content was refused.
   */
  reload(): boolean {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.options.onError?.(
        new PolicyError(this.path, [
          { path: '(file)', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` },
        ]),
      );
      return false;
    }
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
    if (this.watching) unwatchFile(this.path);
    this.watching = false;
  }
}
