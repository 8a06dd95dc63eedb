/**
 * Records what the guard publishes on its `diagnostics_channel` channels, for the operations
 * tests. Subscribes by the documented names (not through src/), so a renamed channel fails.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

export const CHANNEL_NAMES = [
  'resource-guard:token:accepted',
  'resource-guard:token:rejected',
  'resource-guard:authorization:denied',
  'resource-guard:jwks:fetch',
  'resource-guard:jwks:stale',
  'resource-guard:metadata:fetch',
  'resource-guard:metadata:stale',
  'resource-guard:introspection',
  'resource-guard:webhook:verified',
  'resource-guard:webhook:rejected',
] as const;

export type ChannelName = (typeof CHANNEL_NAMES)[number];

export interface Recorded {
  channel: ChannelName;
  payload: Record<string, unknown>;
  /** `Date.now()` when it was published. */
  at: number;
}

export interface EventRecorder {
  readonly all: Recorded[];
  /** Payloads published on `channel`, oldest first. */
  of(channel: ChannelName): Record<string, unknown>[];
  clear(): void;
  stop(): void;
}

export function recordEvents(): EventRecorder {
  const all: Recorded[] = [];
  const listeners = CHANNEL_NAMES.map((channel) => {
    const listener = (payload: unknown) => {
      all.push({ channel, payload: payload as Record<string, unknown>, at: Date.now() });
    };
    subscribe(channel, listener);
    return [channel, listener] as const;
  });
  return {
    all,
    of: (channel) => all.filter((e) => e.channel === channel).map((e) => e.payload),
    clear: () => void all.splice(0),
    stop: () => {
      for (const [channel, listener] of listeners) unsubscribe(channel, listener);
    },
  };
}

/**
 * Every string in `events`, serialised, must contain none of `secrets` (nor any 16-character
 * piece of them, so a truncated or embedded token is caught too).
 */
export function findLeaks(events: readonly Recorded[], secrets: readonly string[]): string[] {
  const text = JSON.stringify(events.map((e) => e.payload));
  const leaks: string[] = [];
  for (const secret of secrets) {
    if (secret.length < 8) throw new Error(`secret too short to search for: ${secret}`);
    const pieces = secret.length <= 16 ? [secret] : Array.from({ length: secret.length - 15 }, (_, i) => secret.slice(i, i + 16));
    if (pieces.some((piece) => text.includes(piece))) leaks.push(secret.slice(0, 12) + '…');
  }
  return leaks;
}
