// The audit trail: one structured event per authentication / authorization / webhook decision.
// `emit` only pushes a small object into a bounded buffer (about a microsecond); serialization
// and writing happen after the current job, in batches, one write in flight per sink (events
// arriving meanwhile form the next batch). Overflow and failed writes are counted per sink and
// reported (stats, a stderr line, and an `audit_loss` event once the sink accepts writes
// again): an event is stored, pending, or counted as lost, never silently dropped.
import { env } from "./config.ts";

export type AuditOutcome =
  | "granted"
  | "failed_auth"
  | "denied"
  | "webhook_rejected"
  | "alert"
  | "audit_loss";

/** Which decision an event records. */
export type AuditCheck =
  | "authenticate"
  | "role"
  | "permission"
  | "aal"
  | "webhook"
  | "throttle"
  | "monitor"
  | "audit";

/** What a sink receives. Never holds a token, secret, signature, email or phone. */
export interface AuditEvent {
  /** Unique per event (a retried batch cannot store it twice). */
  event_id: string;
  /** ISO 8601, UTC. */
  time: string;
  request_id: string;
  function: string;
  outcome: AuditOutcome;
  /** The AuthError code, or `ok`. */
  reason: string;
  check: AuditCheck;
  /** The HTTP status of the decision (200 for a grant). */
  status: number | null;
  user_id: string | null;
  /** The app role (`user_role` / profile), not the Postgres role. */
  role: string | null;
  /** The client address under the trusted-proxy rules, or `unknown`. */
  ip: string;
  user_agent: string | null;
  /** Keyed hash of the subject an unverified (failing) token named; null otherwise. */
  subject_hash: string | null;
  /** `audit_loss`: events lost; `alert`: the failure count. Null otherwise. */
  count: number | null;
}

/** What the request path records; `emit` fills in the id and time later. */
export type RawAuditEvent =
  & Omit<AuditEvent, "event_id" | "time" | "subject_hash" | "count">
  & { at: number; subject_hash?: string | null; count?: number | null };

/** Where events go. `write` gets batches in order; a rejection means none of them was stored
 * (sinks must make a retried batch idempotent, e.g. on `event_id`). */
export interface AuditSink {
  readonly name: string;
  write(events: readonly AuditEvent[]): Promise<void> | void;
  close?(): Promise<void>;
}

export interface AuditOptions {
  /** Default: `[stdoutSink()]` (JSON lines). */
  sinks?: AuditSink[];
  /** Events held per sink before overflow is counted as loss. Default 10000. */
  maxBuffer?: number;
  /** Largest batch handed to a sink. Default 500. */
  batchSize?: number;
  /** Attempts per batch before its events count as lost. Default 3. */
  maxAttempts?: number;
  /** A write that takes longer counts as failed (it may still land: ids keep it single).
   * Default 5000 ms. */
  writeTimeoutMs?: number;
  /** How long events wait to form a batch (a full batch goes at once). 0: after the current
   * job. Default 10 ms. */
  flushMs?: number;
  /** Request-id headers, in order; a well-formed value is kept, else a random id is made.
   * Default: `x-request-id`, `sb-request-id`, `cf-ray`. */
  requestIdHeaders?: string[];
}

export interface SinkStats {
  name: string;
  written: number;
  lost: number;
  pending: number;
  failedWrites: number;
}

export interface AuditStats {
  emitted: number;
  sinks: SinkStats[];
}

const DEFAULT_REQUEST_ID_HEADERS = ["x-request-id", "sb-request-id", "cf-ray"];

/** JSON lines on stdout, one event per line. */
export function stdoutSink(): AuditSink {
  return {
    name: "stdout",
    write(events) {
      let out = "";
      for (const e of events) out += (out ? "\n" : "") + JSON.stringify(e);
      console.log(out);
    },
  };
}

interface EdgeRuntimeLike {
  waitUntil(p: Promise<unknown>): void;
}

