/**
 * `record[key]` only when `key` is the record's own property: a user-given id such as
 * `constructor`, `__proto__` or `toString` is never found on `Object.prototype`.
 */
export function own<T>(
  record: Readonly<Record<string, T>> | Partial<Record<string, T>> | undefined,
  key: string,
): T | undefined {
  return record !== undefined && record !== null && Object.hasOwn(record, key) ? record[key] : undefined;
}
