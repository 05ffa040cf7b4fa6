//! `Auth`: the verifier object JavaScript holds. Delegations to the core, the verified-token
//! cache, and the asynchronous WebCrypto step for public-key tokens.

use super::{error_to_js, webcrypto};
use crate::alg::Algorithm;
use crate::claims::Instant;
use crate::config::{Authenticator, Config};
use crate::error::{AuthError, ErrorKind};
use crate::http;
use crate::keys::{KeySet, KeySource};
use crate::policy::{self, Match};
use crate::token_cache::TokenCache;
use crate::verify::{self, Detached, Step, Verified};
use js_sys::{Object, Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

const DEFAULT_REALM: &str = "supabase";

#[wasm_bindgen]
pub struct Auth {
    /// Replaced whole when the remote key set changes; verifications in flight keep theirs.
    inner: RefCell<Rc<Authenticator>>,
    cache: Rc<RefCell<TokenCache>>,
}

fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    flat.chunks_exact(2)
        .filter_map(|c| Some((c.first()?.clone(), c.get(1)?.clone())))
        .collect()
}

fn random_key() -> [u64; 4] {
    let mut bytes = [0u8; 32];
    // Without randomness the cache still works; its keys are then merely predictable.
    let _ = getrandom::fill(&mut bytes);
    let mut key = [0u64; 4];
    for (k, chunk) in key.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *k = u64::from_le_bytes(b);
    }
    key
}

/// The error object, plus the token's `kid` when no key matched it: the facade uses it to
/// decide on a key-set refresh. It is never put into a response or a log.
fn reject(e: &AuthError, realm: &str, token: &str) -> JsValue {
    let obj = error_to_js(e, realm);
    if e.kind == ErrorKind::NoMatchingKey {
        if let Some(kid) = crate::token::header_kid(token) {
            let _ = Reflect::set(&obj, &JsValue::from_str("kid"), &JsValue::from_str(&kid));
        }
    }
    obj
}

type Done = Box<dyn FnOnce(&Authenticator, &Verified) -> Result<JsValue, AuthError>>;

/// Runs a verification to its end: cached and HMAC tokens resolve at once, public-key tokens
/// await WebCrypto. Newly verified tokens enter the cache when `cache` is given.
fn run(
    inner: Rc<Authenticator>,
    cache: Option<Rc<RefCell<TokenCache>>>,
    token: &str,
    now: Instant,
    done: Done,
) -> Promise {
    let realm = inner.realm.clone();
    // The token is hashed once, and only when the cache is on.
    let cache = cache.filter(|c| c.borrow().enabled()).map(|c| {
        let key = c.borrow().key(token);
        (c, key)
    });
    if let Some((cache, key)) = &cache {
        let hit = inner.cached(&mut cache.borrow_mut(), key, now);
        match hit {
            Some(Ok(v)) => return settle(done(&inner, &v), &realm, token),
            Some(Err(e)) => return Promise::reject(&reject(&e, &realm, token)),
            None => {}
        }
    }
    let remember = move |v: Verified, token: &str| -> Rc<Verified> {
        let v = Rc::new(v);
        if let Some((cache, key)) = &cache {
            cache.borrow_mut().insert(*key, token.len(), v.clone());
        }
        v
    };
    match inner.begin_token(token, now) {
        Err(e) => Promise::reject(&reject(&e, &realm, token)),
        Ok(Step::Done(v)) => {
            let v = remember(v, token);
            settle(done(&inner, &v), &realm, token)
        }
        Ok(Step::NeedsSignature(pending)) => {
            let token = token.to_owned();
            let (alg, key) = (pending.alg(), pending.key().clone());
            let (signature, input) = (
                pending.signature().to_vec(),
                pending.signing_input().to_vec(),
            );
            webcrypto::verify_then(&key, alg, signature, input, move |valid| {
                let valid = valid.map_err(|e| reject(&e, &realm, &token))?;
                let v = inner
                    .finish(*pending, valid)
                    .map_err(|e| reject(&e, &realm, &token))?;
                let v = remember(v, &token);
                done(&inner, &v).map_err(|e| reject(&e, &realm, &token))
            })
        }
    }
}

