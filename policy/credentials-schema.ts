import { z } from 'zod';

// Agents never hold the credentials of the systems they act on: the policy names where each secret
// lives, and only the worker reads it, at execution. The policy holds references, never values,
// so the file can be reviewed, versioned and shown to agents without leaking anything.

/** Prefix every secret's environment variable must carry, so no policy can hand out the worker's own settings. */
export const SECRET_ENV_PREFIX = 'LADDER_SECRET_';

const envName = z
  .string({ message: `expected an environment variable name starting with ${SECRET_ENV_PREFIX}` })
  .regex(new RegExp(`^${SECRET_ENV_PREFIX}[A-Z0-9_]+$`), {
    message: `expected an environment variable name starting with ${SECRET_ENV_PREFIX} (upper case, digits, "_"): the worker's own settings are never handed out`,
  });

const absolutePath = z
  .string({ message: 'expected the absolute path of a file holding the secret' })
  .regex(/^(\/|[A-Za-z]:[\\/])/, {
    message: 'expected the absolute path of a file holding the secret',
  });

/** Where the worker reads one secret: an environment variable of its own, or a file. */
export const secretSourceSchema = z
  .strictObject({
    env: envName.optional().meta({ description: 'environment variable of the worker holding the secret' }),
    file: absolutePath
      .optional()
      .meta({ description: 'absolute path of a file holding the secret (trailing newline ignored)' }),
  })
  .refine((s) => (s.env === undefined) !== (s.file === undefined), {
    message: 'expected exactly one of env or file',
  });

/** One secret the worker injects as a request header for the listed hosts. */
export const credentialSchema = z.strictObject({
  id: z.string({ message: 'expected a credential id' }).regex(/^[a-z0-9][a-z0-9._-]*$/, {
    message: 'expected a lowercase credential id (letters, digits, ".", "_", "-")',
  }),
  hosts: z
    .array(
      z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, { message: 'expected a host name, optionally with :port' }),
    )
    .min(1, { message: 'expected at least one host' })
    .meta({ description: 'hosts (with :port when not the default) whose requests get the header' }),
  header: z
    .string()
    .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: 'expected an HTTP header name' })
    .default('Authorization'),
  scheme: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9._-]*$/, { message: 'expected an auth scheme such as Bearer' })
    .optional()
    .meta({ description: 'put before the secret with a space, e.g. Bearer' }),
  secret: secretSourceSchema,
  actions: z
    .array(
      z.string().regex(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9-]*)+$/, {
        message: 'expected an action type such as http.request',
      }),
    )
    .min(1, { message: 'expected at least one action type' })
    .optional()
    .meta({ description: 'action types that may use it; omit for every action that sends requests' }),
});

/**
 * The policy's `credentials` section: secret references the worker resolves. Ids must be unique
 * (errors and logs name credentials by id), and no two credentials may set the same header for the
 * same host and action: which one won would depend on the order of the file.
 */
export const credentialsSchema = z.array(credentialSchema).superRefine((list, ctx) => {
  list.forEach((c, i) => {
    const first = list.findIndex((other) => other.id === c.id);
    // `input` is what the loader shows as "got …": the offending value, not the whole list.
    if (first < i)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'id'],
        input: c.id,
        message: `expected a unique credential id (credentials[${first}] has it too)`,
      });
    // Lists are a handful of entries long: comparing every earlier pair is cheap and plain.
    const clash = list.slice(0, i).findIndex((other) => overlaps(other, c));
    if (clash >= 0)
      ctx.addIssue({
        code: 'custom',
        path: [i, 'hosts'],
        input: c.hosts.find((h) => list[clash].hosts.includes(h)),
        message: `expected one credential per header and host (credentials[${clash}] already sets ${list[clash].header} for it)`,
      });
  });
});

/** Whether two credentials could both set the same header on one request. */
function overlaps(a: Credential, b: Credential): boolean {
  if (a.header.toLowerCase() !== b.header.toLowerCase()) return false;
  if (!a.hosts.some((h) => b.hosts.includes(h))) return false;
  return !a.actions || !b.actions || a.actions.some((x) => b.actions!.includes(x));
}

export type Credential = z.output<typeof credentialSchema>;
