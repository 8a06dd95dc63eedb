/**
 * oidc-provider storage in process memory. Unlike the provider's built-in one it is shared by
 * the providers we create for one server, so opaque tokens and sessions survive `rotateKeys()`.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

export class MemoryStorage {
  readonly #entries = new Map<string, Entry>();
  readonly #index = new Map<string, string>(); // "<model>|uid:<uid>", "<model>|userCode:<code>" -> key
  readonly #grants = new Map<string, Set<string>>(); // grantId -> model keys

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.delete(key);
      return undefined;
    }
    return entry?.payload;
  }

  set(key: string, payload: AdapterPayload, expiresIn?: number): void {
    this.delete(key);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    this.#entries.set(key, { payload, expiresAt });
    for (const name of indexed(key, payload)) this.#index.set(name, key);
    if (typeof payload.grantId === 'string') {
      const members = this.#grants.get(payload.grantId) ?? new Set<string>();
      members.add(key);
      this.#grants.set(payload.grantId, members);
    }
  }

  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    for (const name of indexed(key, entry.payload)) if (this.#index.get(name) === key) this.#index.delete(name);
    const { grantId } = entry.payload;
    if (typeof grantId === 'string') this.#grants.get(grantId)?.delete(key);
  }

  lookup(indexKey: string): AdapterPayload | undefined {
    const key = this.#index.get(indexKey);
    return key === undefined ? undefined : this.get(key);
  }

  revokeGrant(grantId: string): void {
    for (const key of this.#grants.get(grantId) ?? []) this.delete(key);
    this.#grants.delete(grantId);
  }

  /** An `adapter` value for the Provider configuration. */
  factory(): AdapterFactory {
    return (model) => new MemoryAdapter(model, this);
  }
}

/** Secondary index names of an entry stored under `<model>:<id>`. */
function indexed(key: string, payload: AdapterPayload): string[] {
  const model = key.slice(0, key.indexOf(':'));
  const names: string[] = [];
  if (typeof payload.uid === 'string') names.push(`${model}|uid:${payload.uid}`);
  if (typeof payload.userCode === 'string') names.push(`${model}|userCode:${payload.userCode}`);
  return names;
}

class MemoryAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly storage: MemoryStorage,
  ) {}

  #key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.storage.set(this.#key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.storage.get(this.#key(id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.storage.lookup(`${this.model}|uid:${uid}`);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.storage.lookup(`${this.model}|userCode:${userCode}`);
  }

  async consume(id: string): Promise<void> {
    const payload = this.storage.get(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.storage.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.storage.revokeGrant(grantId);
  }
}
