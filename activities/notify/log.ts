import type { Logger } from '../../config/logger';
import type { Notification, Notifier } from './notifier';

/** Writes notifications to the log: what the run command uses until a Slack notifier is configured. */
export class LogNotifier implements Notifier {
  private readonly refs = new Map<string, string>();
  constructor(private readonly log: Logger) {}

  async post(key: string, n: Notification): Promise<{ ref: string }> {
    const ref = this.refs.get(key) ?? `log-${this.refs.size + 1}`;
    if (!this.refs.has(key)) {
      this.refs.set(key, ref);
      this.log.info({ ref, ...n }, `[${n.kind}] ${n.title}`);
    }
    return { ref };
  }

  async update(ref: string, n: Notification): Promise<void> {
    this.log.info({ ref, ...n }, `[${n.kind} updated] ${n.title}`);
  }
}
