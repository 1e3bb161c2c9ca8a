import { z } from 'zod';

// Own file so policy/schema.ts only gains one line: the guard is about who may change the policy,
// not about deciding tasks, and policy-signature.ts reads it without the rest of the schema.

/**
 * `policyGuard`: the policy file itself is guarded. Once the policy in force sets it, a new version
 * loads only with enough valid signatures by distinct admins' operator keys (`<policy>.sig.json`).
 */
export const policyGuardSchema = z
  .strictObject({
    requireSignatures: z
      .int({ message: 'expected a whole number ≥ 1' })
      .min(1, { message: 'expected a whole number ≥ 1' })
      .meta({ description: 'signatures by distinct admins every new version needs' }),
    sensitiveSignatures: z
      .int({ message: 'expected a whole number ≥ 1' })
      .min(1, { message: 'expected a whole number ≥ 1' })
      .default(2)
      .meta({
        description:
          'signatures a change to admins, answers (keys), pins or policyGuard needs (never fewer than requireSignatures)',
      }),
  })
  .meta({
    description: 'require admins’ signatures (<policy file>.sig.json) for a new policy version to load',
  });

export type PolicyGuard = z.output<typeof policyGuardSchema>;
