/**
 * The challenge side of sender-constrained tokens: which schemes a route in each `dpop` mode
 * names in its `WWW-Authenticate`, Bearer first (RFC 9449 §7.1), with the DPoP `algs`. Built
 * once per guard, mode and route, since every refusal renders with one of them.
 *
 * @see [RFC 9449 §7.1 - The DPoP Authentication Scheme](https://www.rfc-editor.org/rfc/rfc9449#section-7.1)
 */
import type { AuthScheme, ChallengeContext } from '../errors/oauth-error.js';
import type { DpopMode, SenderConfig } from '../options/sender.js';

/**
 * Schemes a route in `mode` accepts, and the challenge params that go with them, to spread
 * over a route's challenge context.
 */
export function senderChallenge(config: SenderConfig, mode: DpopMode = config.dpop): Pick<ChallengeContext, 'schemes' | 'dpopAlgs'> {
  // Every refusal renders with one of these; built once per guard and mode.
  let byMode = SENDER_CHALLENGES.get(config);
  if (byMode === undefined) {
    const dpopAlgs = config.dpopAlgorithms.join(' ');
    byMode = {
      disabled: Object.freeze({ schemes: Object.freeze(['Bearer'] as const), dpopAlgs: undefined }),
      required: Object.freeze({ schemes: Object.freeze(['DPoP'] as const), dpopAlgs }),
      allowed: Object.freeze({ schemes: Object.freeze(['Bearer', 'DPoP'] as const), dpopAlgs }),
    };
    SENDER_CHALLENGES.set(config, byMode);
  }
  return byMode[mode];
}

const SENDER_CHALLENGES = new WeakMap<SenderConfig, Record<DpopMode, Pick<ChallengeContext, 'schemes' | 'dpopAlgs'>>>();

/**
 * `challenge` (a route's) with the schemes of `mode` and, when known, the scheme the request
 * used, whose challenge then carries the error.
 */
export function withSenderChallenge(
  challenge: ChallengeContext,
  config: SenderConfig,
  mode: DpopMode,
  scheme?: AuthScheme,
): ChallengeContext {
  // Each refusal needs one; a route's challenge (one guard's, living as long as the route) gets each built once.
  let variants = ROUTE_CHALLENGES.get(challenge);
  if (variants === undefined) ROUTE_CHALLENGES.set(challenge, (variants = new Map()));
  const key = `${mode} ${scheme ?? ''}`;
  let context = variants.get(key);
  if (context === undefined) variants.set(key, (context = Object.freeze({ ...challenge, ...senderChallenge(config, mode), scheme })));
  return context;
}

/** At most 3 modes × 3 schemes per route challenge; gone with the challenge. */
const ROUTE_CHALLENGES = new WeakMap<ChallengeContext, Map<string, ChallengeContext>>();
