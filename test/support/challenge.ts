/**
 * An independent RFC 7235 §2.1 challenge parser, written from the grammar rather than from
 * our renderer, so tests can parse `WWW-Authenticate` back and compare parameters.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parses a header value holding one or more challenges. Throws on a syntax error. */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let rest = header.trim();
  while (rest.length > 0) {
    const scheme = TOKEN.exec(rest)?.[0];
    if (scheme === undefined) throw new SyntaxError(`expected a scheme at: ${rest}`);
    rest = rest.slice(scheme.length).replace(/^ +/, '');
    const challenge: Challenge = { scheme, params: {} };
    challenges.push(challenge);
    for (;;) {
      const name = TOKEN.exec(rest)?.[0];
      if (name === undefined || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ *=/.test(rest)) break;
      rest = rest.slice(name.length).replace(/^ *= */, '');
      let value: string;
      if (rest.startsWith('"')) {
        let i = 1;
        value = '';
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === '\\') i++;
          value += rest[i];
        }
        if (rest[i] !== '"') throw new SyntaxError('unterminated quoted-string');
        rest = rest.slice(i + 1);
      } else {
        const token = TOKEN.exec(rest)?.[0];
        if (token === undefined) throw new SyntaxError(`expected a value for ${name}`);
        value = token;
        rest = rest.slice(token.length);
      }
      const key = name.toLowerCase();
      if (key in challenge.params) throw new SyntaxError(`duplicate parameter ${name}`);
      challenge.params[key] = value;
      rest = rest.replace(/^ *, */, '');
    }
    // A challenge without parameters (`Bearer, DPoP algs="…"`) ends at its comma.
    if (Object.keys(challenge.params).length === 0) rest = rest.replace(/^ *, */, '');
  }
  return challenges;
}

/** The single challenge of `header`, asserting there is exactly one. */
export function parseChallenge(header: string | null | undefined): Challenge {
  if (header === null || header === undefined) throw new Error('no WWW-Authenticate header');
  const all = parseChallenges(header);
  if (all.length !== 1) throw new Error(`expected one challenge, got ${all.length}`);
  return all[0]!;
}
