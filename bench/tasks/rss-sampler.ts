import { memoryOf } from './proc-stats';

/** Resident memory of one phase of a run, from periodic readings, in MiB. */
export interface PhaseRss {
  /** Readings taken in the phase. */
  samples: number;
  peakMiB: number;
  lastMiB: number;
}

/** Adds one reading (KiB, NaN when it could not be read) to `phases` under `phase`. Pure but for `phases`. */
export function addRssSample(phases: Record<string, PhaseRss>, phase: string, rssKiB: number): void {
  if (!Number.isFinite(rssKiB)) return;
  const mib = rssKiB / 1024;
  const p = phases[phase] ?? { samples: 0, peakMiB: 0, lastMiB: NaN };
  phases[phase] = { samples: p.samples + 1, peakMiB: Math.max(p.peakMiB, mib), lastMiB: mib };
}

/** Reads a process's RSS every so often, filing each reading under the phase the run is in. */
export interface RssSampler {
  /** Files the readings from now on under `name` (one reading is taken at once). */
  phase(name: string): void;
  /** The highest reading of phase `name` so far, NaN before its first. */
  peakMiB(name: string): number;
  /**
   * Stops reading (once; later calls return the same figures): each phase's figures and the
   * kernel's peak (VmHWM) for the process.
   */
  stop(): { phases: Record<string, PhaseRss>; hwmMiB: number };
}

/**
 * Starts reading `/proc/<pid>/status` every `intervalMs`, under phase `first`. A reading that
 * cannot be taken (the process is gone) is skipped. The timer does not keep the process alive.
 */
export function sampleRss(pid: number, intervalMs: number, first: string): RssSampler {
  const phases: Record<string, PhaseRss> = {};
  let current = first;
  const read = (): void => addRssSample(phases, current, memoryOf(pid).rssKiB);
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  let stopped: { phases: Record<string, PhaseRss>; hwmMiB: number } | undefined;
  return {
    phase(name) {
      current = name;
      read();
    },
    peakMiB: (name) => phases[name]?.peakMiB ?? NaN,
    stop() {
      if (!stopped) {
        read();
        clearInterval(timer);
        stopped = { phases, hwmMiB: memoryOf(pid).peakRssKiB / 1024 };
      }
      return stopped;
    },
  };
}
