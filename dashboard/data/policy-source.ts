import { statSync } from 'node:fs';
import { loadPolicyFile, type LoadedPolicy, type PolicyParseLimits } from '../../policy/loader';

/**
 * The policy file as the dashboard shows it: reloaded when the file changes, the last good version
 * kept while an edit does not load (the same rule the worker follows), so a page never breaks on a typo.
 *
 * @throws the loader's PolicyError on the first read when the file never loaded.
 */
export function policySource(path: string, limits?: PolicyParseLimits): () => LoadedPolicy {
  let current: LoadedPolicy | null = null;
  let seenMtimeMs = -1;
  return () => {
    let mtimeMs = seenMtimeMs;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      if (current) return current;
    }
    if (current && mtimeMs === seenMtimeMs) return current;
    try {
      current = loadPolicyFile(path, limits).policy;
      seenMtimeMs = mtimeMs;
    } catch (err) {
      if (!current) throw err;
      seenMtimeMs = mtimeMs;
    }
    return current;
  };
}
