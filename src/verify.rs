//! From a token string to verified claims: parse, allow-list the algorithm, select the key,
//! check the signature (HMAC here; public-key signatures by the host), then the claims.

use crate::alg::{Algorithm, Family};
use crate::claims::{self, Instant, Lifetime};
use crate::error::{ErrorKind, Result};
use crate::json::Value;
use crate::keys::{Jwk, KeySet, Material, Selected};
use crate::token::{self, Parsed};
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;

/// The token policy: which algorithms, issuers and audiences are accepted, and the clock skew.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub algorithms: Vec<Algorithm>,
    /// Accepted `iss` values; empty accepts any issuer.
    pub issuers: Vec<String>,
    /// Accepted `aud` values; `None` means tokens must not carry `aud`.
    pub audience: Option<Vec<String>>,
    pub leeway_seconds: i64,
}

/// Claims whose signature and registered claims have been verified.
#[derive(Debug)]
pub struct Verified {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub payload: Value,
    /// The payload JSON text as signed.
    pub payload_text: String,
    pub lifetime: Lifetime,
    /// The fingerprint of the key that verified the token.
    pub key_fingerprint: String,
}

/// A token that needs a public-key signature check by the host before it can be finished.
/// Nothing in it exposes the claims.
#[derive(Debug)]
pub struct Pending {
    alg: Algorithm,
    kid: Option<String>,
    key: Jwk,
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    payload: Value,
    payload_text: String,
    now: Instant,
}

impl Pending {
    pub fn alg(&self) -> Algorithm {
        self.alg
    }
    pub fn key(&self) -> &Jwk {
        &self.key
    }
    pub fn signing_input(&self) -> &[u8] {
        &self.signing_input
    }
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

pub enum Step {
    Done(Verified),
    NeedsSignature(Box<Pending>),
}

/// Signature checks and the claim rules that do not depend on who the caller is.
pub fn begin(token: &str, keys: &KeySet, policy: &Policy, now: Instant) -> Result<Step> {
    let parsed = token::parse(token)?;
    let alg = parsed.algorithm().ok_or(ErrorKind::AlgNotAllowed)?;
    if !policy.algorithms.contains(&alg) {
        return Err(ErrorKind::AlgNotAllowed.into());
    }
    match keys.select(alg, parsed.kid.as_deref())? {
        Selected::Hmac(secret) => {
            if !hmac_matches(alg, secret, parsed.signing_input, &parsed.signature) {
                return Err(ErrorKind::BadSignature.into());
            }
            let fp = hmac_fingerprint(keys, secret);
            finish_claims(
                alg,
                parsed.kid,
                parsed.payload,
                parsed.payload_text,
                fp,
                now,
                policy.leeway_seconds,
            )
            .map(Step::Done)
        }
        Selected::Public(jwk) => {
            check_signature_length(alg, jwk, &parsed.signature)?;
            let Parsed {
                kid,
                signing_input,
                signature,
                payload,
                payload_text,
                ..
            } = parsed;
            Ok(Step::NeedsSignature(Box::new(Pending {
                alg,
                kid,
                key: jwk.clone(),
                signing_input: signing_input.to_vec(),
                signature,
                payload,
                payload_text,
                now,
            })))
        }
    }
}

/// Completes a pending token once the host has checked its signature.
pub fn finish(pending: Pending, signature_valid: bool, policy: &Policy) -> Result<Verified> {
    if !signature_valid {
        return Err(ErrorKind::BadSignature.into());
    }
    let Pending {
        alg,
        kid,
        key,
        payload,
        payload_text,
        now,
        ..
    } = pending;
    finish_claims(
        alg,
        kid,
        payload,
        payload_text,
        key.fingerprint,
        now,
        policy.leeway_seconds,
    )
}

fn finish_claims(
    alg: Algorithm,
    kid: Option<String>,
    payload: Value,
    payload_text: String,
    key_fingerprint: String,
    now: Instant,
    leeway: i64,
) -> Result<Verified> {
    let lifetime = claims::check_time(&payload, now, leeway)?;
    Ok(Verified {
        alg,
        kid,
        payload,
        payload_text,
        lifetime,
        key_fingerprint,
    })
}

/// Issuer and audience, for callers that treat every token alike (see `context` for Supabase).
pub fn check_iss_aud(v: &Verified, policy: &Policy) -> Result<()> {
    claims::check_issuer(&v.payload, &policy.issuers)?;
    claims::check_audience(&v.payload, policy.audience.as_deref())
}

/// A detached signature check under the same key rules as tokens (used for published test
/// vectors): `Ok(Step)`-like result where the public-key case is left to the host.
pub enum Detached<'k> {
    Done(bool),
    NeedsHost(&'k Jwk),
}

pub fn detached<'k>(
    keys: &'k KeySet,
    alg: Algorithm,
    signature: &[u8],
    message: &[u8],
) -> Result<Detached<'k>> {
    if keys.keys.is_empty() {
        // The one key given was refused: report why.
        let reason = keys
            .rejected
            .first()
            .map_or(ErrorKind::NoMatchingKey, |r| r.reason);
        return Err(reason.into());
    }
    let kid = keys.keys.first().and_then(|k| k.kid.as_deref());
    match keys.select(alg, kid)? {
        Selected::Hmac(secret) => Ok(Detached::Done(hmac_matches(
            alg, secret, message, signature,
        ))),
        Selected::Public(jwk) => match check_signature_length(alg, jwk, signature) {
            Ok(()) => Ok(Detached::NeedsHost(jwk)),
            Err(_) => Ok(Detached::Done(false)),
        },
    }
}

