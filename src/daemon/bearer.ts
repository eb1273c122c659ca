import { createHash, timingSafeEqual } from 'node:crypto';

/** Why a control request is (not) authorised; the reason goes to the log, never the token. */
export type BearerVerdict = 'ok' | 'missing' | 'malformed' | 'wrong';

/**
 * Checks `Authorization: Bearer <token>` against the configured token in constant time. Both sides
 * are hashed first so timingSafeEqual always gets equal-length buffers and the comparison does not
 * leak the token's length either. An empty configured token authorises nothing.
 */
export function checkBearer(header: string | undefined, token: string): BearerVerdict {
  if (header === undefined || header.trim() === '') return 'missing';
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  const given = match?.[1];
  if (given === undefined) return 'malformed';
  if (token === '') return 'wrong';
  return timingSafeEqual(digest(given), digest(token)) ? 'ok' : 'wrong';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
