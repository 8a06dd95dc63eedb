/**
 * Express 5 and Express 4 apps for the webhook tests, driven through real HTTP.
 *
 * The error handler answers `{ code, description }` with the error's status and headers, so
 * every assertion checks status and code together (as body-parser's tests do).
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import express4 from 'express4';

export interface ExpressFlavour {
  name: string;
  create: () => Express;
  json: typeof express.json;
  raw: typeof express.raw;
  text: typeof express.text;
}

/** Both Express majors, for `describe.each`. Express 4's app is used through Express 5's types. */
export const flavours: ExpressFlavour[] = [
  { name: 'express 5', create: () => express(), json: express.json, raw: express.raw, text: express.text },
  {
    name: 'express 4',
    create: () => express4() as unknown as Express,
    json: express4.json as unknown as typeof express.json,
    raw: express4.raw as unknown as typeof express.raw,
    text: express4.text as unknown as typeof express.text,
  },
];

/** Answers what the middleware left on the request. */
export const echo: RequestHandler = (req, res) => {
  res.status(200).json({ body: req.body as unknown, webhook: req.webhook });
};

export const jsonErrors: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const e = err as { status?: number; code?: string; description?: string; headers?: Record<string, string> };
  res
    .status(e.status ?? 500)
    .set(e.headers ?? {})
    .json({ code: e.code, description: e.description });
};

/** An app with one POST route `path` guarded by `middleware`, answering with {@link echo}. */
export function webhookApp(
  flavour: ExpressFlavour,
  path: string,
  middleware: RequestHandler | RequestHandler[],
  before: RequestHandler[] = [],
): Express {
  const app = flavour.create();
  for (const m of before) app.use(m);
  app.post(path, ...[middleware].flat(), echo);
  app.use(jsonErrors);
  return app;
}
