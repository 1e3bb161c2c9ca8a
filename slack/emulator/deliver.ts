import { signSlackRequest } from '../verify-signature';
import type { OpenView, Workspace } from './workspace';

const TEAM = { id: 'T0EMULATED', domain: 'ladder-emulated' };
const APP_ID = 'A0LADDER';

/** Where and how the emulator reaches the app, as Slack would. */
export interface AppEndpoint {
  /** The app's request URL, e.g. http://127.0.0.1:3000/slack/events. */
  url: string;
  signingSecret: string;
  /** How long Slack waits for the ack; Slack's own is 3,000 ms. */
  timeoutMs: number;
}

/**
 * Where deliveries go: one request URL, or several (one per frontend process of a scaled-out app,
 * as behind a load balancer) that take deliveries in turn.
 */
export type AppTarget = AppEndpoint | readonly AppEndpoint[];

/**
 * Picks the endpoint of each delivery: a single endpoint always, a list round-robin (the first
 * delivery to the first URL, the next to the second, …, then from the start again), so tests know
 * which frontend a delivery reaches by its order.
 *
 * @throws {Error} for an empty list, naming what was expected.
 */
export function roundRobin(target: AppTarget): () => AppEndpoint {
  const endpoints: readonly AppEndpoint[] = isEndpointList(target) ? [...target] : [target];
  if (endpoints.length === 0)
    throw new Error('Slack emulator: expected at least one app endpoint to deliver to, got an empty list');
  let next = 0;
  return () => {
    const endpoint = endpoints[next];
    next = (next + 1) % endpoints.length;
    return endpoint;
  };
}

function isEndpointList(target: AppTarget): target is readonly AppEndpoint[] {
  return Array.isArray(target);
}

/** What came back from the app, as the person would see it. */
export interface DeliveryResult {
  status: number;
  /** The app's response body, parsed when JSON. */
  body: unknown;
  /** Slack's complaint when the app did not answer properly, e.g. `operation_timeout`. */
  error?: string;
}

/**
 * POSTs a body to the app exactly as Slack does: form-encoded, with `X-Slack-Request-Timestamp`
 * and `X-Slack-Signature` computed over the raw body.
 */
export function postSigned(endpoint: AppEndpoint, form: Record<string, string>): Promise<DeliveryResult> {
  return postSignedRaw(endpoint, 'application/x-www-form-urlencoded', new URLSearchParams(form).toString());
}

/** POSTs an Events API body (JSON) to the app, signed as Slack signs it. */
export function postSignedJson(
  endpoint: AppEndpoint,
  body: Record<string, unknown>,
): Promise<DeliveryResult> {
  return postSignedRaw(endpoint, 'application/json', JSON.stringify(body));
}

async function postSignedRaw(
  endpoint: AppEndpoint,
  contentType: string,
  raw: string,
): Promise<DeliveryResult> {
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': signSlackRequest(endpoint.signingSecret, timestamp, raw),
      },
      body: raw,
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : '';
    } catch {
      // Plain text answers are allowed for slash commands.
    }
    return response.ok
      ? { status: response.status, body }
      : { status: response.status, body, error: `http_error (${response.status})` };
  } catch (err) {
    const name = (err as Error).name;
    return {
      status: 0,
      body: '',
      error: name === 'TimeoutError' ? 'operation_timeout' : `dispatch_failed (${(err as Error).message})`,
    };
  }
}

/** The Events API body Slack sends when a person opens the app's Home tab. */
export function appHomeOpenedEvent(
  user: string,
  channel: string,
  view: { id: string } | undefined,
): Record<string, unknown> {
  const now = Date.now() / 1000;
  return {
    token: 'emulated-verification-token',
    team_id: TEAM.id,
    api_app_id: APP_ID,
    type: 'event_callback',
    event_id: `Ev${Math.floor(now * 1000)
      .toString(36)
      .toUpperCase()}`,
    event_time: Math.floor(now),
    event: {
      type: 'app_home_opened',
      user,
      channel,
      tab: 'home',
      event_ts: `${now}`,
      ...(view ? { view } : {}),
    },
  };
}

const userObject = (workspace: Workspace, user: string) => {
  const name = workspace.users.find((u) => u.id === user)?.name ?? user.toLowerCase();
  return { id: user, username: name, name, team_id: TEAM.id };
};

/** The form Slack posts for a slash command. */
export function slashCommandForm(
  workspace: Workspace,
  args: {
    user: string;
    channel: string;
    command: string;
    text: string;
    responseUrl: string;
    triggerId: string;
  },
): Record<string, string> {
  const channel = workspace.channels.get(args.channel);
  return {
    token: 'emulated-verification-token',
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: args.channel,
    channel_name: channel?.kind === 'dm' ? 'directmessage' : (channel?.name ?? 'unknown'),
    user_id: args.user,
    user_name: userObject(workspace, args.user).name,
    command: args.command,
    text: args.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: args.responseUrl,
    trigger_id: args.triggerId,
  };
}

