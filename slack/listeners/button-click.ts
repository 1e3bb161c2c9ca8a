import type { TaskModalMetadata } from '../blocks/modals';
import { isSlackUserId } from '../../policy/slack-ids';
import { ladderActionOfId, type LadderAction } from '../action-ids';
import { parseButtonValue } from '../blocks/button-value';
import type { ShownMessage } from '../../policy/answer-proof';
import { shownMessageOf } from '../shown-message';

const withShown = (shown: ShownMessage | undefined) => (shown ? { shown } : {});

/** A click on a Ladder button, as far as Ladder reads it. */
export interface ButtonClick {
  /** Which button, by its short name in `ACTION_IDS`. */
  action: LadderAction;
  workflowId: string;
  /** What the button acts on: the steps hash for Approve, a proposal, audit or question id. */
  subject?: string;
  /** Typed-approve buttons: the name to type, for the modal only (the workflow checks it). */
  typedName?: string;
  /** The verified clicker: the payload's user, never anything in the button. */
  user: string;
  channel: string | undefined;
  triggerId: string | undefined;
  /** The message (or App Home) the button was in, with a hash of what it showed. */
  shown?: ShownMessage;
}

/**
 * Reads a `block_actions` payload. Pure; a payload that is not a click on one of Ladder's buttons
 * is described, not thrown.
 */
export function parseButtonClick(
  body: unknown,
): { ok: true; click: ButtonClick } | { ok: false; reason: string } {
  const b = body as {
    user?: { id?: unknown };
    channel?: { id?: unknown };
    container?: { channel_id?: unknown };
    trigger_id?: unknown;
    actions?: { action_id?: unknown; value?: unknown }[];
  };
  const user = b?.user?.id;
  if (!isSlackUserId(user)) return { ok: false, reason: 'no user id' };
  const button = b.actions?.[0];
  const action = ladderActionOfId(button?.action_id);
  if (!button || !action) return { ok: false, reason: 'not a Ladder button' };
  if (typeof button.value !== 'string') return { ok: false, reason: 'button has no value' };
  const value = parseButtonValue(button.value);
  if (!value) return { ok: false, reason: `button value is not a workflow id: ${button.value.slice(0, 80)}` };
  const channel = typeof b.channel?.id === 'string' ? b.channel.id : b.container?.channel_id;
  return {
    ok: true,
    click: {
      action,
      ...value,
      user,
      channel: typeof channel === 'string' ? channel : undefined,
      triggerId: typeof b.trigger_id === 'string' ? b.trigger_id : undefined,
      ...withShown(shownMessageOf(body)),
    },
  };
}

/**
 * What a modal opened from a steps-bound button (approve and allow, edit) carries to its
 * submission: the task, the steps hash the clicked message showed, where to answer, and the
 * message as presented. Pure.
 */
export function stepsModalMetadata(
  click: ButtonClick,
  stepsHash: string,
): TaskModalMetadata & { stepsHash: string } {
  return {
    workflowId: click.workflowId,
    stepsHash,
    channel: click.channel,
    ...(click.shown ? { shown: click.shown } : {}),
  };
}
