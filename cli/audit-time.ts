// The times `ladder audit export` takes: a UTC date, a date-time with its zone, or an age.

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const AGE = /^(\d{1,6})([mhdw])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A date-time must say its zone: without one, the same text means another instant on every machine. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** What a `--since` or `--until` value may look like, as error messages say it. */
export const WHEN_FORMATS =
  'expected a date (2025-01-31, midnight UTC), a date-time with its zone (2025-01-31T09:00:00Z or 2025-01-31T10:00:00+01:00), or an age such as 30m, 24h, 7d or 2w';

/**
 * Reads a point in time for the audit export's window.
 *
 * @param value - `YYYY-MM-DD` (midnight UTC), an ISO-8601 date-time with `Z` or an offset, or an
 *   age before `nowMs`: a whole number of minutes (`m`), hours (`h`), days (`d`) or weeks (`w`).
 * @param nowMs - what an age counts back from, epoch milliseconds.
 * @returns epoch milliseconds.
 * @throws Error with {@link WHEN_FORMATS} (and what was wrong) when `value` is none of these or is
 *   not a real date (2025-02-30).
 */
export function parseWhen(value: string, nowMs: number): number {
  const age = AGE.exec(value);
  if (age) return nowMs - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS];
  if (DATE.test(value) || DATE_TIME.test(value)) {
    const ms = Date.parse(DATE.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isFinite(ms) && isCalendarDate(value.slice(0, 10))) return ms;
    throw new Error(`not a real date or time; ${WHEN_FORMATS}`);
  }
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value)) {
    throw new Error(
      `a date-time needs its zone (add Z for UTC, or an offset such as +01:00); ${WHEN_FORMATS}`,
    );
  }
  throw new Error(WHEN_FORMATS);
}

/** Whether `YYYY-MM-DD` names a real day: Date.parse rolls 2025-02-30 over to March 2. */
function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
