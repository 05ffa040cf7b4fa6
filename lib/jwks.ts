// The remote key set: fetched from the project's JWKS URL, kept fresh by Cache-Control, refreshed
// once on an unknown kid (then a cooldown), single-flight, bounded in time and size, and served
// from the last good copy through an outage. The WASM core holds the keys; this file does I/O.

import { readCapped } from "./body.ts";

/** How the remote JWKS is fetched and cached. Every field has a documented default. */
export interface RemoteJwksOptions {
  /** The JWKS URL: https, or http on loopback only. Default:
   * `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`. */
  url?: string;
  /** Bounds on the freshness taken from `Cache-Control: max-age`. Defaults: 60 and 3600. */
  minTtlSeconds?: number;
  maxTtlSeconds?: number;
  /** Minimum time between refreshes caused by unknown kids. Default: 30. */
  cooldownSeconds?: number;
  /** How long an unknown kid is answered without a fetch. Default: 30. */
  negativeCacheSeconds?: number;
  /** Fetch timeout. Default: 3000 ms. */
  timeoutMs?: number;
  /** Largest accepted response body. Default: 256 KiB. */
  maxBytes?: number;
  /** How long the last good set keeps serving when refreshes fail. Default: 6 hours. */
  maxStaleSeconds?: number;
  /** A key set saved earlier (see `onUpdate`), to verify before the first fetch completes. */
  seed?: KeySnapshot;
  /** Called after every successful fetch, e.g. to keep the set across cold starts. */
  onUpdate?: (snapshot: KeySnapshot) => void | Promise<void>;
  /** Injected for tests. */
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injected for tests. */
  clock?: () => number;
}

export interface KeySnapshot {
  jwks: string;
  /** When it was fetched, in ms since the epoch. */
  fetchedAt: number;
}

export type FetchFailure = "timeout" | "network" | "status" | "too_large" | "invalid";

export interface JwksStats {
  fetches: number;
  failures: Record<FetchFailure, number>;
  kidMisses: number;
  /** Unknown-kid lookups answered from the negative cache or the cooldown, without a fetch. */
  kidMissesSuppressed: number;
  usableKeys: number;
  skippedKeys: number;
  lastFetchAt: number | null;
}

class Failure extends Error {
  constructor(readonly reason: FetchFailure) {
    super(reason);
  }
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Checks the JWKS URL: https, or plain http on loopback only. */
export function checkJwksUrl(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.test(url.hostname))) {
    return url;
  }
  throw new Error("JWKS URL must be https (plain http only on loopback)");
}

function maxAge(cacheControl: string | null): number | undefined {
  const m = cacheControl?.match(/(?:^|[,\s])max-age=(\d{1,9})(?:$|[,\s])/i);
  return m ? Number(m[1]) : undefined;
}

/** Applies a fetched set to the verifier; returns [usable, skipped] or throws if not a set. */
export type ApplyKeys = (jwks: string | undefined) => [number, number];

