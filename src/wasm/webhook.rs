//! `WebhookVerifier`: the inbound-webhook verifier JavaScript holds. One-line delegations to
//! `crate::webhook`; the replay store and body reading stay in TypeScript.

use super::{error_to_js, seconds};
use crate::error::{AuthError, ErrorKind};
use crate::webhook::{self, Request, WebhookConfig};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

const REALM: &str = "webhook";

#[wasm_bindgen]
pub struct WebhookVerifier {
    inner: webhook::WebhookVerifier,
}

fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    flat.chunks_exact(2)
        .filter_map(|c| Some((c.first()?.clone(), c.get(1)?.clone())))
        .collect()
}

#[wasm_bindgen]
impl WebhookVerifier {
    /// Builds a verifier from `{ scheme, secrets, toleranceSeconds?, maxBodyBytes?, publicUrl? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<WebhookVerifier, JsValue> {
        let cfg: WebhookConfig = serde_wasm_bindgen::from_value(config).map_err(|_| {
            error_to_js(
                &AuthError::with_detail(ErrorKind::WebhookConfig, "unreadable configuration"),
                REALM,
            )
        })?;
        webhook::WebhookVerifier::new(cfg)
            .map(|inner| WebhookVerifier { inner })
            .map_err(|e| error_to_js(&e, REALM))
    }

    /// Verifies one request: `headers` is a flat list of name, value pairs, `body` the raw
    /// bytes, `now` seconds since the epoch, `query` the raw query string without `?`.
    /// Returns `{ eventId, replayKey }` (strings) or throws the error object.
    pub fn verify(
        &self,
        headers: Vec<String>,
        body: &[u8],
        now: f64,
        query: Option<String>,
    ) -> Result<JsValue, JsValue> {
        let now = seconds(now).ok_or_else(|| {
            error_to_js(
                &AuthError::with_detail(ErrorKind::WebhookConfig, "now must be a finite number"),
                REALM,
            )
        })?;
        let headers = pairs(headers);
        let req = Request {
            headers: &headers,
            body,
            query: query.as_deref().unwrap_or(""),
            now,
        };
        let verified = self
            .inner
            .verify(&req)
            .map_err(|e| error_to_js(&e, REALM))?;
        let o = Object::new();
        // Setting a plain property on a fresh object cannot fail.
        for (name, value) in [
            ("eventId", &verified.event_id),
            ("replayKey", &verified.replay_key),
        ] {
            let _ = Reflect::set(&o, &JsValue::from_str(name), &JsValue::from_str(value));
        }
        Ok(o.into())
    }

    #[wasm_bindgen(getter, js_name = toleranceSeconds)]
    pub fn tolerance_seconds(&self) -> f64 {
        self.inner.tolerance_seconds() as f64
    }

    #[wasm_bindgen(getter, js_name = maxBodyBytes)]
    pub fn max_body_bytes(&self) -> f64 {
        self.inner.max_body_bytes() as f64
    }
}
