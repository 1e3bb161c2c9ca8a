import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  ftruncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** What one applied request changed in the demo service, enough to apply it again at start. */
export type DemoEffect =
  | { kind: 'deploy'; service: string; version: string }
  | { kind: 'reply'; ticket: string; body: unknown }
  | { kind: 'reload' };

/**
 * One effect the demo service really applied, with the answer it gave: the effects log and the
 * idempotency store in one line, so a crash can never leave an effect without its stored answer
 * (which would let a retry apply it a second time).
 */
export interface JournalEntry {
  /** 1, 2, 3… in the order effects were applied, across restarts. */
  seq: number;
  /** When it was applied (ISO-8601). */
  at: string;
  /** `METHOD /path` as requested, e.g. `POST /tickets/4821/replies`. */
  route: string;
  /** The request's `Idempotency-Key`, or null when it had none. */
  key: string | null;
  /** SHA-256 (hex) of method, path and body; a reused key must come with the same one. */
  fingerprint: string;
  /** The answer given, replayed to a retry with the same key. */
  status: number;
  response: unknown;
  effect: DemoEffect;
}

/** Thrown when the journal file holds a line that is not a journal entry (other than a torn last line). */
export class JournalCorruptError extends Error {
  constructor(file: string, line: number, why: string) {
    super(`demo service journal ${file}, line ${line}: ${why}; fix or move the file away to start afresh`);
    this.name = 'JournalCorruptError';
  }
}

/** The journal's file name inside the demo service's state folder. */
export const JOURNAL_FILE = 'journal.jsonl';

/**
 * The demo service's append-only journal: every applied effect, in order. With a state folder it
 * is a JSONL file, each line written and fsync'd before the request is answered, and read back at
 * start (so a restart forgets no effect and no stored answer); without one it lives in memory only.
 */
export class Journal {
  private readonly entries: JournalEntry[] = [];
  private fd: number | undefined;
  readonly file: string | undefined;

  /**
   * @param stateDir - folder for `journal.jsonl` (created if missing); undefined keeps the journal
   *   in memory.
   * @throws {JournalCorruptError} when a line other than a torn last one does not parse.
   */
  constructor(stateDir?: string) {
    if (stateDir === undefined) return;
    mkdirSync(stateDir, { recursive: true });
    this.file = join(stateDir, JOURNAL_FILE);
    const created = !existsSync(this.file);
    const goodBytes = created ? 0 : this.load(this.file);
    this.fd = openSync(this.file, 'a+');
    // A crash mid-append leaves a torn last line: cut it so the next entry starts on a line of its own.
    if (!created) ftruncateSync(this.fd, goodBytes);
    if (created) fsyncDir(stateDir);
  }

  /** Reads every entry; returns the byte length of the complete lines (a torn tail is dropped). */
  private load(file: string): number {
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    let goodBytes = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const last = i === lines.length - 1;
      if (line === '') {
        if (!last) goodBytes += 1;
        continue;
      }
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        // Only the last line can be torn (no newline after it yet); anything else is damage.
        if (last) break;
        throw new JournalCorruptError(file, i + 1, 'not valid JSON');
      }
      if (last) break; // complete JSON but no newline: the fsync did not finish, so it was never answered
      if (
        typeof entry.seq !== 'number' ||
        typeof entry.route !== 'string' ||
        typeof entry.effect !== 'object'
      )
        throw new JournalCorruptError(file, i + 1, 'not a journal entry');
      this.entries.push(entry);
      goodBytes += Buffer.byteLength(line) + 1;
    }
    return goodBytes;
  }

  /** Every entry, oldest first. */
  all(): readonly JournalEntry[] {
    return this.entries;
  }

  /**
   * Appends one entry and, with a file, writes and fsyncs it before returning: once this returns,
   * the effect and its answer survive a crash.
   */
  append(entry: Omit<JournalEntry, 'seq' | 'at'>): JournalEntry {
    const full: JournalEntry = {
      seq: this.entries.length + 1,
      at: new Date().toISOString(),
      ...entry,
    };
    if (this.fd !== undefined) {
      writeSync(this.fd, `${JSON.stringify(full)}\n`);
      fsyncSync(this.fd);
    }
    this.entries.push(full);
    return full;
  }

  /** Closes the file; the journal must not be appended to afterwards. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Makes a new file's directory entry durable too (the file itself is fsync'd on every append). */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
