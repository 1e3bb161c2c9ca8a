import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from our clock, either way, in seconds (Slack's own guidance: 5 minutes). */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Verifies a Slack request signature (`v0=HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)`).
 * Unlike Bolt's built-in check, a timestamp too far in the *future* is refused as well as a stale
 * one, so a captured request cannot be pre-dated for later replay.
 *
 * @param rawBody - the request body exactly as received (bytes matter).
 * @param nowSeconds - current Unix time in seconds (injected for tests).
 */
export function verifySlackSignature(args: {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  rawBody: string;
  nowSeconds: number;
}): SignatureCheck {
  const { timestamp, signature } = args;
  if (!timestamp || !/^\d+$/.test(timestamp))
    return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp' };
  if (!signature || !/^v0=[0-9a-f]{64}$/.test(signature))
    return { ok: false, reason: 'missing or malformed X-Slack-Signature' };
  const skew = args.nowSeconds - Number(timestamp);
  if (skew > MAX_CLOCK_SKEW_SECONDS)
    return { ok: false, reason: `stale request: timestamp is ${skew} s old` };
  if (skew < -MAX_CLOCK_SKEW_SECONDS)
    return { ok: false, reason: `future-dated request: timestamp is ${-skew} s ahead` };
  const expected = `v0=${createHmac('sha256', args.signingSecret).update(`v0:${timestamp}:${args.rawBody}`).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

/** Signs a body the way Slack does; the local emulator and tests use it to send real signed requests. */
export function signSlackRequest(signingSecret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}
