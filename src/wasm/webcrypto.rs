//! Public-key signature checks through the host's WebCrypto (`crypto.subtle`): it runs off the
//! isolate's thread and was measured faster than RustCrypto compiled to WASM.
//! Imported `CryptoKey`s are cached per (key fingerprint, algorithm).

use crate::alg::Algorithm;
use crate::error::{AuthError, ErrorKind};
use crate::keys::{Jwk, Material};
use js_sys::{Array, Object, Promise, Reflect};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CryptoKey, SubtleCrypto};

/// Bounded so a stream of rotated keys cannot grow it without limit.
const MAX_CACHED_KEYS: usize = 128;

thread_local! {
    static KEYS: RefCell<HashMap<String, CryptoKey>> = RefCell::new(HashMap::new());
}

fn subtle() -> Result<SubtleCrypto, AuthError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(|_| {
        AuthError::with_detail(ErrorKind::InvalidConfig, "globalThis.crypto is missing")
    })?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|_| {
        AuthError::with_detail(ErrorKind::InvalidConfig, "crypto.subtle is missing")
    })?;
    if subtle.is_undefined() || subtle.is_null() {
        return Err(AuthError::with_detail(
            ErrorKind::InvalidConfig,
            "crypto.subtle is missing",
        ));
    }
    Ok(subtle.unchecked_into())
}

fn object(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn import_params(alg: Algorithm) -> Object {
    let p = alg.webcrypto();
    let mut pairs = vec![("name", s(p.name))];
    if let Some(c) = p.named_curve {
        pairs.push(("namedCurve", s(c)));
    }
    if let (Some(h), false) = (p.hash, p.name == "ECDSA") {
        pairs.push(("hash", s(h)));
    }
    object(&pairs)
}

fn verify_params(alg: Algorithm) -> Object {
    let p = alg.webcrypto();
    let mut pairs = vec![("name", s(p.name))];
    if let (Some(h), true) = (p.hash, p.name == "ECDSA") {
        pairs.push(("hash", s(h)));
    }
    if let Some(salt) = p.salt_length {
        pairs.push(("saltLength", JsValue::from(salt)));
    }
    object(&pairs)
}

fn jwk_object(key: &Jwk) -> Result<Object, AuthError> {
    Ok(match &key.material {
        Material::Ec { crv, x, y } => {
            object(&[("kty", s("EC")), ("crv", s(crv)), ("x", s(x)), ("y", s(y))])
        }
        Material::Rsa { n, e, .. } => object(&[("kty", s("RSA")), ("n", s(n)), ("e", s(e))]),
        Material::Ed25519 { x } => object(&[("kty", s("OKP")), ("crv", s("Ed25519")), ("x", s(x))]),
        Material::Hmac(_) => return Err(ErrorKind::KeyTypeMismatch.into()),
    })
}

/// Drops every imported key (e.g. after the key set was purged).
pub fn clear() {
    KEYS.with(|c| c.borrow_mut().clear());
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// A promise seen through plain `then` / `catch` taking any function (js-sys's typed
    /// versions want closures of their own shape).
    #[wasm_bindgen(extends = Object)]
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, f: &JsValue) -> Promise;
    #[wasm_bindgen(method, js_name = catch)]
    fn catch_with(this: &Thenable, f: &JsValue) -> Promise;
}

fn then(p: &Promise, f: &JsValue) -> Promise {
    p.unchecked_ref::<Thenable>().then(f)
}

fn recover(p: &Promise, f: &JsValue) -> Promise {
    p.unchecked_ref::<Thenable>().catch_with(f)
}

thread_local! {
    // Rejection handlers made once per isolate: they turn a WebCrypto rejection into a value,
    // so each stage below always fulfils and its one continuation always runs (and is freed).
    static FALSE_ON_ERROR: JsValue =
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|_| JsValue::FALSE).into_js_value();
    static NULL_ON_ERROR: JsValue =
        Closure::<dyn Fn(JsValue) -> JsValue>::new(|_| JsValue::NULL).into_js_value();
}

/// `subtle.verify` as a promise that always fulfils: `true`, or `false` (bad signature, or an
/// engine that throws on a malformed one).
fn verify_signal(
    subtle: &SubtleCrypto,
    key: &CryptoKey,
    alg: Algorithm,
    signature: &[u8],
    data: &[u8],
) -> Promise {
    match subtle.verify_with_object_and_u8_array_and_u8_array(
        &verify_params(alg),
        key,
        signature,
        data,
    ) {
        Ok(p) => FALSE_ON_ERROR.with(|f| recover(&p, f)),
        Err(_) => Promise::resolve(&JsValue::FALSE),
    }
}

/// Verifies `signature` over `data` and hands the verdict to `finish`, chaining continuations
/// on the WebCrypto promise directly (one closure per request, no executor): measurably less
/// latency than awaiting through a future. The returned promise settles with what `finish`
/// returns or throws. An import failure is `invalid_key`.
pub fn verify_then<F>(
    key: &Jwk,
    alg: Algorithm,
    signature: Vec<u8>,
    data: Vec<u8>,
    finish: F,
) -> Promise
where
    F: FnOnce(Result<bool, AuthError>) -> Result<JsValue, JsValue> + 'static,
{
    let subtle = match subtle() {
        Ok(s) => s,
        Err(e) => {
            return match finish(Err(e)) {
                Ok(v) => Promise::resolve(&v),
                Err(v) => Promise::reject(&v),
            }
        }
    };
    let id = format!("{}:{}", key.fingerprint, alg.name());
    let stage = match KEYS.with(|c| c.borrow().get(&id).cloned()) {
        Some(k) => verify_signal(&subtle, &k, alg, &signature, &data),
        None => {
            let usages = Array::of1(&s("verify"));
            let import = match jwk_object(key).ok().and_then(|jwk| {
                subtle
                    .import_key_with_object("jwk", &jwk, &import_params(alg), false, &usages)
                    .ok()
            }) {
                Some(p) => NULL_ON_ERROR.with(|f| recover(&p, f)),
                None => Promise::resolve(&JsValue::NULL),
            };
            let then_verify = Closure::once_into_js(move |k: JsValue| -> JsValue {
                if k.is_null() || k.is_undefined() {
                    return JsValue::NULL; // import refused the key
                }
                let k: CryptoKey = k.unchecked_into();
                KEYS.with(|c| {
                    let mut c = c.borrow_mut();
                    if c.len() >= MAX_CACHED_KEYS {
                        c.clear();
                    }
                    c.insert(id, k.clone());
                });
                verify_signal(&subtle, &k, alg, &signature, &data).into()
            });
            then(&import, &then_verify)
        }
    };
    let done = Closure::once_into_js(move |verdict: JsValue| -> Result<JsValue, JsValue> {
        finish(
            verdict
                .as_bool()
                .ok_or_else(|| AuthError::new(ErrorKind::InvalidKey)),
        )
    });
    then(&stage, &done)
}
