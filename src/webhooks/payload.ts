/**
 * Parsing a verified body. Runs only after the signature is good: parsing attacker-chosen
 * JSON before that would be work (and a parser's attack surface) spent on forgeries.
 */
import { WebhookError } from './errors.js';

/** `fatal`: invalid UTF-8 is an error here, not silently replaced with U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as JSON; `invalid_payload` (400) when it is not UTF-8 JSON. */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (cause) {
    throw new WebhookError('invalid_payload', 'body is not valid UTF-8', { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new WebhookError('invalid_payload', 'body is not valid JSON', { cause });
  }
}