/// RFC 7518: ECDSA signatures are exactly R||S; RSA signatures are as long as the modulus;
/// Ed25519 signatures are 64 bytes. Anything else is refused before the host sees it.
fn check_signature_length(alg: Algorithm, key: &Jwk, sig: &[u8]) -> Result<()> {
    let expected = match (&key.material, alg) {
        (Material::Ec { .. }, Algorithm::ES256) => 64,
        (Material::Ec { .. }, Algorithm::ES384) => 96,
        (Material::Rsa { modulus_bytes, .. }, _) => *modulus_bytes,
        (Material::Ed25519 { .. }, _) => 64,
        _ => return Err(ErrorKind::KeyTypeMismatch.into()),
    };
    if sig.len() != expected {
        return Err(ErrorKind::BadSignature.into());
    }
    Ok(())
}

/// Computes the MAC and compares it in constant time; a tag of any other length fails.
pub fn hmac_matches(alg: Algorithm, secret: &[u8], input: &[u8], tag: &[u8]) -> bool {
    macro_rules! mac {
        ($digest:ty) => {{
            match <hmac::Hmac<$digest> as KeyInit>::new_from_slice(secret) {
                Ok(mut m) => {
                    m.update(input);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => return false,
            }
        }};
    }
    let expected = match alg {
        Algorithm::HS256 => mac!(sha2::Sha256),
        Algorithm::HS384 => mac!(sha2::Sha384),
        Algorithm::HS512 => mac!(sha2::Sha512),
        _ => return false,
    };
    expected.len() == tag.len() && bool::from(expected.ct_eq(tag))
}

/// The cache id of the legacy HMAC secret (there is only ever one).
pub const LEGACY_SECRET_FINGERPRINT: &str = "legacy-secret";

fn hmac_fingerprint(keys: &KeySet, secret: &[u8]) -> String {
    keys.keys
        .iter()
        .find(|k| matches!(&k.material, Material::Hmac(s) if s == secret))
        .map(|k| k.fingerprint.clone())
        .unwrap_or_else(|| LEGACY_SECRET_FINGERPRINT.to_owned())
}

impl Algorithm {
    pub fn needs_host(self) -> bool {
        self.family() != Family::Hmac
    }
}