fn settle(result: Result<JsValue, AuthError>, realm: &str, token: &str) -> Promise {
    match result {
        Ok(value) => Promise::resolve(&value),
        Err(e) => Promise::reject(&reject(&e, realm, token)),
    }
}

fn bad_clock() -> AuthError {
    AuthError::with_detail(ErrorKind::InvalidConfig, "now must be a finite number")
}

#[wasm_bindgen]
impl Auth {
    /// Builds a verifier from a plain configuration object (see `Config`).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Auth, JsValue> {
        let cfg: Config = serde_wasm_bindgen::from_value(config).map_err(|_| {
            let e = AuthError::with_detail(ErrorKind::InvalidConfig, "unreadable configuration");
            error_to_js(&e, DEFAULT_REALM)
        })?;
        let inner = Authenticator::new(cfg).map_err(|e| error_to_js(&e, DEFAULT_REALM))?;
        let cache = TokenCache::new(inner.cache_limits, random_key());
        Ok(Auth {
            inner: RefCell::new(Rc::new(inner)),
            cache: Rc::new(RefCell::new(cache)),
        })
    }

    /// Verifies the `Authorization` header value and resolves to the context JSON.
    /// `headers` is a flat list of name, value pairs of the trusted client-address headers.
    pub fn authenticate(
        &self,
        authorization: Option<String>,
        headers: Vec<String>,
        now: f64,
    ) -> Promise {
        let inner = self.inner.borrow().clone();
        let Some(now) = Instant::from_f64(now) else {
            return Promise::reject(&error_to_js(&bad_clock(), &inner.realm));
        };
        let token = match http::bearer_token(authorization.as_deref()) {
            Ok(t) => t,
            Err(e) => return Promise::reject(&error_to_js(&e, &inner.realm)),
        };
        let headers = pairs(headers);
        // Only the context: the facade decodes the verified payload from the token it holds,
        // when a handler first reads the claims.
        let done: Done =
            Box::new(move |a, v| Ok(JsValue::from_str(&a.context(v, &headers)?.to_json())));
        run(inner, Some(self.cache.clone()), token, now, done)
    }

    /// Verifies a bare token under the generic policy (every token must satisfy iss and aud)
    /// and resolves to its verified claims as JSON text. Not cached.
    #[wasm_bindgen(js_name = verifyToken)]
    pub fn verify_token(&self, token: &str, now: f64) -> Promise {
        let inner = self.inner.borrow().clone();
        let Some(now) = Instant::from_f64(now) else {
            return Promise::reject(&error_to_js(&bad_clock(), &inner.realm));
        };
        let done: Done = Box::new(|a, v| {
            a.check_generic(v)
                .map(|_| JsValue::from_str(&v.payload_text))
        });
        run(inner, None, token, now, done)
    }

    /// Replaces the remote part of the key set with a fetched JWK Set (JSON text), or drops it
    /// (`undefined`). Cached tokens of keys that left the set are evicted. Returns
    /// `[usable keys, skipped keys]`; a document that is not a key set changes nothing.
    #[wasm_bindgen(js_name = setRemoteKeys)]
    pub fn set_remote_keys(&self, jwks: Option<String>) -> Result<Vec<u32>, JsValue> {
        let current = self.inner.borrow().clone();
        let next = current
            .with_remote_keys(jwks.as_deref().map(str::as_bytes))
            .map_err(|e| error_to_js(&e, &current.realm))?;
        self.cache
            .borrow_mut()
            .retain_keys(&next.key_fingerprints());
        *self.inner.borrow_mut() = Rc::new(next);
        Ok(self.key_stats())
    }

    /// `[usable keys (the legacy secret counts one), keys skipped as unusable]`.
    #[wasm_bindgen(js_name = keyStats)]
    pub fn key_stats(&self) -> Vec<u32> {
        let inner = self.inner.borrow();
        let k = &inner.keys;
        vec![
            (k.keys.len() + usize::from(k.legacy_secret.is_some())) as u32,
            k.rejected.len() as u32,
        ]
    }

    /// `{ hits, misses, entries, bytes }` of the verified-token cache.
    #[wasm_bindgen(js_name = cacheStats)]
    pub fn cache_stats(&self) -> JsValue {
        let s = self.cache.borrow().stats();
        let o = Object::new();
        for (k, v) in [
            ("hits", s.hits as f64),
            ("misses", s.misses as f64),
            ("entries", s.entries as f64),
            ("bytes", s.bytes as f64),
        ] {
            let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_f64(v));
        }
        o.into()
    }

    /// Empties the verified-token cache and the imported-key cache.
    pub fn purge(&self) {
        self.cache.borrow_mut().clear();
        webcrypto::clear();
    }

    pub fn realm(&self) -> String {
        self.inner.borrow().realm.clone()
    }
}

