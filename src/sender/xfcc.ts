/**
 * Envoy's `X-Forwarded-Client-Cert` (XFCC): which element to believe. The header is a list of
 * elements separated by `,`, each a list of `Key=Value` pairs separated by `;`, a value
 * double-quoted when it holds `,`, `;` or `=` (a `"` inside escaped as `\"`).
 *
 * Envoy's `APPEND_FORWARD` keeps what the client sent and appends the element of the
 * connection it terminated; `SANITIZE_SET` replaces the header with that one element. Either
 * way the element the proxy in front of the app wrote is the *last*: anything before it may
 * come from the client. So only the last element counts; when a hop appended after the one
 * that terminated the client's TLS, the last element has no client `Cert` and a
 * certificate-bound token is refused, never accepted.
 *
 * @see [Envoy - x-forwarded-client-cert](https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#x-forwarded-client-cert)
 */

/** Keys Envoy writes; one of them at the start of an element marks a value as XFCC. */
const XFCC_KEY = /(?:^|[;,])\s*(?:By|Hash|Cert|Chain|Subject|URI|DNS)=/i;

/** Whether `value` is written in XFCC syntax (rather than PEM, base64 DER or RFC 9440). */
export function isXfcc(value: string): boolean {
  return XFCC_KEY.test(value);
}

/**
 * The `Cert` value (URL-encoded PEM, as Envoy writes it) of the last element, or `undefined`
 * when the last element has none, has it twice, or the header does not parse.
 */
export function lastElementCert(value: string): string | undefined {
  const elements = parseXfcc(value);
  const last = elements?.at(-1);
  if (last === undefined) return undefined;
  const certs = last.filter(([key]) => key.toLowerCase() === 'cert');
  return certs.length === 1 && certs[0]![1] !== '' ? certs[0]![1] : undefined;
}

type Element = Array<[key: string, value: string]>;

/** Every element's pairs, in order; `undefined` for a malformed header (an open quote, a pair without `=`, an empty element). */
function parseXfcc(value: string): Element[] | undefined {
  const elements: Element[] = [];
  let pairs: Element = [];
  let key: string | undefined;
  let text = '';
  let quoted = false;
  const endPair = (): boolean => {
    if (key === undefined) return text.trim() === '' && pairs.length > 0;
    pairs.push([key.trim(), quoted ? text : text.trim()]);
    key = undefined;
    text = '';
    quoted = false;
    return true;
  };
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '"' && key !== undefined && text.trim() === '' && !quoted) {
      const end = closingQuote(value, i + 1);
      if (end === -1) return undefined;
      text = value.slice(i + 1, end).replace(/\\(.)/g, '$1');
      quoted = true;
      i = end;
    } else if (char === '=' && key === undefined) {
      key = text;
      text = '';
    } else if (char === ';' || char === ',') {
      if (!endPair()) return undefined;
      if (char === ',') {
        elements.push(pairs);
        pairs = [];
      }
    } else if (!quoted) {
      text += char;
    } else if (char.trim() !== '') {
      return undefined; // text after a closing quote
    }
  }
  if (!endPair()) return undefined;
  elements.push(pairs);
  return elements;
}

/** Index of the `"` that closes a quoted value starting at `from`, skipping `\"`; -1 when none. */
function closingQuote(value: string, from: number): number {
  for (let i = from; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === '"') return i;
  }
  return -1;
}
