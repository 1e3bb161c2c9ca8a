import { z } from 'zod';
import { ConfigError } from '../config/env';

const port = z
  .string()
  .regex(/^\d+$/, { message: 'expected a port number from 1 to 65535' })
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, { message: 'expected a port number from 1 to 65535' });

const apiEnvSchema = z.object({ LADDER_API_PORT: port.default(3200) });

/** Where the agents' HTTP API (and its MCP endpoint) listens: loopback only, in front of a proxy. */
export interface ApiConfig {
  host: '127.0.0.1';
  port: number;
}

/**
 * Reads the API's own settings from the environment (`LADDER_API_PORT`, default 3200); the rest
 * (Temporal, policy, task queue) comes from `config/env.ts` like every Ladder process.
 *
 * @throws {ConfigError} naming the variable and what was expected.
 */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const raw = env.LADDER_API_PORT ? { LADDER_API_PORT: env.LADDER_API_PORT } : {};
  const parsed = apiEnvSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `LADDER_API_PORT: ${i.message}, got ${JSON.stringify(env.LADDER_API_PORT)}`,
      ),
    );
  }
  return { host: '127.0.0.1', port: parsed.data.LADDER_API_PORT };
}