#[wasm_bindgen(js_name = requireRole)]
pub fn require_role(
    role: Option<String>,
    allowed: Vec<String>,
    realm: &str,
) -> Result<(), JsValue> {
    policy::require_role(role.as_deref(), &allowed).map_err(|e| error_to_js(&e, realm))
}

#[wasm_bindgen(js_name = requirePermissions)]
pub fn require_permissions(
    held: Vec<String>,
    needed: Vec<String>,
    any: bool,
    realm: &str,
) -> Result<(), JsValue> {
    let mode = if any { Match::Any } else { Match::All };
    policy::require_permissions(&held, &needed, mode).map_err(|e| error_to_js(&e, realm))
}

#[wasm_bindgen(js_name = requireAal)]
pub fn require_aal(aal: Option<String>, minimum: &str, realm: &str) -> Result<(), JsValue> {
    policy::require_aal(aal.as_deref(), minimum).map_err(|e| error_to_js(&e, realm))
}

/// The client address under the trusted-proxy rules (`crate::http::client_ip`), for requests
/// that end before a context exists (failures, throttling). `headers` is a flat list of name,
/// value pairs; the answer is an IP address in canonical form or `unknown`.
#[wasm_bindgen(js_name = clientIp)]
pub fn client_ip(headers: Vec<String>, trusted: Vec<String>, forwarded_hops: u32) -> String {
    http::client_ip(&pairs(headers), &trusted, forwarded_hops)
}

/// Verifies a detached signature over `message` with one JWK (a JSON text) under the product's
/// key rules: the same key parsing, algorithm binding and length checks as tokens. Resolves to
/// a boolean; rejects with an error object when the key itself is refused.
#[wasm_bindgen(js_name = verifyDetached)]
pub fn verify_detached(jwk: &str, alg: &str, signature: Vec<u8>, message: Vec<u8>) -> Promise {
    let fail = |e: AuthError| Promise::reject(&error_to_js(&e, DEFAULT_REALM));
    let Some(alg) = Algorithm::from_name(alg) else {
        return fail(ErrorKind::AlgNotAllowed.into());
    };
    let mut keys = KeySet::default();
    if let Err(e) = keys.add_jwks(jwk.as_bytes(), KeySource::Inline) {
        return fail(e);
    }
    let key = match verify::detached(&keys, alg, &signature, &message) {
        Err(e) => return fail(e),
        Ok(Detached::Done(ok)) => return Promise::resolve(&JsValue::from_bool(ok)),
        Ok(Detached::NeedsHost(jwk)) => jwk.clone(),
    };
    webcrypto::verify_then(&key, alg, signature, message, |r| {
        r.map(JsValue::from_bool)
            .map_err(|e| error_to_js(&e, DEFAULT_REALM))
    })
}

#[wasm_bindgen(js_name = clearKeyCache)]
pub fn clear_key_cache() {
    webcrypto::clear();
}
