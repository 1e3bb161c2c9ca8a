import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Notification } from '../activities/notify/notifier';

// Messages of the channel-feed entity workflow (`feed/<queue>/<channel>`), shared by the notify
// activity (which hands it what Slack's per-channel limit refused) and the workflow.

/**
 * One message Slack's limit kept from its own post: an announcement the feed posts in a digest,
 * or a request the feed lists until its own message lands. `key` is the message's idempotency key
 * (`<task workflow id>/<message key>`), so a retried hand-off counts once.
 */
export interface FeedEntry {
  key: string;
  notification: Notification;
}

/** What the feed shows people: a digest of announcements, or the channel's pending requests. */
export interface FeedMessage {
  kind: 'digest' | 'pending-requests';
  channel: string;
  entries: FeedEntry[];
  /** Entries left out of this message for Slack's block limit (shown as "and N more"). */
  more: number;
}

/** Input of the feed, carried across continue-as-new. */
export interface ChannelFeedInput {
  channel: string;
  /** Announcements handed over and not yet posted, oldest first. */
  queued?: FeedEntry[];
  /** Requests whose own post is still held back, oldest first. */
  pending?: FeedEntry[];
  /** Keys seen lately (announced, or requests settled), for deduplication; bounded. */
  recentKeys?: string[];
  /** The pending-requests message while requests are listed in it. */
  pendingRef?: string | null;
  /** Messages the feed posted so far (across runs): numbers each post's idempotency key. */
  posts?: number;
}

/** What the feed holds now (for tests, the bench and the Temporal UI). */
export interface ChannelFeedState {
  channel: string;
  queued: number;
  pending: string[];
  posts: number;
  pendingRef: string | null;
}

/** Announcements whose own posts Slack's limit refused: the feed posts them in its next digests. */
export const announceSignal = defineSignal<[FeedEntry[]]>('announce');
/** Requests whose own posts Slack's limit delays: listed in the pending-requests message meanwhile. */
export const requestHeldSignal = defineSignal<[FeedEntry[]]>('requestHeld');
/** A held request's own message landed: it leaves the pending-requests message. */
export const requestPostedSignal = defineSignal<[{ key: string }]>('requestPosted');
export const channelFeedStateQuery = defineQuery<ChannelFeedState>('channelFeedState');

/** The feed's workflow id for a channel (`#ops` and `ops` are one channel). */
export function channelFeedId(taskQueue: string, channel: string): string {
  return `feed/${taskQueue}/${channel.replace(/^#/, '')}`;
}