function hasEdgeRuntime(): boolean {
  return (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime !== undefined;
}

function keepAlive(p: Promise<unknown>): void {
  const rt = (globalThis as { EdgeRuntime?: EdgeRuntimeLike }).EdgeRuntime;
  if (rt && typeof rt.waitUntil === "function") {
    try {
      rt.waitUntil(p);
    } catch {
      // Outside a request: nothing to keep alive.
    }
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function finish(raw: RawAuditEvent): AuditEvent {
  return {
    event_id: crypto.randomUUID(),
    time: new Date(raw.at).toISOString(),
    request_id: raw.request_id,
    function: raw.function,
    outcome: raw.outcome,
    reason: raw.reason,
    check: raw.check,
    status: raw.status,
    user_id: raw.user_id !== null && UUID_RE.test(raw.user_id) ? raw.user_id : null,
    role: raw.role === null ? null : raw.role.slice(0, 64),
    ip: raw.ip,
    user_agent: raw.user_agent,
    subject_hash: raw.subject_hash ?? null,
    count: raw.count ?? null,
  };
}

class Pipe {
  queue: AuditEvent[] = [];
  written = 0;
  lost = 0;
  lostReported = 0;
  failedWrites = 0;
  inflight: Promise<void> | null = null;
  lastWarn = 0;
  retryAt = 0;
  attempts = 0;
  healthy = true;
  constructor(readonly sink: AuditSink) {}
}

/** Buffers events and writes them to its sinks. One per `AuditOptions` object. */
export class Auditor {
  readonly #pipes: Pipe[];
  readonly #max: number;
  readonly #batch: number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #flushMs: number;
  readonly requestIdHeaders: string[];
  #raw: RawAuditEvent[] = [];
  #scheduled = false;
  #emitted = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: AuditOptions = {}) {
    this.#pipes = (options.sinks ?? [stdoutSink()]).map((s) => new Pipe(s));
    this.#max = Math.max(1, options.maxBuffer ?? 10_000);
    this.#batch = Math.max(1, options.batchSize ?? 500);
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.#timeoutMs = options.writeTimeoutMs ?? 5000;
    this.#flushMs = Math.max(0, options.flushMs ?? 10);
    this.requestIdHeaders = options.requestIdHeaders ?? DEFAULT_REQUEST_ID_HEADERS;
  }

  /** Records one event: a push into the buffer; the write happens after the current job. */
  emit(raw: RawAuditEvent): void {
    this.#emitted++;
    if (this.#raw.length >= this.#max) {
      for (const p of this.#pipes) p.lost++;
    } else {
      this.#raw.push(raw);
    }
    if (this.#raw.length >= this.#batch) {
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(() => this.#drain());
      }
    } else if (this.#flushTimer === undefined && !this.#scheduled) {
      if (this.#flushMs === 0) {
        this.#scheduled = true;
        queueMicrotask(() => this.#drain());
      } else {
        this.#flushTimer = setTimeout(() => this.#drain(), this.#flushMs);
        if (hasEdgeRuntime()) keepAlive(new Promise((r) => setTimeout(r, this.#flushMs + 1)));
      }
    }
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#flushTimer !== undefined) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const raw = this.#raw;
    if (raw.length > 0) {
      this.#raw = [];
      const events = raw.map(finish);
      for (const p of this.#pipes) {
        const room = this.#max - p.queue.length;
        if (room >= events.length) {
          for (const e of events) p.queue.push(e);
        } else {
          for (let i = 0; i < Math.max(0, room); i++) p.queue.push(events[i]);
          p.lost += events.length - Math.max(0, room);
        }
      }
    }
    for (const p of this.#pipes) this.#pump(p);
  }

  #pump(p: Pipe): void {
    if (p.inflight) return;
    this.#report(p);
    if (p.queue.length === 0 && p.lost === p.lostReported) return;
    const now = Date.now();
    if (p.retryAt > now) {
      this.#wakeAt(p.retryAt);
      return;
    }
    const batch = p.queue.slice(0, this.#batch);
    const lossDelta = p.lost - p.lostReported;
    const loss = lossDelta > 0 ? lossEvent(p.sink.name, lossDelta) : null;
    const out = loss ? [...batch, loss] : batch;
    let result: Promise<void> | void;
    try {
      result = p.sink.write(out);
    } catch (e) {
      result = Promise.reject(e);
    }
    if (!(result instanceof Promise)) {
      this.#done(p, batch.length, lossDelta);
      if (p.queue.length > 0) this.#pump(p);
      return;
    }
    p.inflight = withTimeout(result, this.#timeoutMs).then(
      () => this.#done(p, batch.length, lossDelta),
      () => this.#failed(p, batch.length),
    ).finally(() => {
      p.inflight = null;
      if (p.queue.length > 0 || p.lost !== p.lostReported) this.#pump(p);
    });
    keepAlive(p.inflight);
  }

  #done(p: Pipe, n: number, lossDelta: number): void {
    p.queue.splice(0, n);
    p.written += n;
    if (lossDelta > 0) p.lostReported += lossDelta;
    p.attempts = 0;
    p.retryAt = 0;
    p.healthy = true;
  }

  #failed(p: Pipe, n: number): void {
    p.failedWrites++;
    p.attempts++;
    p.healthy = false;
    if (p.attempts >= this.#maxAttempts) {
      p.queue.splice(0, n);
      p.lost += n;
      p.attempts = 0;
    }
    p.retryAt = Date.now() + Math.min(2000, 100 * 2 ** p.failedWrites);
  }

  #wakeAt(at: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, Math.max(0, at - Date.now()));
  }

  /** A stderr line when a sink has lost events, at most once a second per sink. */
  #report(p: Pipe): void {
    if (p.lost === 0 || p.lost === p.lostReported) return;
    const now = Date.now();
    if (now - p.lastWarn < 1000) return;
    p.lastWarn = now;
    console.error(JSON.stringify({ audit: "loss", sink: p.sink.name, lost: p.lost }));
  }

  /** Writes everything buffered, retrying failed batches until each is stored or counted as
   * lost, for at most `timeoutMs`. A pending loss report waits for a working sink. */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.#drain();
      const busy = this.#pipes.filter((p) =>
        p.inflight || p.queue.length > 0 || (p.lost !== p.lostReported && p.healthy)
      );
      if (busy.length === 0) return;
      const waits = busy.map((p) =>
        p.inflight ??
          new Promise<void>((r) =>
            setTimeout(r, Math.max(1, Math.min(p.retryAt, deadline) - Date.now()))
          )
      );
      await Promise.all(waits);
    }
  }

  /** Flushes, then closes the sinks and stops the retry timer. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const p of this.#pipes) await p.sink.close?.();
  }

  stats(): AuditStats {
    return {
      emitted: this.#emitted,
      sinks: this.#pipes.map((p) => ({
        name: p.sink.name,
        written: p.written,
        lost: p.lost,
        pending: p.queue.length + this.#raw.length,
        failedWrites: p.failedWrites,
      })),
    };
  }
}

function lossEvent(sink: string, n: number): AuditEvent {
  return finish({
    at: Date.now(),
    request_id: "none",
    function: "edge-auth",
    outcome: "audit_loss",
    reason: sink === "postgres" ? "sink_postgres" : "sink_other",
    check: "audit",
    status: null,
    user_id: null,
    role: null,
    ip: "unknown",
    user_agent: null,
    count: n,
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0)) return p;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("audit write timed out")), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const auditors = new WeakMap<AuditOptions, Auditor>();
let defaultAuditor: Auditor | undefined;

/** The auditor for these options: `false` none, `undefined` the shared stdout one. */
export function auditorFor(options: AuditOptions | false | undefined): Auditor | null {
  if (options === false) return null;
  if (options === undefined) {
    // The default (stdout) trail can be switched off for a whole deployment: AUDIT_SINKS=off.
    if (env("AUDIT_SINKS") === "off") return null;
    return (defaultAuditor ??= new Auditor());
  }
  let a = auditors.get(options);
  if (!a) {
    a = new Auditor(options);
    auditors.set(options, a);
  }
  return a;
}

// ---------------------------------------------------------------------------------------
// Request facts every event carries
// ---------------------------------------------------------------------------------------

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const FUNCTION_RE = /^[A-Za-z0-9_-]{1,64}$/;

// Made ids: a random per-isolate prefix and a counter (unique without a UUID per request).
const ID_PREFIX = crypto.randomUUID().replaceAll("-", "").slice(0, 16);
let idCounter = 0;

/** The request id from the first well-formed header, else a fresh unique one. */
export function requestId(req: Request, headers: string[]): string {
  for (const h of headers) {
    const v = req.headers.get(h);
    if (v !== null && REQUEST_ID_RE.test(v)) return v;
  }
  return `${ID_PREFIX}-${(idCounter++).toString(36)}`;
}

/** The configured name, else `/functions/v1/<name>` or the first path segment. */
export function functionName(req: Request, configured: string | undefined): string {
  if (configured !== undefined) return FUNCTION_RE.test(configured) ? configured : "unknown";
  // The path without parsing the whole URL: after "scheme://host", up to "?" or "#".
  const url = req.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "unknown";
  const end = url.slice(start).search(/[?#]/);
  const path = end < 0 ? url.slice(start) : url.slice(start, start + end);
  const parts = path.split("/", 5).filter((s) => s !== "");
  const name = parts[0] === "functions" && parts[1] === "v1" ? parts[2] : parts[0];
  return name !== undefined && FUNCTION_RE.test(name) ? name : "unknown";
}

/** The User-Agent, printable ASCII only, at most 256 characters. */
export function userAgent(req: Request): string | null {
  const v = req.headers.get("user-agent");
  if (v === null) return null;
  return v.slice(0, 256).replace(/[^\x20-\x7e]/g, "?");
}
