/* tslint:disable */
/* eslint-disable */

export class Auth {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Verifies the `Authorization` header value and resolves to the context as JSON text.
     * `headers` is a flat list of name, value pairs of the trusted client-address headers.
     */
    authenticate(authorization: string | null | undefined, headers: string[], now: number): Promise<any>;
    /**
     * How many usable keys (legacy secret included) and skipped keys the verifier holds.
     */
    keyStats(): Uint32Array<ArrayBuffer>;
    /**
     * Builds a verifier from a plain configuration object (see `Config`).
     */
    constructor(config: any);
    realm(): string;
    /**
     * Verifies a bare token under the generic policy (every token must satisfy iss and aud)
     * and resolves to its verified claims as JSON text.
     */
    verifyToken(token: string, now: number): Promise<any>;
}

export function clearKeyCache(): void;

/**
 * Looks up an error by its stable code, so the facade reports its own failures
 * (e.g. `inactive_account`, `keys_unavailable`) exactly like the core does.
 */
export function errorForCode(code: string, realm: string): any;

export function requireAal(aal: string | null | undefined, minimum: string, realm: string): void;

export function requirePermissions(held: string[], needed: string[], any: boolean, realm: string): void;

export function requireRole(role: string | null | undefined, allowed: string[], realm: string): void;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_auth_free: (a: number, b: number) => void;
    readonly auth_authenticate: (a: number, b: number, c: number, d: number, e: number, f: number) => any;
    readonly auth_keyStats: (a: number) => [number, number];
    readonly auth_new: (a: any) => [number, number, number];
    readonly auth_realm: (a: number) => [number, number];
    readonly auth_verifyToken: (a: number, b: number, c: number, d: number) => any;
    readonly clearKeyCache: () => void;
    readonly errorForCode: (a: number, b: number, c: number, d: number) => any;
    readonly requireAal: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly requirePermissions: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number];
    readonly requireRole: (a: number, b: number, c: number, d: number, e: number, f: number) => [number, number];
    readonly wasm_bindgen__convert__closures_____invoke__h697259bcbfacc258: (a: number, b: number, c: any, d: any) => void;
    readonly wasm_bindgen__convert__closures_____invoke__ha11761071df2d9af: (a: number, b: number, c: any) => [number, number];
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
