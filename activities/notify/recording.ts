import type { FeedMessage } from '../../workflows/channel-feed-messages';
import type { Notification, Notifier } from './notifier';

/** A channel feed's message and its later edits. */
export interface RecordedFeedMessage {
  ref: string;
  key: string;
  message: FeedMessage;
  updates: FeedMessage[];
}

/** A posted notification and its later edits. */
export interface RecordedNotification {
  ref: string;
  key: string;
  notification: Notification;
  updates: Notification[];
}

/**
 * Keeps every notification in memory, idempotently per key; tests read it to see what people
 * would have been told. `failNext` lets a test make the next calls fail like a rate-limited API;
 * `addLateCopy` lands a second copy of a key, as a post that outlived its attempt does on Slack.
 */
export class RecordingNotifier implements Notifier {
  /** Messages that stand, in posting order (late copies included until removed). */
  readonly posted: RecordedNotification[] = [];
  /** Copies deleted by `removeDuplicates`, in the order they were removed. */
  readonly removed: RecordedNotification[] = [];
  /** Channel feed messages (digests, pending requests), in posting order. */
  readonly feed: RecordedFeedMessage[] = [];
  /** Updates that have waited on a hold from {@link holdUpdates}, counted as they start waiting. */
  heldUpdates = 0;
  private failures = 0;
  private readonly listeners = new Set<() => void>();
  private readonly holds = new Holds();

  failNext(times: number): void {
    this.failures = times;
  }

  /** Posts that have waited on a hold from {@link holdPosts}, counted as they start waiting. */
  heldPosts = 0;
  private readonly postHolds = new Holds();

  /**
   * Holds every post matching `matches` until the returned function is called: a slow Slack, for
   * tests of what may happen while a message is on its way.
   */
  holdPosts(matches: (n: Notification) => boolean): () => void {
    return this.postHolds.add(matches);
  }

  /** Posts once per key; a repeat returns the oldest copy standing, as the Slack notifier adopts. */
  async post(key: string, notification: Notification): Promise<{ ref: string }> {
    await this.postHolds.pass(notification, () => {
      this.heldPosts++;
      this.listeners.forEach((l) => l());
    });
    this.maybeFail();
    const existing = this.posted.find((p) => p.key === key);
    if (existing) return { ref: existing.ref };
    return { ref: this.record(key, notification) };
  }

  /**
   * Lands one more copy of the message posted under `key`, as a post that outlived its attempt
   * would on Slack; the workflow's `removeDuplicates` is expected to clean it up.
   *
   * @returns the copy's ref.
   * @throws Error when nothing was posted under `key` yet.
   */
  addLateCopy(key: string): string {
    const original = this.posted.find((p) => p.key === key);
    if (!original) throw new Error(`addLateCopy: nothing posted under key ${key}`);
    return this.record(key, original.notification);
  }

  /**
   * Deletes every copy carrying `key` except `keepRef`.
   *
   * @returns how many were removed.
   * @throws Error, deleting nothing, when `keepRef` is not a standing copy of `key`.
   */
  async removeDuplicates(key: string, keepRef: string): Promise<number> {
    this.maybeFail();
    if (!this.posted.some((p) => p.key === key && p.ref === keepRef))
      throw new Error(`removeDuplicates: the message to keep (${keepRef}) is not a copy of key ${key}`);
    const extra = this.posted.filter((p) => p.key === key && p.ref !== keepRef);
    for (const copy of extra) this.posted.splice(this.posted.indexOf(copy), 1);
    this.removed.push(...extra);
    if (extra.length > 0) this.listeners.forEach((l) => l());
    return extra.length;
  }

  /**
   * Holds every later `update` whose notification `matches` until the returned function is called,
   * as a slow Slack API would: a test can act while an edit is in flight.
   */
  holdUpdates(matches: (n: Notification) => boolean): () => void {
    return this.holds.add(matches);
  }

  /** Edits the message `ref`, after any hold from {@link holdUpdates} that matches is released. */
  async update(ref: string, notification: Notification): Promise<void> {
    await this.holds.pass(notification, () => {
      this.heldUpdates++;
      this.listeners.forEach((l) => l());
    });
    this.maybeFail();
    const existing = this.posted.find((p) => p.ref === ref);
    if (!existing) throw new Error(`no message ${ref}`);
    existing.updates.push(notification);
    this.listeners.forEach((l) => l());
  }

  /** Posts a feed message once per key. */
  async postFeed(key: string, message: FeedMessage): Promise<{ ref: string }> {
    this.maybeFail();
    const existing = this.feed.find((p) => p.key === key);
    if (existing) return { ref: existing.ref };
    const ref = `feed-${this.feed.length + 1}`;
    this.feed.push({ ref, key, message, updates: [] });
    this.listeners.forEach((l) => l());
    return { ref };
  }

  async updateFeed(ref: string, message: FeedMessage): Promise<void> {
    this.maybeFail();
    const existing = this.feed.find((p) => p.ref === ref);
    if (!existing) throw new Error(`no feed message ${ref}`);
    existing.updates.push(message);
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

  private record(key: string, notification: Notification): string {
    // Numbered over removed copies too, so a ref is never reused.
    const ref = `msg-${this.posted.length + this.removed.length + 1}`;
    this.posted.push({ ref, key, notification, updates: [] });
    this.listeners.forEach((l) => l());
    return ref;
  }

  private maybeFail(): void {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('notifier unavailable (injected failure)');
    }
  }
}

/** Holds on calls whose notification matches, each until its release is called. */
class Holds {
  private readonly list: { matches: (n: Notification) => boolean; released: Promise<void> }[] = [];

  /** Adds a hold; the returned function releases it (and every call waiting on it). */
  add(matches: (n: Notification) => boolean): () => void {
    let release!: () => void;
    const hold = { matches, released: new Promise<void>((resolve) => (release = resolve)) };
    this.list.push(hold);
    return () => {
      const at = this.list.indexOf(hold);
      if (at >= 0) this.list.splice(at, 1);
      release();
    };
  }

  /** Waits until every hold matching `notification` is released, calling `held` as each starts to wait. */
  async pass(notification: Notification, held: () => void): Promise<void> {
    for (const hold of this.list.filter((h) => h.matches(notification))) {
      held();
      await hold.released;
    }
  }
}
