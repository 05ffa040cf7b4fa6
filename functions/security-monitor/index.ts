// security-monitor: run on a schedule (Supabase cron, e.g. every 5 minutes). Reads the edge audit
// trail (private.auth_events) and the shared throttle counters, raises an alert for every client
// address or subject over the thresholds (more than THROTTLE_ALERT_AFTER failures in the window:
// alert; more than THROTTLE_BLOCK_AFTER: blocked) and for audit events the edge instances could
// not store, records each new alert in the audit trail, and sends one SMS summary through the
// SMS gateway to SECURITY_ALERT_PHONE. An alert already recorded within the window is not raised
// again. Dry run (`?dry_run=1`, `{"dry_run": true}` or SECURITY_MONITOR_DRY_RUN=true, any
// spelling; only absent or false / 0 / no / off runs live): reports what it would do, sends and
// writes nothing. A body that is not a JSON object is a 400.
//
// Authentication: only Supabase's service_role API key (`Authorization: Bearer
// <service_role key>`, as pg_cron + pg_net send it); user tokens get 403. POST only.
import { type AuthContext, authError, withAuth } from "../../mod.ts";
import { authOptions, throttleStoreFromEnv } from "../_shared/auth.ts";
import { type Queryable, withServiceRole } from "../_shared/db.ts";
import { toE164 } from "../_shared/phone.ts";
import { serveFunction } from "../_shared/serve.ts";
import { gatewaySettings, sendSms } from "../_shared/sms_gateway.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function envInt(name: string, fallback: number): number {
  const v = Number(env(name));
  return Number.isInteger(v) && v >= 0 ? v : fallback;
}

export interface Alert {
  kind: "ip" | "subject" | "audit_loss";
  /** The IP address, the subject hash, or the sink name. */
  value: string;
  level: "alert" | "block" | "loss";
  count: number;
  /** Where the count came from. */
  source: "audit" | "store";
}

export interface MonitorReport {
  dry_run: boolean;
  window_seconds: number;
  alerts: Alert[];
  /** Alerts already raised within the window (not sent again). */
  suppressed: number;
  recorded: number;
  /** Expired rows removed from private.auth_throttle (Postgres store). */
  pruned: number;
  sms: "sent" | "not_configured" | "failed" | "none" | "dry_run";
}

const REASON: Record<Alert["level"], string> = {
  alert: "failures_over_alert",
  block: "failures_over_block",
  loss: "audit_events_lost",
};

/** The key an alert is de-duplicated on (the `ip` column of its audit row). */
function alertKey(a: Alert): string {
  return a.kind === "ip" ? a.value : `${a.kind}:${a.value}`.slice(0, 64);
}

async function findAlerts(
  tx: Queryable,
  window: number,
  alertAfter: number,
  blockAfter: number,
): Promise<Alert[]> {
  const level = (n: number): Alert["level"] => (n > blockAfter ? "block" : "alert");
  const alerts: Alert[] = [];
  const byIp = await tx.query<{ ip: string; n: number }>(
    `select ip, count(*)::int as n from private.auth_events
     where outcome = 'failed_auth' and ip <> 'unknown'
       and occurred_at > now() - make_interval(secs => $1)
     group by ip having count(*) > $2 order by n desc limit 100`,
    [window, alertAfter],
  );
  for (const r of byIp) {
    alerts.push({ kind: "ip", value: r.ip, level: level(r.n), count: r.n, source: "audit" });
  }
  const bySubject = await tx.query<{ subject_hash: string; n: number }>(
    `select subject_hash, count(*)::int as n from private.auth_events
     where outcome = 'failed_auth' and subject_hash is not null
       and occurred_at > now() - make_interval(secs => $1)
     group by subject_hash having count(*) > $2 order by n desc limit 100`,
    [window, alertAfter],
  );
  for (const r of bySubject) {
    alerts.push({
      kind: "subject",
      value: r.subject_hash,
      level: level(r.n),
      count: r.n,
      source: "audit",
    });
  }
  const [loss] = await tx.query<{ n: number | null }>(
    `select sum(count)::int as n from private.auth_events
     where outcome = 'audit_loss' and occurred_at > now() - make_interval(secs => $1)`,
    [window],
  );
  if (loss?.n) {
    alerts.push({
      kind: "audit_loss",
      value: "edge",
      level: "loss",
      count: loss.n,
      source: "audit",
    });
  }
  return alerts;
}

/** Counters from the shared throttle store (they see failures whose events were lost too). */
async function storeAlerts(
  window: number,
  alertAfter: number,
  blockAfter: number,
): Promise<Alert[]> {
  const store = throttleStoreFromEnv();
  if (!store?.entries) return [];
  try {
    const entries = await store.entries(Date.now() / 1000, window, 500);
    return entries.filter((e) => e.hits.length > alertAfter).map((e) => {
      const [kind, ...rest] = e.key.split(":");
      return {
        kind: kind === "ip" ? "ip" : "subject",
        value: rest.join(":"),
        level: e.hits.length > blockAfter ? "block" : "alert",
        count: e.hits.length,
        source: "store",
      } as Alert;
    });
  } catch {
    return [];
  } finally {
    await store.close?.().catch(() => {});
  }
}

/** Merges audit and store views: one alert per (kind, value), the higher count. */
function merge(a: Alert[], b: Alert[]): Alert[] {
  const out = new Map<string, Alert>();
  for (const x of [...a, ...b]) {
    const k = `${x.kind}|${x.value}`;
    const prev = out.get(k);
    if (!prev || x.count > prev.count) out.set(k, x);
  }
  return [...out.values()];
}

