const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/**
 * Whether `hosts` (a class's `bounds.hosts`) lists the URL's host: `host[:port]` as `new URL`
 * spells it (lowercase, `[v6]`), the default port matching an entry without one. The run's host
 * check and the policy loader's warnings both use it, so they cannot disagree. Pure.
 */
export function hostListed(url: URL, allowed: readonly string[]): boolean {
  const explicit = `${url.hostname}:${url.port || DEFAULT_PORT[url.protocol]}`;
  return allowed.some((entry) => {
    const h = entry.trim().toLowerCase();
    return h === url.host || h === explicit;
  });
}
