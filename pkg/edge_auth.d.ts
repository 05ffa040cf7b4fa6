/* tslint:disable */
/* eslint-disable */

export class Auth {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Verifies the `Authorization` header value and resolves to the context JSON.
     * `headers` is a flat list of name, value pairs of the trusted client-address headers.
     */
    authenticate(authorization: string | null | undefined, headers: string[], now: number): Promise<any>;
    /**
     * `{ hits, misses, entries, bytes }` of the verified-token cache.
     */
    cacheStats(): any;
    /**
     * `[usable keys (the legacy secret counts one), keys skipped as unusable]`.
     */
    keyStats(): Uint32Array<ArrayBuffer>;
    /**
     * Builds a verifier from a plain configuration object (see `Config`).
     */
    constructor(config: any);
    /**
     * Empties the verified-token cache and the imported-key cache.
     */
    purge(): void;
    realm(): string;
    /**
     * Replaces the remote part of the key set with a fetched JWK Set (JSON text), or drops it
     * (`undefined`). Cached tokens of keys that left the set are evicted. Returns
     * `[usable keys, skipped keys]`; a document that is not a key set changes nothing.
     */
    setRemoteKeys(jwks?: string | null): Uint32Array<ArrayBuffer>;
    /**
     * Verifies a bare token under the generic policy (every token must satisfy iss and aud)
     * and resolves to its verified claims as JSON text. Not cached.
     */
    verifyToken(token: string, now: number): Promise<any>;
}

export class WebhookVerifier {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Builds a verifier from `{ scheme, secrets, toleranceSeconds?, maxBodyBytes?, publicUrl? }`.
     */
    constructor(config: any);
    /**
     * Verifies one request: `headers` is a flat list of name, value pairs, `body` the raw
     * bytes, `now` seconds since the epoch, `query` the raw query string without `?`.
     * Returns `{ eventId, replayKey }` (strings) or throws the error object.
     */
    verify(headers: string[], body: Uint8Array | number[], now: number, query?: string | null): any;
    readonly maxBodyBytes: number;
    readonly toleranceSeconds: number;
}

export function clearKeyCache(): void;

/**
 * The client address under the trusted-proxy rules (`crate::http::client_ip`), for requests
 * that end before a context exists (failures, throttling). `headers` is a flat list of name,
 * value pairs; the answer is an IP address in canonical form or `unknown`.
 */
export function clientIp(headers: string[], trusted: string[], forwarded_hops: number): string;

/**
 * Looks up an error by its stable code, so the facade reports its own failures
 * (e.g. `inactive_account`, `keys_unavailable`) exactly like the core does.
 */
export function errorForCode(code: string, realm: string): any;

export function requireAal(aal: string | null | undefined, minimum: string, realm: string): void;

export function requirePermissions(held: string[], needed: string[], any: boolean, realm: string): void;

export function requireRole(role: string | null | undefined, allowed: string[], realm: string): void;

/**
 * Verifies a detached signature over `message` with one JWK (a JSON text) under the product's
 * key rules: the same key parsing, algorithm binding and length checks as tokens. Resolves to
 * a boolean; rejects with an error object when the key itself is refused.
 */
export function verifyDetached(jwk: string, alg: string, signature: Uint8Array | number[], message: Uint8Array | number[]): Promise<any>;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_auth_free: (a: number, b: number) => void;
    readonly __wbg_webhookverifier_free: (a: number, b: number) => void;
    readonly auth_authenticate: (a: number, b: number, c: number, d: number, e: number, f: number) => any;
    readonly auth_cacheStats: (a: number) => any;
    readonly auth_keyStats: (a: number) => [number, number];
    readonly auth_new: (a: any) => [number, number, number];
    readonly auth_purge: (a: number) => void;
    readonly auth_realm: (a: number) => [number, number];
    readonly auth_setRemoteKeys: (a: number, b: number, c: number) => [number, number, number, number];
    readonly auth_verifyToken: (a: number, b: number, c: number, d: number) => any;
    readonly clearKeyCache: () => void;
    readonly clientIp: (a: number, b: number, c: number, d: number, e: number) => [number, number];
    readonly errorForCode: (a: number, b: number, c: number, d: number) => any;
    readonly requireAal: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly requirePermissions: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number];
    readonly requireRole: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly verifyDetached: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => any;
    readonly webhookverifier_maxBodyBytes: (a: number) => number;
    readonly webhookverifier_new: (a: any) => [number, number, number];
    readonly webhookverifier_toleranceSeconds: (a: number) => number;
    readonly webhookverifier_verify: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number) => [number, number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h00582cd941d3ce22: (a: number, b: number, c: any) => [number, number, number];
    readonly wasm_bindgen__convert__closures_____invoke__hef66df279a372d16: (a: number, b: number, c: any) => any;
    readonly wasm_bindgen__convert__closures_____invoke__hf0955e4ba0d92d9b: (a: number, b: number, c: any) => any;
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __wbindgen_destroy_closure: (a: number, b: number) => void;
    readonly __externref_drop_slice: (a: number, b: number) => void;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
