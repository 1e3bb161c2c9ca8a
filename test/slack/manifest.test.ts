import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// The manifest must grant what the app calls, or a real install fails where the emulator passed.
describe('slack/manifest.yaml', () => {
  const manifest = parse(readFileSync(join(__dirname, '..', '..', 'slack', 'manifest.yaml'), 'utf8')) as {
    features: { slash_commands: { command: string; url: string }[]; app_home: { home_tab_enabled: boolean } };
    oauth_config: { scopes: { bot: string[] } };
    settings: {
      interactivity: { is_enabled: boolean; request_url: string };
      event_subscriptions: { request_url: string; bot_events: string[] };
    };
  };

  it('declares /ladder and interactivity on the path the receiver serves', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/ladder']);
    expect(manifest.features.slash_commands[0].url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity).toMatchObject({
      is_enabled: true,
      request_url: expect.stringMatching(/\/slack\/events$/),
    });
  });

  it('enables the Home tab and subscribes to app_home_opened on the same path', () => {
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.request_url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
  });

  it('grants a scope for every Web API method Ladder calls', () => {
    const needs: Record<string, string> = {
      'chat.postMessage': 'chat:write',
      'chat.update': 'chat:write',
      'chat.postEphemeral': 'chat:write',
      'conversations.open': 'im:write',
      'conversations.list': 'channels:read',
      'conversations.history': 'channels:history',
      'users.info': 'users:read',
      'slash command': 'commands',
    };
    for (const [method, scope] of Object.entries(needs)) {
      expect([method, manifest.oauth_config.scopes.bot.includes(scope)]).toEqual([method, true]);
    }
  });
});
