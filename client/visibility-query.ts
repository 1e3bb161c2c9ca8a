const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * A name quoted into a visibility query: only plain names (policy names, task queues) pass, so
 * nothing a caller gives can change the query's meaning.
 *
 * @throws Error naming `what` and the value when it is not a plain name.
 */
export function quoted(value: string, what: string): string {
  if (!PLAIN_NAME.test(value))
    throw new Error(`${what}: expected letters, digits, ".", "_" or "-", got "${value}"`);
  return `'${value}'`;
}
