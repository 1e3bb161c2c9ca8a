/** Work that made no progress for too long: how far it got. */
export class Stalled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Stalled';
  }
}

/**
 * `work`, or a {@link Stalled} error when `done()` (a count that grows as the work progresses)
 * has not grown for `stallMs`. Checked every `checkMs`; the check stops once `work` settles.
 *
 * @param what - names the work in the error, e.g. `ladder answers`.
 */
export async function unlessStalled<T>(
  work: Promise<T>,
  done: () => number,
  spec: { total: number; what: string; stallMs: number; checkMs?: number },
): Promise<T> {
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    let last = done();
    let lastChange = Date.now();
    const check = (): void => {
      if (settled) return;
      const now = done();
      if (now !== last) [last, lastChange] = [now, Date.now()];
      if (Date.now() - lastChange > spec.stallMs) {
        reject(
          new Stalled(
            `${now} of ${spec.total} ${spec.what}, none more in the last ${Math.round(spec.stallMs / 1000)} s`,
          ),
        );
        return;
      }
      timer = setTimeout(check, spec.checkMs ?? 1000);
    };
    timer = setTimeout(check, spec.checkMs ?? 1000);
  });
  try {
    return await Promise.race([work, guard]);
  } finally {
    settled = true;
    clearTimeout(timer);
  }
}
