import { isSlackUserId } from '../../policy/slack-ids';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  appHomeOpenedEvent,
  blockActionsPayload,
  postSigned,
  postSignedJson,
  viewBlockActionsPayload,
  slashCommandForm,
  viewSubmissionPayload,
  roundRobin,
  type AppEndpoint,
  type AppTarget,
  type DeliveryResult,
} from './deliver';
import { emulatorPage } from './page';
import { handleApiRequest } from './api-handler';
import { handleControlRequest } from './control-routes';
import { rateLimitsFromEnv } from './rate-limit-request';
import { WebApiRateLimits, type RateLimitChange } from './rate-limits';
import type { SlackWebApiEmulator } from './web-api';
import { viewProblem, Workspace, type OpenView } from './workspace';
import type { ViewInputValue } from './deliver';

export type { ViewInputValue } from './deliver';
import { loadWorkspaceFile, persistWorkspace } from './workspace-file';

/** The local Slack: Web API, a page people use in a browser, and signed delivery to the app. */
export interface SlackEmulator extends SlackWebApiEmulator {
  /** Base URL, e.g. http://127.0.0.1:3100. */
  url: string;
  /** The page to open in a browser. */
  pageUrl: string;
  workspace: Workspace;
  /**
   * Points deliveries at the app (it usually starts after the emulator): one endpoint, or a list
   * of its frontends that take deliveries in turn (see {@link roundRobin}).
   */
  connectApp(target: AppTarget): void;
  /** Types a slash command as `user` in `channel` (`#name` or id), as the page does. */
  command(user: string, channel: string, text: string): Promise<DeliveryResult>;
  /**
   * Clicks the button `actionId` on message `ts`, as the page does. A message may repeat an action
   * id (a pending-requests list, a digest), each button with its own value: `which` names the one
   * clicked by its block (index in the message's blocks) and the value it showed; without it, the
   * first. A button no longer in the message (it was edited meanwhile) is not clicked.
   */
  click(
    user: string,
    channel: string,
    ts: string,
    actionId: string,
    which?: ButtonRef,
  ): Promise<DeliveryResult>;
  /**
   * Opens `user`'s App Home as the page does: Slack sends the app `app_home_opened`, and the app
   * publishes the view (read it with `homeFor`).
   */
  openHome(user: string): Promise<DeliveryResult>;
  /** `user`'s App Home as the app last published it, if it has. */
  homeFor(user: string): { id: string; hash: string; view: Record<string, unknown> } | undefined;
  /** Clicks the button `actionId` in `user`'s App Home (as in `click`, `which` picks among several). */
  clickHome(user: string, actionId: string, which?: ButtonRef): Promise<DeliveryResult>;
  /**
   * Submits the modal open for `user` with values by block_id, as the page does: a string for a
   * text input or select, the selected option values for checkboxes.
   */
  submitView(user: string, values: Record<string, ViewInputValue>): Promise<DeliveryResult>;
  /** The modal open for `user`, if any. */
  viewFor(user: string): OpenView | undefined;
}

/** Which of several buttons with one action id was clicked: as the page rendered it. */
export interface ButtonRef {
  /** Index of its block in the message's blocks. */
  block?: number;
  /** The value the button carried when it was shown. */
  value?: string;
}

export interface SlackEmulatorOptions {
  /** 0 picks a free port. */
  port: number;
  /**
   * The app to deliver commands and clicks to, or a list of its frontends taking deliveries in
   * turn; can also be set later with `connectApp`.
   */
  app?: AppTarget;
  /** People the page offers to act as (policy approvers, admins, owners…). */
  users?: { id: string; name: string; label?: string }[];
  /** Channels to show before anything is posted in them. */
  channels?: string[];
  /**
   * Slack's Web API rate limits (see `WebApiRateLimits`): `true` or `false`, or changes to Slack's
   * rates with a `clock` (ms) for tests that step time instead of waiting. When this leaves
   * `enabled` out, `LADDER_EMULATOR_RATE_LIMITS` (on/off) decides, and unset means on: the
   * emulator is as strict as Slack unless told otherwise. `/emulator/rate-limits` changes them later.
   */
  rateLimits?: boolean | (RateLimitChange & { clock?: () => number });
  /**
   * A file the workspace (channels, messages, their buttons) is saved to after every change and
   * read back from at start, so a restart keeps pending approvals clickable. Unset: memory only.
   * A file that cannot be read back stops the start with a {@link WorkspaceFileError}.
   */
  stateFile?: string;
}

