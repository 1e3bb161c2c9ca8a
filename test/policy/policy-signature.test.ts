import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import {
  addPolicySignature,
  checkPolicySignatures,
  policySha256,
  sensitiveChanges,
  signPolicyText,
  type PolicySignatureFile,
} from '../../policy/policy-signature';
import { guardedPolicyText, KEYS } from '../helpers/signed-policy';

function load(text: string): LoadedPolicy {
  const r = parsePolicy(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

function signed(text: string, ...keys: (typeof KEYS)[keyof typeof KEYS][]): PolicySignatureFile {
  return keys.reduce<PolicySignatureFile | null>(
    (file, key) =>
      addPolicySignature(file, text, { keyId: key.id, signature: signPolicyText(text, key.privateKeyPem) }),
    null,
  )!;
}

describe('policy signatures', () => {
  const v1Text = guardedPolicyText();
  const v1 = load(v1Text);

  it('validates the policyGuard key and defaults sensitiveSignatures to 2', () => {
    expect(v1.policyGuard).toEqual({ requireSignatures: 1, sensitiveSignatures: 2 });
    const bad = parsePolicy(guardedPolicyText({ guard: '{ requireSignatures: 0, extra: 1 }' }));
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['policyGuard.requireSignatures', 'policyGuard.extra']),
    );
  });

  it('needs nothing when neither the policy in force nor a first load requires signatures', () => {
    const text = guardedPolicyText({ guard: null });
    expect(checkPolicySignatures(text, load(text), null, null)).toMatchObject({
      ok: true,
      required: 0,
      signers: [],
    });
  });

  it('refuses an unsigned first load of a file that requires signatures, and takes one admin’s', () => {
    expect(checkPolicySignatures(v1Text, v1, null, null)).toMatchObject({
      ok: false,
      required: 1,
      problems: [expect.stringContaining('needs 1 signature by distinct admins, has 0 valid')],
    });
    expect(checkPolicySignatures(v1Text, v1, null, signed(v1Text, KEYS.admin1))).toMatchObject({
      ok: true,
      signers: [{ person: 'U0ADMIN01', keyId: 'operator-U0ADMIN01' }],
      problems: [],
    });
  });

  it('takes one signature for a plain change and needs two distinct admins for a change to admins', () => {
    const plainText = guardedPolicyText({ version: 'guarded-2' });
    expect(checkPolicySignatures(plainText, load(plainText), v1, signed(plainText, KEYS.admin1)).ok).toBe(
      true,
    );

    const adminsText = guardedPolicyText({
      version: 'guarded-2',
      admins: ['U0ADMIN01', 'U0ADMIN02', 'U0ADMIN03'],
    });
    const admins = load(adminsText);
    expect(checkPolicySignatures(adminsText, admins, v1, signed(adminsText, KEYS.admin1))).toMatchObject({
      ok: false,
      required: 2,
      sensitive: ['admins'],
      problems: [
        expect.stringContaining(
          'needs 2 signatures by distinct admins (it changes admins), has 1 valid (U0ADMIN01)',
        ),
      ],
    });
    // Two keys of one person are still one admin.
    expect(
      checkPolicySignatures(adminsText, admins, v1, signed(adminsText, KEYS.admin1, KEYS.admin1b)).ok,
    ).toBe(false);
    expect(
      checkPolicySignatures(adminsText, admins, v1, signed(adminsText, KEYS.admin1, KEYS.admin2)),
    ).toMatchObject({
      ok: true,
      signers: [{ person: 'U0ADMIN01' }, { person: 'U0ADMIN02' }],
    });
  });

  it('names answers, pins and policyGuard changes as sensitive, including a class’s pins', () => {
    const withPin = load(
      v1Text.replace(
        '    approval: { remindAfter: 30m, expireAfter: 1h }\n',
        "    approval: { remindAfter: 30m, expireAfter: 1h }\n    pins: [{ id: prod, when: { environments: [production] }, maxRung: 2, reason: 'prod' }]\n",
      ),
    );
    expect(sensitiveChanges(v1, withPin)).toEqual(['pins']);
    expect(sensitiveChanges(v1, load(guardedPolicyText({ guard: '{ requireSignatures: 2 }' })))).toEqual([
      'policyGuard',
    ]);
    expect(sensitiveChanges(v1, load(v1Text.replace('answers: {', 'answers: { ttl: 5m,')))).toEqual([
      'answers',
    ]);
    expect(sensitiveChanges(null, v1)).toEqual([]);
  });

  it('refuses a signature by a non-admin, over other bytes, or altered', () => {
    const nextText = guardedPolicyText({ version: 'guarded-2' });
    const next = load(nextText);
    expect(checkPolicySignatures(nextText, next, v1, signed(nextText, KEYS.approver))).toMatchObject({
      ok: false,
      problems: [
        expect.stringContaining('has 0 valid'),
        'key "operator-U0APPR001" belongs to U0APPR001, who is not an admin',
      ],
    });
    expect(checkPolicySignatures(nextText, next, v1, signed(v1Text, KEYS.admin1))).toMatchObject({
      ok: false,
      problems: [
        expect.any(String),
        'the signatures are for other bytes (the file changed after it was signed)',
      ],
    });
    // The right hash but a signature over other bytes: the signature itself does not fit.
    const forged = {
      contentSha256: policySha256(nextText),
      signatures: signed(v1Text, KEYS.admin1).signatures,
    };
    expect(checkPolicySignatures(nextText, next, v1, forged).problems).toContain(
      'signature by "operator-U0ADMIN01" does not match this file\'s bytes',
    );
  });

  it('counts only keys and admins of the policy in force, not those the new version adds', () => {
    const withoutAdmin2 = load(guardedPolicyText({ admins: ['U0ADMIN01'] }));
    const addsText = guardedPolicyText({ version: 'guarded-2' });
    const verdict = checkPolicySignatures(
      addsText,
      load(addsText),
      withoutAdmin2,
      signed(addsText, KEYS.admin1, KEYS.admin2),
    );
    expect(verdict).toMatchObject({ ok: false, required: 2, sensitive: ['admins'] });
    expect(verdict.problems).toContain('key "operator-U0ADMIN02" belongs to U0ADMIN02, who is not an admin');
  });
});
