import { existsSync } from 'node:fs';
import { AnswerKeyError, loadAnswerSigner, localKeyLayout, type AnswerSigner } from '../client/answer-signer';
import type { Config } from '../config/env';
import { CliError } from './policy-commands';

/**
 * The operator's own answer key for `--as <person>`: `--key`, else `LADDER_OPERATOR_KEY`, else the
 * local stack's `<keys dir>/operators/<person>.key.json`. Workflows accept an operator key only for
 * answers given as its own person, so `--as` cannot borrow someone else's authority.
 *
 * @throws {CliError} naming the file when there is no usable key, or it is not an operator key
 *   (a frontend's key is refused: it would sign as any `--as`).
 */
export function operatorSigner(config: Config, person: string, keyOption?: string): AnswerSigner {
  const path = keyOption ?? config.keys.operatorKey ?? localKeyLayout(config.keys.dir).operatorKey(person);
  if (!existsSync(path)) {
    throw new CliError(
      `no answer key for ${person} at ${path}: answers are signed with the operator's own key. Make one with \`ladder keys create --person ${person}\` and have an admin add its public key to the policy (answers.keys).`,
    );
  }
  let signer: AnswerSigner;
  try {
    signer = loadAnswerSigner(path);
  } catch (err) {
    if (err instanceof AnswerKeyError) throw new CliError(err.message);
    throw err;
  }
  // A frontend key vouches for anyone it names: the CLI answers only with a person's own key.
  if (signer.kind !== 'operator') {
    throw new CliError(
      `${path} is a ${signer.kind} key (it vouches for whoever its frontend verified), not ${person}'s operator key: answer with your own key, made with \`ladder keys create --person ${person}\``,
    );
  }
  if (signer.person !== person) {
    throw new CliError(`${path} is ${signer.person}'s key; it cannot answer as ${person}`);
  }
  return signer;
}
