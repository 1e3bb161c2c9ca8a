import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../config/logger';

/**
 * Tells one person something only they see. A failure to tell is logged, never thrown: the
 * listener has acked already and there is nobody else to answer.
 */
export async function tellUser(
  client: WebClient,
  log: Logger,
  target: { channel: string | undefined; user: string },
  text: string,
): Promise<void> {
  try {
    const channel = target.channel ?? (await client.conversations.open({ users: target.user })).channel?.id;
    if (!channel) throw new Error('no channel to answer in');
    await client.chat.postEphemeral({ channel, user: target.user, text });
  } catch (err) {
    log.warn({ user: target.user, err: (err as Error).message }, 'could not send an ephemeral message');
  }
}
