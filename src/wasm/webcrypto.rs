//! Public-key signature checks through the host's WebCrypto (`crypto.subtle`): it runs off the
//! isolate's thread and was measured faster than RustCrypto compiled to WASM.
//! Imported `CryptoKey`s are cached per (key fingerprint, algorithm).

use crate::alg::Algorithm;
use crate::error::{AuthError, ErrorKind};
use crate::keys::{Jwk, Material};
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
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

async fn crypto_key(
    subtle: &SubtleCrypto,
    key: &Jwk,
    alg: Algorithm,
) -> Result<CryptoKey, AuthError> {
    let id = format!("{}:{}", key.fingerprint, alg.name());
    if let Some(k) = KEYS.with(|c| c.borrow().get(&id).cloned()) {
        return Ok(k);
    }
    let usages = Array::of1(&s("verify"));
    // WebCrypto also validates the key (e.g. an EC point off the curve): any failure is invalid_key.
    let promise = subtle
        .import_key_with_object(
            "jwk",
            &jwk_object(key)?,
            &import_params(alg),
            false,
            &usages,
        )
        .map_err(|_| AuthError::new(ErrorKind::InvalidKey))?;
    let imported = JsFuture::from(promise)
        .await
        .map_err(|_| AuthError::new(ErrorKind::InvalidKey))?;
    let imported: CryptoKey = imported.unchecked_into();
    KEYS.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= MAX_CACHED_KEYS {
            c.clear();
        }
        c.insert(id, imported.clone());
    });
    Ok(imported)
}

/// Verifies `signature` over `data` with the public JWK. `Ok(false)` is a bad signature.
pub async fn verify(
    key: &Jwk,
    alg: Algorithm,
    signature: &[u8],
    data: &[u8],
) -> Result<bool, AuthError> {
    let subtle = subtle()?;
    let crypto_key = crypto_key(&subtle, key, alg).await?;
    let promise = subtle
        .verify_with_object_and_u8_array_and_u8_array(
            &verify_params(alg),
            &crypto_key,
            signature,
            data,
        )
        .map_err(|_| AuthError::new(ErrorKind::BadSignature))?;
    match JsFuture::from(promise).await {
        Ok(v) => Ok(v.as_bool() == Some(true)),
        // A malformed signature makes some engines throw instead of answering false.
        Err(_) => Ok(false),
    }
}

/// Drops every imported key (e.g. after the key set was purged).
pub fn clear() {
    KEYS.with(|c| c.borrow_mut().clear());
}