/** The `block_actions` payload Slack posts when a button in a message is clicked. */
export function blockActionsPayload(
  workspace: Workspace,
  args: {
    user: string;
    channel: string;
    message: { ts: string; text: string; blocks: unknown[]; ephemeralTo?: string };
    action: { action_id: string; block_id: string; value?: string; text?: unknown; style?: string };
    responseUrl: string;
    triggerId: string;
  },
): Record<string, unknown> {
  const channel = workspace.channels.get(args.channel);
  return {
    type: 'block_actions',
    user: userObject(workspace, args.user),
    api_app_id: APP_ID,
    token: 'emulated-verification-token',
    container: {
      type: 'message',
      message_ts: args.message.ts,
      channel_id: args.channel,
      is_ephemeral: args.message.ephemeralTo !== undefined,
    },
    trigger_id: args.triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: args.channel, name: channel?.name ?? 'unknown' },
    message: {
      type: 'message',
      user: 'U0LADDERBOT',
      bot_id: 'B0LADDER',
      ts: args.message.ts,
      text: args.message.text,
      blocks: args.message.blocks,
    },
    state: { values: {} },
    response_url: args.responseUrl,
    actions: [clickedButton(args.action)],
  };
}

/** A clicked button as `block_actions` lists it. */
type ClickedButton = { action_id: string; block_id: string; value?: string; text?: unknown; style?: string };

function clickedButton(action: ClickedButton): Record<string, unknown> {
  return {
    type: 'button',
    action_id: action.action_id,
    block_id: action.block_id,
    text: action.text,
    value: action.value,
    ...(action.style ? { style: action.style } : {}),
    action_ts: `${Date.now() / 1000}`,
  };
}

/**
 * The `block_actions` payload of a button in a published view (the App Home): Slack sends the
 * view instead of a message and channel, and no response URL.
 */
export function viewBlockActionsPayload(
  workspace: Workspace,
  args: {
    user: string;
    view: { id: string; hash: string; view: Record<string, unknown> };
    action: ClickedButton;
    triggerId: string;
  },
): Record<string, unknown> {
  return {
    type: 'block_actions',
    user: userObject(workspace, args.user),
    api_app_id: APP_ID,
    token: 'emulated-verification-token',
    container: { type: 'view', view_id: args.view.id },
    trigger_id: args.triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    view: { ...args.view.view, id: args.view.id, hash: args.view.hash, team_id: TEAM.id, app_id: APP_ID },
    state: { values: {} },
    actions: [clickedButton(args.action)],
  };
}

/** What a person entered in one input: text or a select's value, or the checkboxes ticked. */
export type ViewInputValue = string | string[];

/**
 * The `view_submission` payload: the modal's input values in Slack's `state.values` shape
 * (block_id → action_id → `{type, value}` for text, `{type, selected_option}` for selects,
 * `{type, selected_options}` for checkboxes). As in Slack, only options the view offers can be
 * selected (a value it does not offer is dropped), and an input not given keeps its initial value.
 */
export function viewSubmissionPayload(
  workspace: Workspace,
  open: OpenView,
  values: Record<string, ViewInputValue>,
  triggerId: string,
): Record<string, unknown> {
  const state: Record<string, Record<string, unknown>> = {};
  for (const block of (open.view.blocks as Record<string, unknown>[]) ?? []) {
    if (block.type !== 'input') continue;
    const element = block.element as {
      type: string;
      action_id: string;
      options?: { value: string }[];
      initial_value?: string;
      initial_option?: { value: string };
      initial_options?: { value: string }[];
    };
    const blockId = String(block.block_id);
    // As in Slack, an input the person left alone submits what the view filled it with.
    const given =
      values[blockId] ??
      element.initial_value ??
      element.initial_option?.value ??
      element.initial_options?.map((o) => o.value) ??
      '';
    const value = Array.isArray(given) ? (given[0] ?? '') : given;
    const ticked = Array.isArray(given) ? given : given === '' ? [] : [given];
    state[blockId] = {
      [element.action_id]:
        element.type === 'static_select'
          ? { type: element.type, selected_option: element.options?.find((o) => o.value === value) ?? null }
          : element.type === 'checkboxes'
            ? {
                type: element.type,
                selected_options: (element.options ?? []).filter((o) => ticked.includes(o.value)),
              }
            : { type: element.type, value: value === '' ? null : value },
    };
  }
  return {
    type: 'view_submission',
    team: TEAM,
    user: userObject(workspace, open.user),
    api_app_id: APP_ID,
    token: 'emulated-verification-token',
    trigger_id: triggerId,
    view: {
      ...open.view,
      id: open.id,
      team_id: TEAM.id,
      hash: open.hash,
      app_id: APP_ID,
      state: { values: state },
    },
    response_urls: [],
    is_enterprise_install: false,
  };
}