class EmulatorInputError extends Error {}

/**
 * Starts the local Slack emulator on 127.0.0.1. Everything a person does on its page goes to the
 * app as a correctly signed request with Slack's payload shape, so the app under test cannot tell
 * it from Slack.
 */
export async function startSlackEmulator(options: SlackEmulatorOptions): Promise<SlackEmulator> {
  const workspace = new Workspace(options.users ?? [], rateLimitsFor(options.rateLimits));
  const saved = options.stateFile ? loadWorkspaceFile(options.stateFile) : null;
  if (saved) workspace.restore(saved);
  const persistence = options.stateFile
    ? persistWorkspace(workspace, options.stateFile, {
        onError: (err) =>
          process.stderr.write(`Slack emulator: could not save ${options.stateFile}: ${err.message}\n`),
      })
    : undefined;
  for (const c of options.channels ?? []) workspace.channelId(c);
  // Each call gives the endpoint of the next delivery: every delivery (command, click, submission,
  // Home opening) takes one turn.
  let app: (() => AppEndpoint) | undefined = options.app ? roundRobin(options.app) : undefined;
  let baseUrl = '';

  const deliver = async (form: Record<string, string>): Promise<DeliveryResult> => {
    if (!app) return { status: 0, body: '', error: 'no app connected to the emulator' };
    return postSigned(app(), form);
  };

  /** Shows Slack's own complaint to the person when the app failed to answer. */
  const complain = (user: string, channel: string, what: string, result: DeliveryResult): void => {
    if (result.error)
      workspace.addMessage(channel, `${what} failed with the error "${result.error}"`, [], user);
  };

  const command = async (user: string, channel: string, text: string): Promise<DeliveryResult> => {
    const channelId = workspace.channelId(channel);
    const match = /^(\/\S+)\s*([\s\S]*)$/.exec(text.trim());
    if (!match) throw new EmulatorInputError('a slash command starts with /, e.g. /ladder help');
    const form = slashCommandForm(workspace, {
      user,
      channel: channelId,
      command: match[1],
      text: match[2],
      responseUrl: workspace.issueResponseUrl(baseUrl, channelId, user),
      triggerId: workspace.issueTrigger(user),
    });
    const result = await deliver(form);
    complain(user, channelId, match[1], result);
    if (!result.error) showResponse(workspace, channelId, user, result.body);
    return result;
  };

  const click = async (
    user: string,
    channel: string,
    ts: string,
    actionId: string,
    which?: ButtonRef,
  ): Promise<DeliveryResult> => {
    const channelId = workspace.channelId(channel);
    const message = workspace.visibleTo(user, channelId).find((m) => m.ts === ts);
    if (!message) throw new EmulatorInputError(`no message ${ts} in ${channel}`);
    const found = findButton(message.blocks, actionId, which);
    if (!found)
      throw new EmulatorInputError(
        `message ${ts} has no button ${actionId}${which?.value === undefined ? '' : ` with value ${which.value}`} (any more)`,
      );
    const payload = blockActionsPayload(workspace, {
      user,
      channel: channelId,
      message,
      action: found,
      responseUrl: workspace.issueResponseUrl(baseUrl, channelId, user),
      triggerId: workspace.issueTrigger(user),
    });
    const result = await deliver({ payload: JSON.stringify(payload) });
    complain(user, channelId, 'That button', result);
    return result;
  };

  const openHome = async (user: string): Promise<DeliveryResult> => {
    if (!app) return { status: 0, body: '', error: 'no app connected to the emulator' };
    const home = workspace.homes.get(user);
    const result = await postSignedJson(
      app(),
      appHomeOpenedEvent(user, workspace.dmWith(user), home ? { id: home.id } : undefined),
    );
    return result;
  };

  const clickHome = async (user: string, actionId: string, which?: ButtonRef): Promise<DeliveryResult> => {
    const home = workspace.homes.get(user);
    if (!home) throw new EmulatorInputError(`${user} has no App Home published yet: open it first`);
    const found = findButton((home.view.blocks as unknown[]) ?? [], actionId, which);
    if (!found) throw new EmulatorInputError(`${user}'s App Home has no button ${actionId} (any more)`);
    const payload = viewBlockActionsPayload(workspace, {
      user,
      view: home,
      action: found,
      triggerId: workspace.issueTrigger(user),
    });
    const result = await deliver({ payload: JSON.stringify(payload) });
    complain(user, workspace.dmWith(user), 'That button', result);
    return result;
  };

  const submitView = async (
    user: string,
    values: Record<string, ViewInputValue>,
  ): Promise<DeliveryResult> => {
    const open = workspace.viewFor(user);
    if (!open) throw new EmulatorInputError(`${user} has no modal open`);
    const payload = viewSubmissionPayload(workspace, open, values, workspace.issueTrigger(user));
    const result = await deliver({ payload: JSON.stringify(payload) });
    if (result.error) {
      open.errors = { '': `The app answered with the error "${result.error}"` };
      return result;
    }
    const body = (result.body || {}) as {
      response_action?: string;
      errors?: Record<string, string>;
      view?: unknown;
    };
    if (body.response_action === 'errors' && body.errors) open.errors = body.errors;
    else if ((body.response_action === 'update' || body.response_action === 'push') && body.view) {
      // Slack checks the new view as it checks views.update, and shows its error in the modal.
      const problem = viewProblem(body.view);
      if (problem) {
        open.errors = { '': `The app answered with an invalid view: ${problem}` };
        return { ...result, error: 'invalid_view' };
      }
      open.view = body.view as Record<string, unknown>;
      // A new view, a new hash (as in Slack): a later views.update with the old hash conflicts.
      open.hash = randomBytes(6).toString('hex');
      open.errors = {};
    } else workspace.views.delete(open.id);
    return result;
  };

  const server: Server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      const status = err instanceof EmulatorInputError ? 400 : 500;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: (err as Error).message }));
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const body = await readBody(req);
    const json = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (url.pathname.startsWith('/api/')) return handleApiRequest(workspace, req, res, body);
    const control = handleControlRequest(workspace, req.method ?? 'GET', url, body);
    if (control) return json(control.status, control.payload);
    if (req.method === 'GET' && url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(emulatorPage());
    }
    if (req.method === 'GET' && url.pathname === '/emulator/state') {
      return json(200, pageState(workspace, url.searchParams.get('user') ?? ''));
    }
    const responseMatch = /^\/response\/([0-9a-f]+)$/.exec(url.pathname);
    if (req.method === 'POST' && responseMatch) {
      const target = workspace.responseUrls.get(responseMatch[1]);
      if (!target) return json(404, { ok: false, error: 'expired_url' });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return json(400, { ok: false, error: 'invalid_json' });
      }
      showResponse(workspace, target.channel, target.user, parsed);
      return json(200, { ok: true });
    }
    if (req.method === 'POST' && url.pathname.startsWith('/emulator/')) {
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body) as Record<string, unknown>;
      } catch {
        throw new EmulatorInputError('expected a JSON body');
      }
      const user = String(input.user ?? '');
      if (!isSlackUserId(user))
        throw new EmulatorInputError('choose who you are acting as (a Slack user id)');
      switch (url.pathname) {
        case '/emulator/command':
          return json(200, await command(user, String(input.channel ?? ''), String(input.text ?? '')));
        case '/emulator/click':
          return json(
            200,
            await click(
              user,
              String(input.channel ?? ''),
              String(input.ts ?? ''),
              String(input.actionId ?? ''),
              {
                ...(typeof input.block === 'number' && Number.isInteger(input.block)
                  ? { block: input.block }
                  : {}),
                ...(typeof input.value === 'string' ? { value: input.value } : {}),
              },
            ),
          );
        case '/emulator/home':
          return json(200, await openHome(user));
        case '/emulator/home-click':
          return json(
            200,
            await clickHome(user, String(input.actionId ?? ''), {
              ...(typeof input.block === 'number' && Number.isInteger(input.block)
                ? { block: input.block }
                : {}),
              ...(typeof input.value === 'string' ? { value: input.value } : {}),
            }),
          );
        case '/emulator/submit':
          return json(200, await submitView(user, (input.values ?? {}) as Record<string, ViewInputValue>));
        case '/emulator/close': {
          const open = workspace.viewFor(user);
          if (open) workspace.views.delete(open.id);
          return json(200, { ok: true });
        }
      }
    }
    json(404, { ok: false, error: `no route ${req.method} ${url.pathname}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    pageUrl: `${baseUrl}/`,
    apiUrl: `${baseUrl}/api/`,
    workspace,
    messages: (channel) => [...workspace.messages(channel)],
    channelId: (name) => workspace.channelId(name),
    dmWith: (user) => workspace.dmWith(user),
    injectFault: (fault, o = {}) => workspace.faults.add(fault, o.method, o.times ?? 1),
    faultReport: () => workspace.faults.report(),
    rateLimitReport: () => workspace.rateLimits.report(),
    setRateLimits: (change) => workspace.rateLimits.configure(change),
    deleted: workspace.deleted,
    calls: workspace.calls,
    connectApp: (target) => {
      app = roundRobin(target);
    },
    command,
    click,
    openHome,
    homeFor: (user) => workspace.homes.get(user),
    clickHome,
    submitView,
    viewFor: (user) => workspace.viewFor(user),
    close: () =>
      new Promise<void>((resolve) => {
        workspace.faults.close();
        persistence?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The limiter for `startSlackEmulator`'s `rateLimits` option, the environment filling in `enabled`. */
function rateLimitsFor(option: SlackEmulatorOptions['rateLimits']): WebApiRateLimits {
  const { clock, ...change } = typeof option === 'object' ? option : { enabled: option };
  return new WebApiRateLimits({ ...change, enabled: change.enabled ?? rateLimitsFromEnv() ?? true }, clock);
}

/** Shows an app's command ack or response_url answer: ephemeral unless `response_type: in_channel`. */
function showResponse(workspace: Workspace, channel: string, user: string, body: unknown): void {
  if (typeof body === 'string') {
    if (body.trim()) workspace.addMessage(channel, body, [], user);
    return;
  }
  const b = body as { text?: string; blocks?: unknown[]; response_type?: string } | null;
  if (!b || (b.text === undefined && b.blocks === undefined)) return;
  workspace.addMessage(
    channel,
    b.text ?? '',
    b.blocks ?? [],
    b.response_type === 'in_channel' ? undefined : user,
  );
}

/**
 * The button `actionId` in an actions block's elements or a section's accessory: the one with
 * `which.value` (in block `which.block` if there is one there), else the one in block
 * `which.block`, else the first. Blocks without a block_id get an index-based id, as Slack makes
 * one up for them, so two buttons with one action id are told apart.
 */
function findButton(
  blocks: unknown[],
  actionId: string,
  which: ButtonRef = {},
): { action_id: string; block_id: string; value?: string; text?: unknown; style?: string } | undefined {
  if (which.value !== undefined && which.block !== undefined) {
    const there = findButton(blocks, actionId, { block: which.block });
    if (there?.value === which.value) return there;
  }
  const only = which.value === undefined ? which.block : undefined;
  const all = blocks as {
    type?: string;
    block_id?: string;
    elements?: Record<string, unknown>[];
    accessory?: Record<string, unknown>;
  }[];
  for (const [index, block] of all.entries()) {
    if (only !== undefined && index !== only) continue;
    const candidates =
      block.type === 'actions'
        ? (block.elements ?? [])
        : block.type === 'section' && block.accessory
          ? [block.accessory]
          : [];
    const element = candidates.find(
      (e) =>
        e.type === 'button' &&
        e.action_id === actionId &&
        (which.value === undefined || e.value === which.value),
    );
    if (element) {
      return {
        action_id: actionId,
        block_id: block.block_id ?? `block-${index}`,
        value: element.value as string | undefined,
        text: element.text,
        style: element.style as string | undefined,
      };
    }
  }
  return undefined;
}

/**
 * What the page shows a user: channels, their DMs, the messages they can see, their open modal,
 * and whether Slack's rate limits are on (with how many calls they refused).
 */
function pageState(workspace: Workspace, user: string) {
  const channels = [...workspace.channels.values()].filter((c) => c.kind === 'channel' || c.user === user);
  return {
    users: workspace.users,
    channels: channels.map((c) => ({
      id: c.id,
      name: c.kind === 'dm' ? 'Ladder (DM)' : `#${c.name}`,
      kind: c.kind,
      messages: workspace.visibleTo(user, c.id),
    })),
    view: workspace.viewFor(user) ?? null,
    rateLimits: {
      enabled: workspace.rateLimits.enabled,
      limited: workspace.rateLimits.limitedTotal,
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString('utf8')));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
