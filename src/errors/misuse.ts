/**
 * The mistake of passing a factory where Express wants the middleware it makes:
 * `app.use(guard.authenticate)` instead of `app.use(guard.authenticate())`. Express then
 * calls the factory itself with `(req, res, next)`; left alone, that request hangs (the
 * middleware it returns never runs, `next` is never called) or fails with an unrelated error
 * ("Converting circular structure to JSON"). Every factory of the package checks for that
 * call and fails the request at once, through `next(err)`, with a 500 that says what to write.
 *
 * The types reject the mistake too where they can: see {@link CallWithParentheses}.
 */

/**
 * The type of a parameter no call ever passes. A factory that declares
 * `...notAMiddleware: CallWithParentheses[]` cannot stand where Express expects a
 * `(req, res, next)` middleware, because Express's request is not one: strict TypeScript
 * rejects `app.use(guard.authenticate)` and accepts `app.use(guard.authenticate())`.
 */
export interface CallWithParentheses {
  readonly 'call the factory, with parentheses, and pass the middleware it returns': never;
}

/** Whether `args` are Express's middleware arguments: a request, a response and `next`. */
export function isMiddlewareCall(args: readonly unknown[]): boolean {
  const [req, res, next] = args as [unknown, unknown, unknown];
  return (
    args.length === 3 &&
    typeof next === 'function' &&
    typeof req === 'object' && req !== null &&
    typeof (req as { method?: unknown }).method === 'string' &&
    typeof (req as { headers?: unknown }).headers === 'object' &&
    typeof res === 'object' && res !== null &&
    typeof (res as { setHeader?: unknown }).setHeader === 'function'
  );
}

/**
 * `create` as it is, except when Express calls it as a middleware: then that request fails
 * at once with a 500 `TypeError` naming `call`, the code to write instead.
 *
 * @param name what the user wrote, such as `guard.authenticate`
 * @param call what to write instead, such as `guard.authenticate()`
 */
export function checkedFactory<A extends unknown[], R>(name: string, call: string, create: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    if (!isMiddlewareCall(args)) return create(...args);
    (args[2] as (err: unknown) => void)(missingParentheses(name, call));
    // Express ignores what a middleware returns; nothing was created.
    return undefined as R;
  };
}

/** The error for a factory Express called as a middleware. */
export function missingParentheses(name: string, call: string): TypeError {
  const err = new TypeError(`${name} is not a middleware but makes one: call ${call} — with parentheses`);
  return Object.assign(err, { status: 500 });
}
