import {
  cpuDelta,
  cpuMs,
  machineBusyMs,
  memoryOf,
  parseMachineStat,
  parseProcStat,
  parseProcStatus,
  splitCpu,
} from '../../bench/tasks/proc-stats';

describe('reading /proc for CPU and memory', () => {
  it('takes utime and stime counted from the last ")", whatever the command name holds', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field 3 onwards
    fields[11] = '1234'; // field 14: utime
    fields[12] = '56'; // field 15: stime
    expect(parseProcStat(`4242 (node) ${fields.join(' ')}`)).toEqual({ user: 1234, system: 56 });
    expect(parseProcStat(`4242 (a) b (c)) ${fields.join(' ')}\n`)).toEqual({ user: 1234, system: 56 });
  });

  it('refuses text that is not a stat line', () => {
    expect(() => parseProcStat('hello')).toThrow('not the text of /proc/<pid>/stat');
  });

  it('reads resident and peak memory in KiB, NaN for a missing line', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).toEqual({ rssKiB: 102400, peakRssKiB: 204800 });
    expect(parseProcStatus('Name:\tkthreadd\n')).toEqual({ rssKiB: NaN, peakRssKiB: NaN });
  });

  it('reads this process: CPU grows with work, memory is there, a missing pid reads NaN', () => {
    const before = cpuMs(process.pid);
    const until = Date.now() + 200;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(cpuMs(process.pid)).toBeGreaterThan(before);
    expect(memoryOf(process.pid).rssKiB).toBeGreaterThan(1024);
    expect(cpuMs(2 ** 30)).toBeNaN();
  });

  it('subtracts snapshots by process name', () => {
    expect(cpuDelta({ worker: 100, server: 50 }, { worker: 160, server: 80, api: 5 })).toEqual({
      worker: 60,
      server: 30,
      api: NaN,
    });
  });
});

describe('machine-wide CPU from /proc/stat', () => {
  it('counts user, nice, system, irq, softirq and steal as busy, idle and iowait as not', () => {
    const text = 'cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\nintr 12345\n';
    expect(parseMachineStat(text)).toEqual({ busy: 161, total: 1181 });
    expect(() => parseMachineStat('intr 1\n')).toThrow('no "cpu" line');
  });

  it('reads this machine', () => {
    const busy = machineBusyMs();
    expect(busy).toBeGreaterThan(0);
    expect(machineBusyMs()).toBeGreaterThanOrEqual(busy);
  });
});

describe('splitCpu', () => {
  it("separates the stack's processes from what the rest of the machine used, in cores", () => {
    const before = { worker: 1_000, server: 2_000, machine: 10_000 };
    const after = { worker: 1_600, server: 2_400, machine: 12_000 };
    // 2,000 ms busy over 1,000 ms: the stack used 1,000 of it, others one core's worth.
    expect(splitCpu(before, after, 1_000)).toEqual({
      byProcess: { worker: 600, server: 400 },
      otherLoadCores: 1,
    });
    expect(splitCpu(before, { ...after, machine: 10_500 }, 1_000).otherLoadCores).toBe(0);
    expect(splitCpu(before, after, 0).otherLoadCores).toBeNaN();
  });
});
