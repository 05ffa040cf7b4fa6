/**
 * Shared stores for the audit trail and the failed-auth throttle: Postgres and Redis. A
 * separate entry from `mod.ts`, so that functions which keep the defaults (stdout audit,
 * in-memory throttle) neither resolve nor bundle npm:postgres and npm:redis.
 *
 * ```ts
 * import { withAuth } from "./mod.ts";
 * import { postgresSinkFromUrl, PostgresThrottleStore } from "./stores.ts";
 * ```
 * @module
 */
export { postgresSink, postgresSinkFromUrl, PostgresThrottleStore } from "./lib/stores/postgres.ts";
export { type RedisLike, RedisThrottleStore } from "./lib/stores/redis.ts";
