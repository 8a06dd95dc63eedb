/**
 * `resource-guard`: the whole public API (`api.ts`), plus the global type of `req.auth` on
 * Express's `Request` (`express/request-auth.ts`). `resource-guard/no-augmentation` is the
 * same runtime module with the API's types only.
 */
export * from './api.js';
import './express/request-auth.js';
