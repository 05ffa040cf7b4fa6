//! `Auth`: the verifier object JavaScript holds. One-line delegations to the core, plus the
//! asynchronous WebCrypto step for public-key tokens.

use super::{error_to_js, seconds, webcrypto};
use crate::alg::Algorithm;
use crate::config::{Authenticator, Config};
use crate::error::{AuthError, ErrorKind};
use crate::keys::{KeySet, KeySource};
use crate::policy::{self, Match};
use crate::verify::{self, Detached, Step, Verified};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen]
pub struct Auth {
    inner: Rc<Authenticator>,
}

const DEFAULT_REALM: &str = "supabase";

fn pairs(flat: Vec<String>) -> Vec<(String, String)> {
    flat.chunks_exact(2)
        .filter_map(|c| Some((c.first()?.clone(), c.get(1)?.clone())))
        .collect()
}

/// Runs a verification to its end: the HMAC path resolves at once, the public-key path awaits
/// WebCrypto. `done` turns the verified token into the JSON text handed to JavaScript.
fn run(
    inner: Rc<Authenticator>,
    step: Result<Step, AuthError>,
    done: impl FnOnce(&Authenticator, &Verified) -> Result<String, AuthError> + 'static,
) -> Promise {
    let realm = inner.realm.clone();
    match step {
        Err(e) => Promise::reject(&error_to_js(&e, &realm)),
        Ok(Step::Done(v)) => match done(&inner, &v) {
            Ok(text) => Promise::resolve(&JsValue::from_str(&text)),
            Err(e) => Promise::reject(&error_to_js(&e, &realm)),
        },
        Ok(Step::NeedsSignature(pending)) => future_to_promise(async move {
            let valid = webcrypto::verify(
                pending.key(),
                pending.alg(),
                pending.signature(),
                pending.signing_input(),
            )
            .await
            .map_err(|e| error_to_js(&e, &realm))?;
            let v = inner
                .finish(*pending, valid)
                .map_err(|e| error_to_js(&e, &realm))?;
            done(&inner, &v)
                .map(|t| JsValue::from_str(&t))
                .map_err(|e| error_to_js(&e, &realm))
        }),
    }
}

#[wasm_bindgen]
impl Auth {
    /// Builds a verifier from a plain configuration object (see `Config`).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Auth, JsValue> {
        let cfg: Config = serde_wasm_bindgen::from_value(config).map_err(|_| {
            error_to_js(
                &AuthError::with_detail(ErrorKind::InvalidConfig, "unreadable configuration"),
                DEFAULT_REALM,
            )
        })?;
        let inner = Authenticator::new(cfg).map_err(|e| error_to_js(&e, DEFAULT_REALM))?;
        Ok(Auth {
            inner: Rc::new(inner),
        })
    }

    /// Verifies the `Authorization` header value and resolves to the context as JSON text.
    /// `headers` is a flat list of name, value pairs of the trusted client-address headers.
    pub fn authenticate(
        &self,
        authorization: Option<String>,
        headers: Vec<String>,
        now: f64,
    ) -> Promise {
        let step = match seconds(now) {
            Some(now) => self.inner.begin_header(authorization.as_deref(), now),
            None => Err(AuthError::with_detail(
                ErrorKind::InvalidConfig,
                "now must be a finite number",
            )),
        };
        let headers = pairs(headers);
        run(self.inner.clone(), step, move |a, v| {
            a.context(v, &headers).map(|c| c.to_json())
        })
    }

    /// Verifies a bare token under the generic policy (every token must satisfy iss and aud)
    /// and resolves to its verified claims as JSON text.
    #[wasm_bindgen(js_name = verifyToken)]
    pub fn verify_token(&self, token: &str, now: f64) -> Promise {
        let step = match seconds(now) {
            Some(now) => self.inner.begin_token(token, now),
            None => Err(AuthError::with_detail(
                ErrorKind::InvalidConfig,
                "now must be a finite number",
            )),
        };
        run(self.inner.clone(), step, |a, v| {
            a.check_generic(v).map(|_| v.payload_text.clone())
        })
    }

    /// How many usable keys (legacy secret included) and skipped keys the verifier holds.
    #[wasm_bindgen(js_name = keyStats)]
    pub fn key_stats(&self) -> Vec<u32> {
        let k = &self.inner.keys;
        vec![
            (k.keys.len() + usize::from(k.legacy_secret.is_some())) as u32,
            k.rejected.len() as u32,
        ]
    }

    pub fn realm(&self) -> String {
        self.inner.realm.clone()
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

/// Verifies a detached signature over `message` with one JWK (a JSON text) under the product's
/// key rules: the same key parsing, algorithm binding and length checks as tokens. Resolves to
/// a boolean; rejects with an error object when the key itself is refused.
#[wasm_bindgen(js_name = verifyDetached)]
pub fn verify_detached(jwk: &str, alg: &str, signature: Vec<u8>, message: Vec<u8>) -> Promise {
    let reject = |e: AuthError| Promise::reject(&error_to_js(&e, DEFAULT_REALM));
    let Some(alg) = Algorithm::from_name(alg) else {
        return reject(ErrorKind::AlgNotAllowed.into());
    };
    let mut keys = KeySet::default();
    if let Err(e) = keys.add_jwks(jwk.as_bytes(), KeySource::Inline) {
        return reject(e);
    }
    let key = match verify::detached(&keys, alg, &signature, &message) {
        Err(e) => return reject(e),
        Ok(Detached::Done(ok)) => return Promise::resolve(&JsValue::from_bool(ok)),
        Ok(Detached::NeedsHost(jwk)) => jwk.clone(),
    };
    future_to_promise(async move {
        webcrypto::verify(&key, alg, &signature, &message)
            .await
            .map(JsValue::from_bool)
            .map_err(|e| error_to_js(&e, DEFAULT_REALM))
    })
}

#[wasm_bindgen(js_name = clearKeyCache)]
pub fn clear_key_cache() {
    webcrypto::clear();
}
