/**
 * The type of `req.auth` on Express's own `Request`, declared globally (as Express's typings
 * expect), so every handler after the guard reads `req.auth?.scopes` typed.
 *
 * Only `resource-guard` itself loads this declaration. `resource-guard/no-augmentation` is the
 * same API without it, for programs where another library declares `req.auth` its own way
 * (express-oauth2-jwt-bearer during a migration): TypeScript accepts one type per property of
 * a global interface, and two would be error TS2717.
 */
import type { AuthInfo } from '../auth/info.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by resource-guard once the request's token is verified. */
      auth?: AuthInfo;
    }
  }
}

export {};