function smsText(alerts: Alert[], window: number): string {
  const mins = Math.round(window / 60);
  const lines = alerts.slice(0, 5).map((a) =>
    a.kind === "audit_loss"
      ? `${a.count} audit events lost`
      : `${a.kind} ${
        a.kind === "ip" ? a.value : a.value.slice(0, 8)
      }: ${a.count} failed logins/${mins}m${a.level === "block" ? " (blocked)" : ""}`
  );
  const more = alerts.length > 5 ? ` +${alerts.length - 5} more` : "";
  return `Pharmacy security: ${alerts.length} alert(s). ${lines.join("; ")}${more}`;
}

/** One monitor run. Exported for tests and for a host that schedules it differently. */
export async function runMonitor(dryRun: boolean): Promise<MonitorReport> {
  const window = envInt("THROTTLE_WINDOW_SECONDS", 3600);
  const alertAfter = envInt("THROTTLE_ALERT_AFTER", 5);
  const blockAfter = envInt("THROTTLE_BLOCK_AFTER", 50);
  const fromAudit = await withServiceRole(
    "security-monitor",
    (tx) => findAlerts(tx, window, alertAfter, blockAfter),
  );
  const candidates = merge(fromAudit, await storeAlerts(window, alertAfter, blockAfter));
  const fresh = await withServiceRole("security-monitor", async (tx) => {
    const seen = await tx.query<{ ip: string; reason: string }>(
      `select distinct ip, reason from private.auth_events
       where outcome = 'alert' and occurred_at > now() - make_interval(secs => $1)`,
      [window],
    );
    const raised = new Set(seen.map((r) => `${r.ip}|${r.reason}`));
    return candidates.filter((a) => !raised.has(`${alertKey(a)}|${REASON[a.level]}`));
  });
  const report: MonitorReport = {
    dry_run: dryRun,
    window_seconds: window,
    alerts: fresh,
    suppressed: candidates.length - fresh.length,
    recorded: 0,
    pruned: 0,
    sms: "none",
  };
  if (!dryRun) {
    // Throttle rows whose newest failure has left the window hold nothing any more.
    report.pruned = await withServiceRole("security-monitor", async (tx) =>
      (await tx.query(
        `delete from private.auth_throttle
         where updated_at < now() - make_interval(secs => $1) returning key`,
        [window],
      )).length);
  }
  if (fresh.length === 0) return report;
  if (dryRun) {
    report.sms = "dry_run";
    return report;
  }
  // Record first: a failed SMS must not make the next run stay silent about the audit trail.
  report.recorded = await withServiceRole("security-monitor", async (tx) => {
    const rows = fresh.map((a) => ({
      event_id: crypto.randomUUID(),
      reason: REASON[a.level],
      ip: alertKey(a),
      subject_hash: a.kind === "subject" && /^[0-9a-f]{32}$/.test(a.value) ? a.value : null,
      count: a.count,
    }));
    const inserted = await tx.query(
      `insert into private.auth_events (event_id, occurred_at, request_id, function_name,
         outcome, reason, check_name, status, ip, subject_hash, count)
       select x.event_id, now(), 'security-monitor', 'security-monitor', 'alert', x.reason,
         'monitor', null, x.ip, x.subject_hash, x.count
       from jsonb_to_recordset($1::text::jsonb) as x(event_id uuid, reason text, ip text,
         subject_hash text, count integer)
       returning id`,
      [JSON.stringify(rows)],
    );
    return inserted.length;
  });
  const settings = gatewaySettings();
  const phone = toE164(env("SECURITY_ALERT_PHONE"));
  if (!settings || !phone) {
    console.error("security-monitor: SMS_GATEWAY_* or SECURITY_ALERT_PHONE not set; no SMS");
    report.sms = "not_configured";
    return report;
  }
  try {
    await sendSms(settings, [phone], smsText(fresh, window));
    report.sms = "sent";
  } catch {
    console.error("security-monitor: the SMS gateway did not take the alert");
    report.sms = "failed";
  }
  return report;
}

/** Whether a value asks for a dry run. Fail safe: only absence or an explicit false / 0 / no /
 * off runs live; true in any spelling, or anything unrecognised, is a dry run. */
function dryRunFlag(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0) return false;
  return !["", "0", "false", "no", "off"].includes(String(v).trim().toLowerCase());
}

/** The dry-run request, or `null` when the body is not a readable JSON object (a 400). */
async function wantsDryRun(req: Request): Promise<boolean | null> {
  if (dryRunFlag(env("SECURITY_MONITOR_DRY_RUN"))) return true;
  if (dryRunFlag(new URL(req.url).searchParams.get("dry_run") ?? undefined)) return true;
  const text = await req.text().catch(() => null);
  if (text === null || text.length > 4096) return null;
  if (text.trim().length === 0) return false;
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
    return dryRunFlag((body as { dry_run?: unknown }).dry_run);
  } catch {
    return null;
  }
}

export const handler = withAuth({
  ...authOptions,
  allowApiKeys: ["service_role"],
  functionName: "security-monitor",
  methods: { POST: {} },
}, async (req: Request, ctx: AuthContext) => {
  if (ctx.kind !== "service_role") throw authError("insufficient_role");
  const dryRun = await wantsDryRun(req);
  if (dryRun === null) {
    return Response.json({ error: "invalid_input", message: "body must be a JSON object" }, {
      status: 400,
    });
  }
  try {
    return Response.json(await runMonitor(dryRun));
  } catch {
    return Response.json({ error: "monitor_failed" }, { status: 503 });
  }
});

serveFunction(handler);
