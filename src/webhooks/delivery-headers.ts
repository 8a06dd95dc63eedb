/**
 * The checks every signed delivery shares before its signature: the header is there, the
 * timestamp is Unix seconds, and it falls inside the tolerance window both ways.
 *
 * A malformed value is the sender's bug (400); a well-formed timestamp outside the window
 * is a stale or replayed delivery, or a clock problem, and is refused like a bad signature
 * (401) with a description saying which way it is off.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { WebhookError } from './errors.js';

/** Ten digits reach the year 2286; more is a millisecond timestamp or garbage. */
const UNIX_SECONDS = /^[0-9]{1,10}$/;

/** The value of header `name`, or `missing_header` when it is absent or empty. */
export function requireHeader(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  // Node joins repeated custom headers with ", "; only set-cookie arrives as an array.
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '') {
    throw new WebhookError('missing_header', `missing ${name} header`);
  }
  return text;
}

/** Parses a Unix-seconds timestamp header; `invalid_header` when it is anything else. */
export function parseTimestamp(text: string, name: string): number {
  if (!UNIX_SECONDS.test(text)) {
    const hint = /^[0-9]{13}$/.test(text) ? ' (this looks like milliseconds)' : '';
    throw new WebhookError('invalid_header', `${name} must be Unix seconds${hint}`);
  }
  return Number(text);
}

/** Refuses a timestamp more than `tolerance` seconds away from `now`, in either direction. */
export function checkTimestamp(timestamp: number, tolerance: number, now: number): void {
  if (now - timestamp > tolerance) {
    throw new WebhookError(
      'timestamp_too_old',
      `delivery is too old: signed ${now - timestamp} s ago, tolerance is ${tolerance} s`,
    );
  }
  if (timestamp - now > tolerance) {
    throw new WebhookError(
      'timestamp_in_future',
      `delivery is from the future: signed ${timestamp - now} s ahead, tolerance is ${tolerance} s`,
    );
  }
}

/** The current time in whole Unix seconds, the unit of every webhook timestamp. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
