import { ConfigError, loadConfig } from '../../config/env';

/** The problems `loadConfig` lists for `env`; fails the test when it accepts it. */
export function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
