import { ConfigError } from '../../config/env';
import { DEFAULT_DASHBOARD_PORT, isLoopback, loadDashboardEnv } from '../../dashboard/env';

describe("the dashboard's environment", () => {
  it('binds 127.0.0.1:8090 without sign-in by default', () => {
    expect(loadDashboardEnv({})).toEqual({
      port: DEFAULT_DASHBOARD_PORT,
      host: '127.0.0.1',
      refreshMs: 5000,
      publicUrl: null,
      sessionMs: 12 * 3_600_000,
      signInRequired: false,
    });
  });

  it('requires sign-in once bound beyond loopback, and keeps the public URL without a trailing slash', () => {
    const env = loadDashboardEnv({
      LADDER_DASHBOARD_HOST: '0.0.0.0',
      LADDER_DASHBOARD_PORT: '9000',
      LADDER_DASHBOARD_PUBLIC_URL: 'https://ladder.example.com/',
    });
    expect(env).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      signInRequired: true,
      publicUrl: 'https://ladder.example.com',
    });
    expect(isLoopback('127.0.0.2')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('treats empty variables as unset', () => {
    expect(loadDashboardEnv({ LADDER_DASHBOARD_PORT: '' }).port).toBe(DEFAULT_DASHBOARD_PORT);
  });

  it.each([
    [
      'LADDER_DASHBOARD_PORT',
      '70000',
      /LADDER_DASHBOARD_PORT: expected a port number from 0 to 65535.*"70000"/,
    ],
    ['LADDER_DASHBOARD_PORT', 'http', /LADDER_DASHBOARD_PORT: expected a port number/],
    ['LADDER_DASHBOARD_HOST', 'not a host!', /LADDER_DASHBOARD_HOST: expected an IP address or host name/],
    [
      'LADDER_DASHBOARD_REFRESH_MS',
      '10',
      /LADDER_DASHBOARD_REFRESH_MS: expected a whole number of milliseconds from 250/,
    ],
    [
      'LADDER_DASHBOARD_PUBLIC_URL',
      'javascript:alert(1)',
      /LADDER_DASHBOARD_PUBLIC_URL: expected an http\(s\) URL/,
    ],
    [
      'LADDER_DASHBOARD_SESSION_MS',
      '1',
      /LADDER_DASHBOARD_SESSION_MS: expected a whole number of milliseconds/,
    ],
  ])('refuses %s=%s, naming the variable', (variable, value, message) => {
    let error: unknown;
    try {
      loadDashboardEnv({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(1);
    expect((error as ConfigError).message).toMatch(message);
  });
});
