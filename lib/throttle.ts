// Failed-authentication throttling over sliding windows, per client IP and per subject, with the
// state in a store every edge instance shares (memory, Postgres, Redis). Per key, the store keeps
// the times of the most recent failures inside the window (at most `blockAfter + 1`), updated
// atomically, so "the 51st failure across all instances" is exact.
//
// Verdicts: more than `alertAfter` failures in the window raises an alert (once, by the
// instance whose failure crossed it); more than `blockAfter` blocks: that failure and, for an
// IP, every later request until the window has let enough failures age out, are answered
// 429 `too_many_attempts` with Retry-After. A subject block (the subject a failing, unverified
// token names) only turns failures into 429s: a valid token is never refused because someone
// else forged tokens in its user's name. A store outage fails OPEN for throttling (counted and
// warned), never for authentication: the token is still verified either way.

/** The shared state: per key, failure times (seconds) within the window, oldest first. */
export interface ThrottleStore {
  readonly name: string;
  /** Records a failure at `now` and returns the times within (now - window, now], at most the
   * newest `keep`. Atomic per key across every instance sharing the store. */
  hit(key: string, now: number, windowSeconds: number, keep: number): Promise<number[]>;
  /** The times within the window, without recording anything. */
  peek(key: string, now: number, windowSeconds: number): Promise<number[]>;
  /** Keys with failures in the window (for the monitor), at most `limit`. */
  entries?(now: number, windowSeconds: number, limit: number): Promise<ThrottleEntry[]>;
  close?(): Promise<void>;
}

export interface ThrottleEntry {
  key: string;
  hits: number[];
}

export interface ThrottleOptions {
  /** Default: one in-memory store per isolate (protects nothing across instances). */
  store?: ThrottleStore;
  /** Default 3600 (one hour). */
  windowSeconds?: number;
  /** More failures than this in the window raise an alert. Default 5. */
  alertAfter?: number;
  /** More failures than this in the window block. Default 50. */
  blockAfter?: number;
  /** Also count failures per subject (a keyed hash of the unverified `sub`). Default true. */
  perSubject?: boolean;
  /** How long an instance trusts "this IP is not blocked" before asking the store again.
   * Default 1000 ms; 0 asks on every request. */
  allowCacheMs?: number;
  /** A store call slower than this fails open. Default 300 ms. */
  storeTimeoutMs?: number;
  /** Addresses never throttled (e.g. a health checker). `unknown` is never throttled. */
  exemptIps?: string[];
  /** The clock, seconds. Default `Date.now() / 1000`. */
  now?: () => number;
  /** Called once per crossing of `alertAfter` / `blockAfter`. Default: a JSON line on stderr. */
  onAlert?: (alert: ThrottleAlert) => void;
}

export interface ThrottleAlert {
  kind: "ip" | "subject";
  /** The IP address, or the subject hash. */
  value: string;
  level: "alert" | "block";
  count: number;
  windowSeconds: number;
}

/** A block: answer 429 with this Retry-After. */
export interface Blocked {
  retryAfter: number;
  kind: "ip" | "subject";
}

export interface ThrottleStats {
  checks: number;
  storeReads: number;
  failures: number;
  blocked: number;
  alerts: number;
  /** Store calls that failed or timed out: throttling failed open for these. */
  storeErrors: number;
}

// ---------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------

/** The failure times still inside the window, oldest first. */
export function inWindow(hits: number[], now: number, window: number): number[] {
  const from = now - window;
  let i = 0;
  while (i < hits.length && hits[i] <= from) i++;
  return i === 0 ? hits : hits.slice(i);
}

/** Per isolate. Bounded: when full, the least recently updated keys go first. */
export class MemoryThrottleStore implements ThrottleStore {
  readonly name = "memory";
  readonly #keys = new Map<string, number[]>();
  readonly #max: number;

  constructor(options: { maxKeys?: number } = {}) {
    this.#max = options.maxKeys ?? 100_000;
  }

