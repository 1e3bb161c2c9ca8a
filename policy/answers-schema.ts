import { SLACK_USER_ID } from './slack-ids';
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration';

// Own copy of the duration schema: importing it from ./schema would make the two modules import
// each other.
const durationSchema = z
  .string({ message: 'expected a duration such as 90s, 30m, 4h or 14d' })
  .regex(DURATION_PATTERN, { message: 'expected a duration such as 90s, 30m, 4h or 14d' })
  .transform((text) => parseDuration(text)!);

/** A public key named directly in the policy (the same shape as an entry of the keys file). */
export const answerKeySchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, { message: 'expected a key id (letters, digits, ".", "_", "-")' }),
    publicKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/, {
      message: 'expected a raw Ed25519 public key, 43 characters of base64url',
    }),
    kind: z.enum(['frontend', 'operator'], { message: 'expected frontend or operator' }),
    person: z
      .string()
      .regex(SLACK_USER_ID, { message: 'expected a Slack user id such as U012ABC' })
      .optional()
      .meta({ description: 'for operator keys: the only person the key may answer as' }),
  })
  .refine((k) => k.kind !== 'operator' || k.person !== undefined, {
    message: 'an operator key must name its person',
    path: ['person'],
  });

/** The file `answers.keysFile` points at: `{ keys: [...] }`. */
export const answerKeysFileSchema = z.strictObject({ keys: z.array(answerKeySchema) });

/**
 * How human answers are proven: the public keys whose signatures the workflows accept, how long a
 * signature stays valid, and (demo only) whether an unsigned, merely claimed identity is accepted.
 */
export const answersSchema = z
  .strictObject({
    keys: z.array(answerKeySchema).default([]),
    keysFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'a JSON file of public keys, relative to this policy file' }),
    revoked: z
      .array(z.string())
      .default([])
      .meta({ description: 'ids of keys no longer accepted, even for answers signed earlier' }),
    ttl: durationSchema
      // A frontend sends one signed answer again for up to a minute while Temporal does not
      // confirm it (client/answer-task.ts): a shorter life refuses its own retries as expired.
      .refine((ms) => ms >= 60_000, {
        message:
          'expected at least 1m: a signed answer is sent again for up to a minute when Temporal does not confirm it, and would be refused as expired',
      })
      .default(15 * 60_000)
      .meta({ description: 'how long a signed answer stays valid (a modal, retries, a worker restart)' }),
    allowClaimedIdentities: z
      .boolean({ message: 'expected true or false' })
      .default(false)
      .meta({ description: 'DEMO ONLY: accept unsigned answers with a claimed identity' }),
  })
  .default({ keys: [], revoked: [], ttl: 15 * 60_000, allowClaimedIdentities: false });
