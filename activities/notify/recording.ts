import type { Notification, Notifier } from './notifier';

/** A posted notification and its later edits. */
export interface RecordedNotification {
  ref: string;
  key: string;
  notification: Notification;
  updates: Notification[];
}

/**
 * Keeps every notification in memory, idempotently per key; tests read it to see what people
 * would have been told. `failNext` lets a test make the next calls fail like a rate-limited API.
 */
export class RecordingNotifier implements Notifier {
  readonly posted: RecordedNotification[] = [];
  private failures = 0;
  private readonly listeners = new Set<() => void>();

  failNext(times: number): void {
    this.failures = times;
  }

  async post(key: string, notification: Notification): Promise<{ ref: string }> {
    this.maybeFail();
    const existing = this.posted.find((p) => p.key === key);
    if (existing) return { ref: existing.ref };
    const ref = `msg-${this.posted.length + 1}`;
    this.posted.push({ ref, key, notification, updates: [] });
    this.listeners.forEach((l) => l());
    return { ref };
  }

  async update(ref: string, notification: Notification): Promise<void> {
    this.maybeFail();
    const existing = this.posted.find((p) => p.ref === ref);
    if (!existing) throw new Error(`no message ${ref}`);
    existing.updates.push(notification);
    this.listeners.forEach((l) => l());
  }

  /** Notifications for one workflow, in order. */
  forWorkflow(workflowId: string): RecordedNotification[] {
    return this.posted.filter((p) => p.notification.workflowId === workflowId);
  }

  /** Resolves when `predicate` holds (checked on every post and update), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          clearTimeout(timer);
          this.listeners.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(
          new Error(
            `notification condition not met in ${timeoutMs} ms; posted: ${JSON.stringify(this.posted.map((p) => [p.notification.workflowId, p.notification.kind]))}`,
          ),
        );
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  private maybeFail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('notifier unavailable (injected failure)');
    }
  }
}
