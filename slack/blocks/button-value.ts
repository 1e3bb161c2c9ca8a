import { BLOCK_LIMITS } from './limits';

/**
 * What a Ladder button carries in its `value`: which workflow it answers and what within it.
 * Never identity or authority: who clicked comes from Slack's verified payload, and the workflow's
 * validators decide whether that person may answer. Fine for choosing what to show, such as which
 * name a typed-confirmation modal asks for.
 */
export interface ButtonValue {
  workflowId: string;
  /**
   * What the button acts on within the workflow: for Approve, the hash of the steps the message
   * shows (so the approval binds to what the approver saw); a promotion proposal's, an audit's or
   * an outcome question's id.
   */
  subject?: string;
  /** Typed-approve buttons only: the name the approver is asked to type (the workflow checks it again). */
  typedName?: string;
}

const VALUE =
  /^((?:task|digest|ledger)\/[A-Za-z0-9._:/-]+|control\/[A-Za-z0-9._:-]+\/(?:standing-approvals|delegations|approver-watch\/[a-z0-9][a-z0-9._-]*))(?:#([A-Za-z0-9]{1,64})(?:#([A-Za-z0-9\-_.!~*'()%]+))?)?$/;

/**
 * Encodes a button's value as `workflowId[#subject[#typedName]]`, the name URI-encoded. A name is
 * written only with a subject, and only while the value stays within Slack's 2,000 characters;
 * without it the modal cannot check the name on its field, and the workflow still does. Pure.
 */
export function buttonValue(workflowId: string, subject?: string, typedName?: string): string {
  if (!subject) return workflowId;
  const base = `${workflowId}#${subject}`;
  if (!typedName) return base;
  const full = `${base}#${encodeURIComponent(typedName)}`;
  return full.length <= BLOCK_LIMITS.buttonValue ? full : base;
}

/** Reads {@link buttonValue}; undefined when the value is not one of ours. Pure. */
export function parseButtonValue(value: string): ButtonValue | undefined {
  const match = VALUE.exec(value);
  if (!match) return undefined;
  const [, workflowId, subject, encodedName] = match;
  if (!subject) return { workflowId };
  if (!encodedName) return { workflowId, subject };
  try {
    return { workflowId, subject, typedName: decodeURIComponent(encodedName) };
  } catch {
    return undefined; // a malformed %-escape: not a value Ladder wrote
  }
}
