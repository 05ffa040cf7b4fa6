// The Redis adapter for the throttle: a sorted set per key, updated by one Lua script. Kept
// apart from the core facade so that functions which do not use it neither resolve nor bundle
// npm:redis.
import { inWindow, type ThrottleEntry, type ThrottleStore } from "../throttle.ts";

/** The subset of a node-redis v4 client the store uses. */
export interface RedisLike {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scanIterator?(options: { MATCH: string; COUNT: number }): AsyncIterable<string>;
  quit?(): Promise<unknown>;
  disconnect?(): Promise<unknown>;
}

const REDIS_HIT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
local n = redis.call('ZCARD', KEYS[1])
local keep = tonumber(ARGV[3])
if n > keep then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')`;

const REDIS_PEEK =
  `return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')`;

function scores(reply: unknown): number[] {
  if (!Array.isArray(reply)) return [];
  const out: number[] = [];
  for (let i = 1; i < reply.length; i += 2) out.push(Number(reply[i]));
  return out.filter(Number.isFinite).sort((a, b) => a - b);
}

/** A sorted set per key, updated by one Lua script (atomic on the server). */
export class RedisThrottleStore implements ThrottleStore {
  readonly name = "redis";
  constructor(readonly client: RedisLike, readonly prefix = "edge-auth:throttle:") {}

  /** Connects with npm:redis (v4). Commands fail at once while disconnected (no offline
   * queue), so an outage fails open quickly; the client reconnects in the background. */
  static async connect(url: string): Promise<RedisThrottleStore> {
    const { createClient } = await import("redis");
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        reconnectStrategy: (retries: number) => Math.min(100 * (retries + 1), 2000),
      },
    });
    client.on("error", () => {}); // counted by the throttle as store errors
    // Wait (bounded) for the first connection; after that, or if it is slow, reconnection
    // runs in the background and calls fail open meanwhile.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      client.connect().catch(() => {}),
      new Promise((r) => (timer = setTimeout(r, 2000))),
    ]).finally(() => clearTimeout(timer));
    return new RedisThrottleStore(client as unknown as RedisLike);
  }

  async hit(key: string, now: number, window: number, keep: number): Promise<number[]> {
    const member = `${now}:${crypto.randomUUID().slice(0, 8)}`;
    const reply = await this.client.eval(REDIS_HIT, {
      keys: [this.prefix + key],
      arguments: [
        String(now),
        String(now - window),
        String(keep),
        String(Math.ceil(window * 1000)),
        member,
      ],
    });
    return inWindow(scores(reply), now, window);
  }

  async peek(key: string, now: number, window: number): Promise<number[]> {
    const reply = await this.client.eval(REDIS_PEEK, {
      keys: [this.prefix + key],
      arguments: [String(now - window)],
    });
    return scores(reply);
  }

  async entries(now: number, window: number, limit: number): Promise<ThrottleEntry[]> {
    const out: ThrottleEntry[] = [];
    if (!this.client.scanIterator) return out;
    let seen = 0;
    for await (const k of this.client.scanIterator({ MATCH: `${this.prefix}*`, COUNT: 200 })) {
      if (++seen > limit * 10 || out.length >= limit) break;
      const key = k.slice(this.prefix.length);
      const hits = await this.peek(key, now, window);
      if (hits.length > 0) out.push({ key, hits });
    }
    return out;
  }

  async close(): Promise<void> {
    try {
      await (this.client.quit?.() ?? this.client.disconnect?.());
    } catch {
      await this.client.disconnect?.().catch(() => {});
    }
  }
}
