/**
 * Messages the docs quote are the ones the package prints: the three `GuardNotReadyError`
 * messages of docs/operations.md ("Readiness") come from `guard.ready()` against a real local
 * server (down, issuer mismatch, JWKS answering 500), with its URL in place of
 * https://auth.example.com. A reworded message fails here instead of silently in the docs.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';

/** The paragraphs of the ```text block that follows `marker` in `file`, each on one line. */
function quotedMessages(file: string, marker: string): string[] {
  const text = readFileSync(file, 'utf8');
  const after = text.slice(text.indexOf(marker));
  const block = /```text\n([\s\S]*?)\n```/.exec(after)?.[1];
  if (block === undefined) throw new Error(`no text block after "${marker}" in ${file}`);
  return block.split(/\n\s*\n/).map((paragraph) => paragraph.replace(/\s*\n\s*/g, ' ').trim());
}

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer();
});
afterAll(() => as.close());

const messageOf = (issuer: string) =>
  createGuard({ issuer, audience: 'https://api.example.com' })
    .ready()
    .then(() => 'ready', (err: Error) => err.message);

describe('docs/operations.md quotes GuardNotReadyError as ready() words it', () => {
  it('server down, issuer mismatch, JWKS answering 500', async () => {
    const quoted = quotedMessages('docs/operations.md', 'It rejects with a `GuardNotReadyError`');
    expect(quoted).toHaveLength(3);

    as.setBehavior('jwks', fault.status(500));
    const jwks = await messageOf(as.issuer);
    as.resetBehaviors();
    as.setIssuer(`${as.issuer}/`);
    const mismatch = await messageOf(as.url);
    as.setIssuer();
    await as.stopListening();
    const down = await messageOf(as.issuer);
    await as.resume();

    const asDocumented = (message: string) => message.replaceAll(as.url, 'https://auth.example.com');
    expect([down, mismatch, jwks].map(asDocumented)).toEqual(quoted);
  });
});