  hit(key: string, now: number, window: number, keep: number): Promise<number[]> {
    const hits = inWindow(this.#keys.get(key) ?? [], now, window).concat(now);
    hits.sort((a, b) => a - b);
    const kept = hits.length > keep ? hits.slice(hits.length - keep) : hits;
    this.#keys.delete(key);
    if (this.#keys.size >= this.#max) {
      const oldest = this.#keys.keys().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    this.#keys.set(key, kept);
    return Promise.resolve(kept);
  }

  peek(key: string, now: number, window: number): Promise<number[]> {
    return Promise.resolve(inWindow(this.#keys.get(key) ?? [], now, window));
  }

  entries(now: number, window: number, limit: number): Promise<ThrottleEntry[]> {
    const out: ThrottleEntry[] = [];
    for (const [key, h] of this.#keys) {
      const hits = inWindow(h, now, window);
      if (hits.length > 0) out.push({ key, hits });
      if (out.length >= limit) break;
    }
    return Promise.resolve(out);
  }
}

/** A store made on first use (stores that connect asynchronously, in a module constant). A
 * failed start is retried on the next call. */
export function lazyStore(name: string, make: () => Promise<ThrottleStore>): ThrottleStore {
  let store: Promise<ThrottleStore> | undefined;
  const get = () => {
    if (!store) {
      store = make();
      store.catch(() => (store = undefined));
    }
    return store;
  };
  return {
    name,
    hit: async (k, now, w, keep) => await (await get()).hit(k, now, w, keep),
    peek: async (k, now, w) => await (await get()).peek(k, now, w),
    entries: async (now, w, limit) => (await (await get()).entries?.(now, w, limit)) ?? [],
    close: async () => {
      if (store) await (await store).close?.();
    },
  };
}

// ---------------------------------------------------------------------------------------
// The throttle
// ---------------------------------------------------------------------------------------

const MAX_CACHED_IPS = 10_000;

export class Throttle {
  readonly store: ThrottleStore;
  readonly window: number;
  readonly alertAfter: number;
  readonly blockAfter: number;
  readonly perSubject: boolean;
  readonly #allowMs: number;
  readonly #timeoutMs: number;
  readonly #exempt: Set<string>;
  readonly #now: () => number;
  readonly #onAlert: (a: ThrottleAlert) => void;
  /** Per IP: blocked until (s), or allowed as of (ms, local clock). */
  readonly #ips = new Map<string, { blockedUntil: number; checkedAt: number }>();
  readonly #stats: ThrottleStats = {
    checks: 0,
    storeReads: 0,
    failures: 0,
    blocked: 0,
    alerts: 0,
    storeErrors: 0,
  };
  #lastWarn = 0;

  constructor(options: ThrottleOptions = {}) {
    this.store = options.store ?? new MemoryThrottleStore();
    this.window = options.windowSeconds ?? 3600;
    this.alertAfter = options.alertAfter ?? 5;
    this.blockAfter = options.blockAfter ?? 50;
    if (
      !(this.window > 0) || !(this.alertAfter >= 0) || !(this.blockAfter >= 1) ||
      !Number.isInteger(this.blockAfter) || !Number.isInteger(this.alertAfter)
    ) {
      throw new Error("throttle: windowSeconds > 0, integer alertAfter >= 0, blockAfter >= 1");
    }
    this.perSubject = options.perSubject ?? true;
    this.#allowMs = options.allowCacheMs ?? 1000;
    this.#timeoutMs = options.storeTimeoutMs ?? 300;
    this.#exempt = new Set(options.exemptIps ?? []);
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#onAlert = options.onAlert ??
      ((a) => console.error(JSON.stringify({ auth_alert: a.level, ...a })));
  }

  #throttled(ip: string): boolean {
    return ip !== "unknown" && !this.#exempt.has(ip);
  }

  /** Before verification: is this IP blocked? Fails open (null) when the store is down. */
  async check(ip: string): Promise<Blocked | null> {
    if (!this.#throttled(ip)) return null;
    this.#stats.checks++;
    const now = this.#now();
    const cached = this.#ips.get(ip);
    if (cached) {
      if (cached.blockedUntil > now) {
        this.#stats.blocked++;
        return { kind: "ip", retryAfter: Math.max(1, Math.ceil(cached.blockedUntil - now)) };
      }
      if (this.#allowMs > 0 && Date.now() - cached.checkedAt < this.#allowMs) return null;
    }
    this.#stats.storeReads++;
    let hits: number[];
    try {
      hits = await this.#call(this.store.peek(`ip:${ip}`, now, this.window));
    } catch {
      this.#storeError();
      return null;
    }
    const blocked = this.#verdict(hits, now, "ip");
    this.#remember(ip, blocked ? now + blocked.retryAfter : 0);
    if (blocked) this.#stats.blocked++;
    return blocked;
  }

  /** After a failed authentication: records it for the IP and the subject; a block answers
   * this failure with 429 too. Fails open (null: the original error stands). */
  async fail(ip: string, subjectHash: string | null): Promise<Blocked | null> {
    this.#stats.failures++;
    const now = this.#now();
    const keep = Math.max(this.alertAfter, this.blockAfter) + 1;
    const tasks: Array<Promise<Blocked | null>> = [];
    if (this.#throttled(ip)) tasks.push(this.#hit("ip", ip, `ip:${ip}`, now, keep));
    if (this.perSubject && subjectHash) {
      tasks.push(this.#hit("subject", subjectHash, `sub:${subjectHash}`, now, keep));
    }
    const verdicts = await Promise.all(tasks);
    const blocked = verdicts.find((v) => v !== null) ?? null;
    if (blocked) this.#stats.blocked++;
    return blocked;
  }

  async #hit(
    kind: "ip" | "subject",
    value: string,
    key: string,
    now: number,
    keep: number,
  ): Promise<Blocked | null> {
    let hits: number[];
    try {
      hits = await this.#call(this.store.hit(key, now, this.window, keep));
    } catch {
      this.#storeError();
      return null;
    }
    const n = hits.length;
    // Only the instance whose failure made the count cross a threshold reports it.
    if (n === this.alertAfter + 1 || n === this.blockAfter + 1) {
      this.#stats.alerts++;
      const level = n === this.blockAfter + 1 ? "block" : "alert";
      try {
        this.#onAlert({ kind, value, level, count: n, windowSeconds: this.window });
      } catch {
        // An alert hook must not change the answer.
      }
    }
    const blocked = this.#verdict(hits, now, kind);
    if (kind === "ip") this.#remember(value, blocked ? now + blocked.retryAfter : 0);
    return blocked;
  }

  #verdict(hits: number[], now: number, kind: "ip" | "subject"): Blocked | null {
    const n = hits.length;
    if (n <= this.blockAfter) return null;
    // The block lasts until enough failures leave the window to be back at blockAfter.
    const until = hits[n - this.blockAfter - 1] + this.window;
    return { kind, retryAfter: Math.max(1, Math.ceil(until - now)) };
  }

  #remember(ip: string, blockedUntil: number): void {
    if (this.#ips.size >= MAX_CACHED_IPS && !this.#ips.has(ip)) this.#ips.clear();
    this.#ips.set(ip, { blockedUntil, checkedAt: Date.now() });
  }

  #call<T>(p: Promise<T>): Promise<T> {
    if (!(this.#timeoutMs > 0)) return p;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("throttle store timed out")), this.#timeoutMs);
    });
    p.catch(() => {}); // a late rejection after the timeout is already counted
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
  }

  #storeError(): void {
    this.#stats.storeErrors++;
    const now = Date.now();
    if (now - this.#lastWarn >= 1000) {
      this.#lastWarn = now;
      console.error(JSON.stringify({
        throttle: "store_unavailable",
        store: this.store.name,
        storeErrors: this.#stats.storeErrors,
        effect: "fail_open",
      }));
    }
  }

  /** Forgets the cached per-IP verdicts (tests, or after an operator lifts a block). */
  resetCache(): void {
    this.#ips.clear();
  }

  stats(): ThrottleStats {
    return { ...this.#stats };
  }
}

const throttles = new WeakMap<ThrottleOptions, Throttle>();

/** The throttle for these options (one per options object); `false` / undefined: none. */
export function throttleFor(options: ThrottleOptions | false | undefined): Throttle | null {
  if (!options) return null;
  let t = throttles.get(options);
  if (!t) {
    t = new Throttle(options);
    throttles.set(options, t);
  }
  return t;
}

// ---------------------------------------------------------------------------------------
// The subject a failing token names
// ---------------------------------------------------------------------------------------

let hashKey: Promise<CryptoKey> | undefined;

function subjectKey(): Promise<CryptoKey> {
  if (!hashKey) {
    let secret: string | undefined;
    try {
      secret = Deno.env.get("AUTH_AUDIT_HASH_KEY") || undefined;
    } catch {
      secret = undefined;
    }
    // Without a configured key the hash is still stable across instances (pseudonymous).
    const bytes = new TextEncoder().encode(secret ?? "edge-auth subject hash v1");
    hashKey = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
  }
  return hashKey;
}

/** A keyed hash (32 hex digits) of a value, for events and throttle keys. */
export async function hashValue(value: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await subjectKey(), new TextEncoder().encode(value));
  return Array.from(new Uint8Array(mac, 0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The `sub` a (failing) Bearer token names, hashed; null when there is none. The claim is NOT
 * verified: it is only a counting key, never trusted for a grant, and never stored in clear.
 */
export async function unverifiedSubjectHash(authorization: string | null): Promise<string | null> {
  if (!authorization || authorization.length > 16 * 1024) return null;
  const m = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/
    .exec(authorization.trim());
  if (!m) return null;
  let sub: unknown;
  try {
    const b64 = m[2].replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const text = new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    sub = (JSON.parse(text) as { sub?: unknown })?.sub;
  } catch {
    return null;
  }
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 256) return null;
  return await hashValue(sub);
}
