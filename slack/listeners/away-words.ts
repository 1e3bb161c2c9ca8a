// The words of `/ladder away` and `ladder away set`: pure, shared by the Slack listener and the CLI.

/**
 * `away until <when> delegate <person>`: the words in any order after `away`; the person as a
 * Slack mention (`<@U…>` or `<@U…|name>`), `@U…` or a bare id. Pure.
 */
export function parseAway(words: readonly string[]): { kind: 'away'; until?: string; delegate?: string } {
  const at = (key: string): string | undefined => {
    const i = words.findIndex((w) => w.toLowerCase() === key);
    return i >= 0 ? words[i + 1] : undefined;
  };
  const person = /^<?@?(U[A-Z0-9]{2,})(?:\|[^>]*)?>?$/.exec(at('delegate') ?? '')?.[1];
  const until = at('until');
  return { kind: 'away', ...(until ? { until } : {}), ...(person ? { delegate: person } : {}) };
}

/** A `YYYY-MM-DD` (that day, 00:00 UTC: back that day) or an ISO time as ISO; undefined when neither. Pure. */
export function awayUntil(text: string): string | undefined {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(iso) ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
