import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time a process has used so far (all its threads), in clock ticks as Linux counts them. */
export interface CpuTicks {
  user: number;
  system: number;
}

/**
 * Reads utime and stime from the text of `/proc/<pid>/stat`. The command name (field 2) may hold
 * spaces and parentheses, so fields are counted from the last `)`. Pure.
 *
 * @throws Error when the text is not in that format.
 */
export function parseProcStat(text: string): CpuTicks {
  const end = text.lastIndexOf(')');
  const fields =
    end < 0
      ? []
      : text
          .slice(end + 2)
          .trim()
          .split(/\s+/);
  // After the command: state is field 3, so utime (field 14) and stime (field 15) are at 11 and 12.
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system))
    throw new Error(`not the text of /proc/<pid>/stat: ${JSON.stringify(text.slice(0, 80))}`);
  return { user, system };
}

/** Memory of a process from `/proc/<pid>/status`, in KiB: resident now and the peak so far. */
export interface Memory {
  rssKiB: number;
  peakRssKiB: number;
}

/** Reads VmRSS and VmHWM from the text of `/proc/<pid>/status`; a missing line reads as NaN. Pure. */
export function parseProcStatus(text: string): Memory {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return match ? Number(match[1]) : NaN;
  };
  return { rssKiB: field('VmRSS'), peakRssKiB: field('VmHWM') };
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`, almost always 100). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU milliseconds `pid` has used so far (user + system, every thread).
 *
 * @returns NaN when the process is gone or /proc cannot be read (not Linux).
 */
export function cpuMs(pid: number): number {
  try {
    const { user, system } = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return ((user + system) * 1000) / clockTicksPerSecond();
  } catch {
    return NaN;
  }
}

/** Memory of `pid` now; NaN fields when it cannot be read. */
export function memoryOf(pid: number): Memory {
  try {
    return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return { rssKiB: NaN, peakRssKiB: NaN };
  }
}

/** Ticks every CPU of the machine spent busy and in all, from the first line of `/proc/stat`. */
export interface MachineTicks {
  busy: number;
  total: number;
}

/**
 * Reads the machine-wide `cpu` line of `/proc/stat`: busy is user + nice + system + irq + softirq
 * + steal (guest time is already inside user), total adds idle and iowait. Pure.
 *
 * @throws Error when the text has no `cpu` line.
 */
export function parseMachineStat(text: string): MachineTicks {
  const line = /^cpu\s+([\d\s]+)$/m.exec(text);
  if (!line) throw new Error(`no "cpu" line in /proc/stat: ${JSON.stringify(text.slice(0, 80))}`);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line[1].trim().split(/\s+/).map(Number);
  const busy = user + nice + system + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + idle + (iowait ?? 0) };
}

/** CPU ms the whole machine (every process, every core) has been busy so far; NaN off Linux. */
export function machineBusyMs(): number {
  try {
    return (parseMachineStat(readFileSync('/proc/stat', 'utf8')).busy * 1000) / clockTicksPerSecond();
  } catch {
    return NaN;
  }
}

/** CPU ms used by each named process between two snapshots. Pure. */
export function cpuDelta(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - (before[name] ?? NaN)]));
}

/** The machine as a whole, in a CPU snapshot: everything else is one of the stack's processes. */
const MACHINE = 'machine';

/** CPU ms used so far by each process of the stack, by this driver, and by the whole machine. */
export function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const own = process.cpuUsage();
  return {
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)])),
    'bench driver': (own.user + own.system) / 1000,
    [MACHINE]: machineBusyMs(),
  };
}

/**
 * Splits the CPU used between two snapshots `windowMs` apart into the stack's processes (ms by
 * name) and the cores' worth the rest of the machine used meanwhile. Pure.
 */
export function splitCpu(
  before: Record<string, number>,
  after: Record<string, number>,
  windowMs: number,
): { byProcess: Record<string, number>; otherLoadCores: number } {
  const { [MACHINE]: machine, ...byProcess } = cpuDelta(before, after);
  const ours = Object.values(byProcess).reduce((sum, ms) => sum + (Number.isNaN(ms) ? 0 : ms), 0);
  return { byProcess, otherLoadCores: windowMs > 0 ? Math.max(0, machine - ours) / windowMs : NaN };
}
