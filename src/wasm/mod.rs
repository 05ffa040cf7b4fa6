//! The only code that knows about JavaScript: thin wasm-bindgen wrappers over the core.
//! Every entry point returns a typed error object instead of trapping.

mod auth;
mod webcrypto;
mod webhook;

use crate::error::AuthError;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

/// The JS shape of every error: `{ code, status, message, wwwAuthenticate? }`.
pub(crate) fn error_to_js(err: &AuthError, realm: &str) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        // Setting a plain property on a fresh object cannot fail; ignore the Result regardless.
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("code", JsValue::from_str(err.code()));
    set("status", JsValue::from(err.status()));
    set("message", JsValue::from_str(err.kind.message()));
    if let Some(detail) = err.detail {
        set("detail", JsValue::from_str(detail));
    }
    if let Some(h) = err.www_authenticate(realm) {
        set("wwwAuthenticate", JsValue::from_str(&h));
    }
    o.into()
}

/// Seconds since the epoch from the host, refusing what is not a finite number.
pub(crate) fn seconds(now: f64) -> Option<i64> {
    if now.is_finite() {
        // `as` saturates; a finite f64 clock value is far inside i64 anyway.
        Some(now.floor() as i64)
    } else {
        None
    }
}

/// Looks up an error by its stable code, so the facade reports its own failures
/// (e.g. `inactive_account`, `keys_unavailable`) exactly like the core does.
#[wasm_bindgen(js_name = errorForCode)]
pub fn error_for_code(code: &str, realm: &str) -> JsValue {
    let kind = crate::error::ALL_KINDS
        .iter()
        .copied()
        .find(|k| k.code() == code)
        .unwrap_or(crate::error::ErrorKind::InvalidConfig);
    error_to_js(&AuthError::new(kind), realm)
}
