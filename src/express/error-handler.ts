/**
 * An Express error handler for APIs that want a JSON body with their 401/403/503: it answers
 * an `OAuthError` with its status, its headers (`WWW-Authenticate`, `Retry-After`) and
 * `{"error", "error_description"}`, and passes every other error on.
 *
 * Express's default handler already sends the right status and headers, but answers HTML and,
 * outside production, prints every refusal to stderr with a stack: this answers JSON and logs
 * nothing. An app with its own error handler does not need it, but must copy `err.headers` onto
 * the response, or the `WWW-Authenticate` challenge is lost (see docs/operations.md).
 */
import type { ErrorRequestHandler } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { checkedFactory, type CallWithParentheses } from '../errors/misuse.js';

/**
 * Answers `OAuthError`s as JSON. Mount it after your routes.
 *
 * The body's `error` is `err.code` (the RFC 6750 code; `missing_token` when no credentials
 * were sent) and `error_description` is `err.description`, which follows `errorDetail`: a
 * fixed phrase with `'minimal'`. `HEAD` requests get the headers only.
 *
 * @example
 * ```ts
 * import { createGuard, oauthErrorHandler } from 'resource-guard';
 *
 * app.use('/api', guard.authenticate());
 * app.get('/api/messages', guard.requireScopes('messages:read'), handler);
 * app.use(oauthErrorHandler());
 * // 401 WWW-Authenticate: Bearer error="invalid_token", ...
 * //     {"error":"invalid_token","error_description":"token expired 42 s ago"}
 * ```
 */
export const oauthErrorHandler: (...notAMiddleware: CallWithParentheses[]) => ErrorRequestHandler = checkedFactory(
  'oauthErrorHandler',
  'oauthErrorHandler()',
  createOAuthErrorHandler,
);

function createOAuthErrorHandler(): ErrorRequestHandler {
  return function oauthError(err: unknown, req, res, next) {
    if (!(err instanceof OAuthError) || res.headersSent) return next(err);
    res.status(err.status);
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'HEAD') return void res.end();
    res.json({ error: err.code, error_description: err.description });
  };
}