export class RemoteJwks {
  readonly url: URL;
  #o: Required<Omit<RemoteJwksOptions, "seed" | "onUpdate" | "fetch" | "url">>;
  #fetch: typeof fetch;
  #apply: ApplyKeys;
  #onUpdate?: (s: KeySnapshot) => void | Promise<void>;
  #good?: KeySnapshot;
  #freshUntil = 0;
  #inflight?: Promise<boolean>;
  #lastKidRefresh = -Infinity;
  #lastFailure = -Infinity;
  #unknownKids = new Map<string, number>();
  #stats: JwksStats = {
    fetches: 0,
    failures: { timeout: 0, network: 0, status: 0, too_large: 0, invalid: 0 },
    kidMisses: 0,
    kidMissesSuppressed: 0,
    usableKeys: 0,
    skippedKeys: 0,
    lastFetchAt: null,
  };

  constructor(url: string, options: RemoteJwksOptions, apply: ApplyKeys) {
    this.url = checkJwksUrl(url);
    this.#o = {
      minTtlSeconds: options.minTtlSeconds ?? 60,
      maxTtlSeconds: options.maxTtlSeconds ?? 3600,
      cooldownSeconds: options.cooldownSeconds ?? 30,
      negativeCacheSeconds: options.negativeCacheSeconds ?? 30,
      timeoutMs: options.timeoutMs ?? 3000,
      maxBytes: options.maxBytes ?? 256 * 1024,
      maxStaleSeconds: options.maxStaleSeconds ?? 6 * 3600,
      clock: options.clock ?? Date.now,
    };
    this.#fetch = options.fetch ?? fetch;
    this.#apply = apply;
    this.#onUpdate = options.onUpdate;
    if (options.seed) this.#install(options.seed, this.#o.minTtlSeconds);
  }

  /** True while a usable copy (fresh or within the stale bound) is installed. */
  get hasKeys(): boolean {
    return this.#good !== undefined;
  }

  /** Seconds a client should wait before retrying when no key is usable. */
  get retryAfterSeconds(): number {
    const last = Math.max(this.#lastKidRefresh, this.#lastFailure);
    const left = last + this.#o.cooldownSeconds * 1000 - this.#o.clock();
    return Math.max(1, Math.ceil(left / 1000));
  }

  stats(): JwksStats {
    return structuredClone(this.#stats);
  }

  snapshot(): KeySnapshot | undefined {
    return this.#good && { ...this.#good };
  }

  /** Before a verification: loads a cold set (waiting), refreshes a stale one in the
   * background, and drops a copy that has outlived `maxStaleSeconds`. */
  async ready(): Promise<void> {
    const now = this.#o.clock();
    if (this.#good && now - this.#good.fetchedAt > this.#o.maxStaleSeconds * 1000) {
      this.#good = undefined;
      this.#apply(undefined);
    }
    if (!this.#good) {
      // Cold: wait for the keys, but not again and again while the endpoint is down.
      if (now - this.#lastFailure >= this.#o.cooldownSeconds * 1000) await this.refresh();
    } else if (now >= this.#freshUntil) {
      // Stale-while-revalidate: this request uses the current keys.
      this.refresh().catch(() => {});
    }
  }

  /** After a token named a kid no key has: at most one refresh per cooldown, and a short
   * negative cache per kid. Resolves true when a refresh installed a new set (retry then). */
  async unknownKid(kid: string | undefined): Promise<boolean> {
    this.#stats.kidMisses++;
    const now = this.#o.clock();
    const key = (kid ?? "").slice(0, 256);
    const until = this.#unknownKids.get(key);
    if (until !== undefined && until > now) {
      this.#stats.kidMissesSuppressed++;
      return false;
    }
    if (this.#inflight) return await this.#inflight;
    if (now - this.#lastKidRefresh < this.#o.cooldownSeconds * 1000) {
      this.#stats.kidMissesSuppressed++;
      this.#remember(key, now);
      return false;
    }
    this.#lastKidRefresh = now;
    const refreshed = await this.refresh();
    if (!refreshed) this.#remember(key, now);
    return refreshed;
  }

  #remember(kid: string, now: number): void {
    if (this.#unknownKids.size >= 1000) this.#unknownKids.clear();
    this.#unknownKids.set(kid, now + this.#o.negativeCacheSeconds * 1000);
  }

  /** Fetches now, sharing one request among concurrent callers. True if a set was installed. */
  refresh(): Promise<boolean> {
    this.#inflight ??= this.#fetchOnce().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  /** Forgets the fetched set (the next request fetches again). */
  purge(): void {
    this.#good = undefined;
    this.#freshUntil = 0;
    this.#unknownKids.clear();
    this.#apply(undefined);
  }

  async #fetchOnce(): Promise<boolean> {
    this.#stats.fetches++;
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.#o.timeoutMs);
    try {
      const res = await this.#fetch(this.url, {
        signal: ctrl.signal,
        redirect: "error",
        headers: { accept: "application/json" },
      }).catch(() => {
        throw new Failure(ctrl.signal.aborted ? "timeout" : "network");
      });
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new Failure("status");
      }
      const text = await this.#readCapped(res).catch((e) => {
        throw e instanceof Failure ? e : new Failure(ctrl.signal.aborted ? "timeout" : "network");
      });
      let ttl: number;
      try {
        const doc = JSON.parse(text);
        if (typeof doc !== "object" || doc === null || !Array.isArray(doc.keys)) throw new Error();
        ttl = Math.min(
          Math.max(maxAge(res.headers.get("cache-control")) ?? 600, this.#o.minTtlSeconds),
          this.#o.maxTtlSeconds,
        );
        const snapshot = { jwks: text, fetchedAt: this.#o.clock() };
        this.#install(snapshot, ttl);
        this.#unknownKids.clear();
        await this.#onUpdate?.(snapshot);
      } catch {
        throw new Failure("invalid");
      }
      return true;
    } catch (e) {
      this.#stats.failures[e instanceof Failure ? e.reason : "network"]++;
      this.#lastFailure = this.#o.clock();
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #install(snapshot: KeySnapshot, ttlSeconds: number): void {
    const [usable, skipped] = this.#apply(snapshot.jwks); // throws when not a key set
    this.#good = snapshot;
    this.#freshUntil = snapshot.fetchedAt + ttlSeconds * 1000;
    this.#stats.usableKeys = usable;
    this.#stats.skippedKeys = skipped;
    this.#stats.lastFetchAt = snapshot.fetchedAt;
  }

  async #readCapped(res: Response): Promise<string> {
    const bytes = await readCapped(res.body, res.headers.get("content-length"), this.#o.maxBytes);
    if (bytes === null) throw new Failure("too_large");
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new Failure("invalid");
    }
  }
}
