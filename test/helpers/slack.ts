import { randomBytes } from 'node:crypto';
import type { ActivityDeps } from '../../activities';
import { createActionRegistry } from '../../activities/actions/registry';
import { createLedgerLink } from '../../client/ledger-link';
import { SlackNotifier } from '../../activities/notify/slack';
import { createLogger } from '../../config/logger';
import type { LoadedPolicy } from '../../policy/loader';
import { createSlackApp, type LadderSlackApp } from '../../slack/app';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { policyPeopleAndChannels } from '../../slack/emulator/policy-people';
import { startSlackEmulator, type SlackEmulator } from '../../slack/emulator/server';
import { startTestStack, type TestStack } from './temporal';
import { waitUntil } from './wait';
import { frontendSigner } from './answers';

/** The whole Slack path for a test: emulator, real worker posting to it, real Bolt app it delivers to. */
export interface SlackRig {
  emulator: SlackEmulator;
  stack: TestStack;
  app: LadderSlackApp;
  appUrl: string;
  signingSecret: string;
  /**
   * Stops the emulator and starts it again on the same port (with `emulatorStateFile`, from its
   * saved workspace), reconnected to the app; `emulator` is the new one afterwards.
   */
  restartEmulator(): Promise<SlackEmulator>;
  stop(): Promise<void>;
}

export const UI_BASE = 'http://localhost:8233';

/**
 * Starts the emulator, a worker whose notifier posts to it, and the Bolt app on a free port; the
 * emulator delivers commands, clicks and submissions to the app as signed requests.
 */
export async function startSlackRig(
  name: string,
  policy: LoadedPolicy,
  options: {
    ackTimeoutMs?: number;
    activityDeps?: Partial<ActivityDeps>;
    ledger?: boolean;
    /** Where the emulator saves its workspace (memory only when unset). */
    emulatorStateFile?: string;
  } = {},
): Promise<SlackRig> {
  const signingSecret = randomBytes(16).toString('hex');
  const emulatorOptions = { ...policyPeopleAndChannels(policy), stateFile: options.emulatorStateFile };
  const emulator = await startSlackEmulator({ port: 0, ...emulatorOptions });
  const stack = await startTestStack(name, {
    policy,
    ledger: options.ledger,
    activityDeps: { notifier: new SlackNotifier('xoxb-test', emulator.apiUrl), ...options.activityDeps },
  });
  let counter = 0;
  const app = createSlackApp({
    deps: {
      temporal: stack.client,
      taskQueue: stack.taskQueue,
      policy: () => stack.policy.current,
      actions: createActionRegistry(),
      uiBaseUrl: UI_BASE,
      log: createLogger('slack-test', process.env.LOG_LEVEL ?? 'silent'),
      ledger: createLedgerLink({ client: stack.client, taskQueue: stack.taskQueue }),
      signer: frontendSigner(),
      newTaskId: () => `${name}-${++counter}-${randomBytes(3).toString('hex')}`,
    },
    transport: { kind: 'http', signingSecret, port: 0 },
    botToken: 'xoxb-test',
    apiUrl: emulator.apiUrl,
  });
  const { url } = await app.start();
  // Slack waits 3 s for an ack; a loaded CI machine gets more, the app still acks first.
  const appEndpoint = { url: url!, signingSecret, timeoutMs: options.ackTimeoutMs ?? 15_000 };
  emulator.connectApp(appEndpoint);
  const rig: SlackRig = {
    emulator,
    stack,
    app,
    appUrl: url!,
    signingSecret,
    async restartEmulator() {
      const port = Number(new URL(rig.emulator.url).port);
      await rig.emulator.close();
      rig.emulator = await startSlackEmulator({ port, ...emulatorOptions, app: appEndpoint });
      return rig.emulator;
    },
    async stop() {
      await app.stop();
      await stack.stop();
      await rig.emulator.close();
    },
  };
  return rig;
}

/** Waits for a message in `channel` that `user` can see and `match` accepts; returns a snapshot of it as it was then. */
export async function waitForMessage(
  emulator: SlackEmulator,
  channel: string,
  match: (m: EmulatedMessage) => boolean,
  user = 'U0NOBODY1',
): Promise<EmulatedMessage> {
  let found: EmulatedMessage | undefined;
  await waitUntil(() => {
    found = emulator.workspace.visibleTo(user, emulator.channelId(channel)).find(match);
    return found !== undefined;
  });
  return structuredClone(found!);
}

/** Everything a message says, blocks included, as one string for assertions. */
export function messageText(m: EmulatedMessage): string {
  return `${m.text} ${JSON.stringify(m.blocks)}`;
}

/** The ephemeral messages shown to `user` in `channel`, oldest first. */
export function ephemeralsFor(emulator: SlackEmulator, channel: string, user: string): string[] {
  return emulator
    .messages(channel)
    .filter((m) => m.ephemeralTo === user)
    .map((m) => m.text);
}
