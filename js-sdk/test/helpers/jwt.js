// HS256 tokens for the tests, signed with Node's HMAC (what an application's backend does,
// spec 14.1): header.claims.signature, each part base64url.
import { createHmac } from 'node:crypto';

const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT of `claims` signed HS256 with `secret`. */
export function hs256(secret, claims) {
  const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** Seconds since the epoch, for `exp`. */
export const nowSecs = () => Math.floor(Date.now() / 1000);
