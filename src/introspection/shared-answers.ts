/**
 * Introspection answers in a shared `Store` (Redis), so several instances ask the
 * authorization server once per token between them. A cache, never a decision: an answer
 * read here is checked like a fresh one, and a failing or slow store (waited on at most
 * `timeout`) only costs the look-up: the caller then asks the server itself. One warning
 * per process when the store fails.
 *
 * Whose answer it is belongs in the key: a server may answer each client differently, and
 * two guards on one store (two APIs, two authorization servers) must never read each other's
 * answers. Keys are `introspection:<scope>:<sha256 of the token>`, the scope a hash of the
 * issuer, the endpoint and the client identity (its id, or a hash of its API key): no URL,
 * client id or secret appears in a key. Instances with the same configuration share.
 */
import { hash as digest } from 'node:crypto';
import { parseJsonObject } from '../remote/http.js';
import type { IntrospectionConfig } from '../options/introspection.js';
import type { Store } from '../store/memory.js';
import type { IntrospectionResponse } from './request.js';

const STORE_PREFIX = 'introspection:';

/** Where an answer comes from: the issuer whose endpoint answers. */
export interface AnswerOrigin {
  readonly issuer: string;
  readonly endpoint: string;
}

export class SharedAnswers {
  #warned = false;
  /** Key prefixes per issuer and endpoint; as many as there are issuers. */
  readonly #prefixes = new Map<string, string>();
  readonly #client: string;

  /** `timeout` in seconds, like every duration of the options. */
  constructor(
    private readonly store: Store | undefined,
    private readonly timeout: number,
    client: Pick<IntrospectionConfig, 'auth' | 'clientId' | 'bearerToken'>,
  ) {
    // The client's identity, never its secret: the id, or a hash of the API key.
    const key = client.bearerToken === undefined ? '' : digest('sha256', client.bearerToken, 'base64url');
    this.#client = `${client.auth}\n${client.clientId ?? ''}\n${key}`;
  }

  /** The key of `hash` as answered at `origin`. */
  #keyOf(hash: string, { issuer, endpoint }: AnswerOrigin): string {
    const scope = `${issuer}\n${endpoint}`;
    let prefix = this.#prefixes.get(scope);
    if (prefix === undefined) {
      prefix = `${STORE_PREFIX}${digest('sha256', `${scope}\n${this.#client}`, 'base64url').slice(0, 22)}:`;
      this.#prefixes.set(scope, prefix);
    }
    return prefix + hash;
  }

  /**
   * The shared cache's answer (another instance's call to `origin`), waited for at most
   * `timeout`. A failing store is not fatal: the caller asks the authorization server instead.
   */
  async get(hash: string, origin: AnswerOrigin): Promise<IntrospectionResponse | undefined> {
    const store = this.store;
    if (store === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        store.get(this.#keyOf(hash, origin)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('store timed out')), this.timeout * 1000);
          timer.unref();
        }),
      ]);
      if (value === undefined) return undefined;
      const response = parseJsonObject(value);
      return response !== undefined && typeof response.active === 'boolean' ? (response as IntrospectionResponse) : undefined;
    } catch (err) {
      this.#warn(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Shares `response` of `origin` for `ttlMs` milliseconds; a failure is warned about, never thrown. */
  set(hash: string, origin: AnswerOrigin, response: IntrospectionResponse, ttlMs: number): void {
    this.store?.set(this.#keyOf(hash, origin), JSON.stringify(response), ttlMs).catch((err: unknown) => this.#warn(err));
  }

  #warn(err: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(
      `the shared introspection cache failed (${(err as Error)?.message ?? 'unknown error'}); asking the authorization server instead`,
      { code: 'RESOURCE_GUARD_STORE' },
    );
  }
}
