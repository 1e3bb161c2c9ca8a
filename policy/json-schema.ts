import { z } from 'zod';
import { policySchema } from './schema';

/**
 * The JSON Schema of the policy file, generated from the same zod schema the loader validates with,
 * so editor completion and validation can never drift apart. Describes the file as written
 * (durations are strings), not the parsed form.
 */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policySchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Ladder policy',
    description: 'Task classes, agents and the evidence rules of the Ladder autonomy policy.',
  };
}
