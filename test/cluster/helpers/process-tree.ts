import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of every process on this machine, read from /proc (pid → ppid). */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces or parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // The process ended while we looked.
    }
  }
  return parents;
}

/**
 * Command lines of every live descendant of `pid` (children, their children, …), spaces for NULs.
 * Tells which worker process is running a given shell step (its sandbox and shell are descendants).
 */
export function descendantCommandLines(pid: number): string[] {
  const parents = parentPids();
  const lines: string[] = [];
  for (const [child] of parents) {
    let up = parents.get(child);
    while (up !== undefined && up > 1 && up !== pid) up = parents.get(up);
    if (up !== pid) continue;
    try {
      lines.push(readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // Ended meanwhile.
    }
  }
  return lines;
}

/**
 * How many shells on this machine run a command line containing `text`: one per running attempt of
 * a shell step (its `sleep` children and its sandbox wrappers are not shells, so they do not count).
 */
export function shellsRunning(text: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (!['sh', 'dash', 'bash'].includes(comm)) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text)) count++;
    } catch {
      // Ended meanwhile.
    }
  }
  return count;
}
