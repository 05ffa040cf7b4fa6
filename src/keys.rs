//! Verification keys: the legacy HMAC secret and JWKs, strictly parsed, and the selection of
//! the one key a token may be verified with. The key decides the algorithm family.

use crate::alg::{Algorithm, Family};
use crate::b64::{self, Alphabet};
use crate::error::{AuthError, ErrorKind, Result};
use crate::json::{self, Value};
use sha2::{Digest, Sha256};

/// HMAC secrets shorter than this are refused (RFC 7518 §3.2 for HS256).
pub const MIN_HMAC_SECRET_BYTES: usize = 32;
/// RSA moduli below this many bits are refused.
pub const MIN_RSA_BITS: usize = 2048;
/// RSA moduli above this are refused: verification cost grows with size (a DoS lever).
pub const MAX_RSA_BITS: usize = 8192;
/// A JWK Set larger than this is not parsed.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
/// At most this many keys are kept from one set.
pub const MAX_KEYS: usize = 64;

const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// Where a key set came from: a remote set may never carry symmetric keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    Inline,
    Remote,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Material {
    Hmac(Vec<u8>),
    /// EC public point; coordinates are kept as published (base64url) for WebCrypto import.
    Ec {
        crv: &'static str,
        x: String,
        y: String,
    },
    Rsa {
        n: String,
        e: String,
        modulus_bytes: usize,
    },
    Ed25519 {
        x: String,
    },
}

impl Material {
    fn family(&self) -> Family {
        match self {
            Material::Hmac(_) => Family::Hmac,
            Material::Ec { .. } => Family::Ec,
            Material::Rsa { .. } => Family::Rsa,
            Material::Ed25519 { .. } => Family::Okp,
        }
    }

    /// Does this key's type (and curve) fit the algorithm at all?
    fn fits(&self, alg: Algorithm) -> bool {
        match self {
            Material::Ec { crv, .. } => alg.family() == Family::Ec && alg.curve() == Some(*crv),
            m => m.family() == alg.family(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jwk {
    pub kid: Option<String>,
    /// The JWK's `alg`, when it declares one: the key then verifies that algorithm only.
    pub alg: Option<String>,
    /// False when `use` or `key_ops` say this key is not for verifying signatures.
    pub for_verify: bool,
    pub material: Material,
    /// A digest of the public material: a stable cache id that changes when the key does.
    pub fingerprint: String,
}

impl Jwk {
    fn alg_allows(&self, alg: Algorithm) -> bool {
        match &self.alg {
            None => true,
            // RFC 9864 names Ed25519 explicitly; it is the same verification as EdDSA here.
            Some(a) => a == alg.name() || (alg == Algorithm::EdDSA && a == "Ed25519"),
        }
    }
}

/// A key that was in the configuration but is not usable, remembered so that a token naming it
/// gets the precise reason rather than "no matching key".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub kid: Option<String>,
    pub reason: ErrorKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySet {
    pub legacy_secret: Option<Vec<u8>>,
    pub keys: Vec<Jwk>,
    pub rejected: Vec<Rejected>,
    /// Configured as one bare JWK rather than a set: a token without `kid` may use it.
    pub single: bool,
}

/// The key a token is to be verified with.
#[derive(Debug)]
pub enum Selected<'a> {
    Hmac(&'a [u8]),
    Public(&'a Jwk),
}

impl KeySet {
    pub fn is_empty(&self) -> bool {
        self.legacy_secret.is_none() && self.keys.is_empty()
    }

    pub fn set_legacy_secret(&mut self, secret: &str) -> Result<()> {
        if secret.len() < MIN_HMAC_SECRET_BYTES {
            return Err(AuthError::with_detail(
                ErrorKind::InvalidKey,
                "jwtSecret must be at least 32 bytes",
            ));
        }
        self.legacy_secret = Some(secret.as_bytes().to_vec());
        Ok(())
    }

    /// Parses a JWK Set (`{"keys": [...]}`) or a single JWK. Keys that cannot be used are
    /// skipped and remembered in `rejected`; a document that is not a key set at all is an error.
    pub fn add_jwks(&mut self, text: &[u8], source: KeySource) -> Result<()> {
        if text.len() > MAX_JWKS_BYTES {
            return Err(AuthError::with_detail(
                ErrorKind::InvalidKey,
                "key set too large",
            ));
        }
        let doc = json::parse(text, 16).map_err(|_| {
            AuthError::with_detail(ErrorKind::InvalidKey, "key set is not strict JSON")
        })?;
        let entries: Vec<&Value> = match doc.get("keys") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(_) => {
                return Err(AuthError::with_detail(
                    ErrorKind::InvalidKey,
                    "keys must be an array",
                ))
            }
            None if doc.get("kty").is_some() => vec![&doc],
            None => {
                return Err(AuthError::with_detail(
                    ErrorKind::InvalidKey,
                    "not a JWK or JWK Set",
                ))
            }
        };
        // A lone inline JWK may verify tokens without a kid, but only once it is accepted: a
        // refused one must not hand that privilege to whatever key comes next.
        let lone = source == KeySource::Inline && doc.get("keys").is_none();
        for entry in entries {
            if self.keys.len() >= MAX_KEYS {
                break;
            }
            match parse_jwk(entry, source) {
                Ok(k) => {
                    self.single = lone;
                    self.keys.push(k);
                }
                Err(reason) => self.rejected.push(Rejected {
                    kid: entry.get("kid").and_then(Value::as_str).map(str::to_owned),
                    reason,
                }),
            }
        }
        Ok(())
    }

    /// Picks the key for a token with this (already allow-listed) algorithm and `kid`.
    pub fn select(&self, alg: Algorithm, kid: Option<&str>) -> Result<Selected<'_>> {
        if alg.family() == Family::Hmac {
            return self.select_hmac(alg, kid);
        }
        let kid = match kid {
            Some(k) => k,
            // Only a lone configured JWK may be used without naming it.
            None if self.single && self.keys.len() == 1 => {
                return self
                    .keys
                    .first()
                    .map(|k| check_binding(k, alg))
                    .unwrap_or(Err(ErrorKind::NoMatchingKey.into()))
            }
            None => return Err(ErrorKind::KidRequired.into()),
        };
        let named: Vec<&Jwk> = self
            .keys
            .iter()
            .filter(|k| k.kid.as_deref() == Some(kid))
            .collect();
        let fitting: Vec<&Jwk> = named
            .iter()
            .copied()
            .filter(|k| k.material.fits(alg))
            .collect();
        if fitting.is_empty() {
            if let Some(r) = self.rejected.iter().find(|r| r.kid.as_deref() == Some(kid)) {
                return Err(r.reason.into());
            }
            return Err(if named.is_empty() {
                ErrorKind::NoMatchingKey
            } else {
                ErrorKind::KeyTypeMismatch
            }
            .into());
        }
        let mut first_err = None;
        for k in fitting {
            match check_binding(k, alg) {
                Ok(sel) => return Ok(sel),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| ErrorKind::NoMatchingKey.into()))
    }

    fn select_hmac(&self, alg: Algorithm, kid: Option<&str>) -> Result<Selected<'_>> {
        // A `kid` naming an `oct` key of the set binds the token to that key.
        if let Some(kid) = kid {
            let named: Vec<&Jwk> = self
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid))
                .collect();
            if let Some(k) = named.iter().find(|k| k.material.fits(alg)) {
                return check_binding(k, alg);
            }
            if !named.is_empty() && self.legacy_secret.is_none() {
                // An asymmetric key's kid on an HMAC token: the classic key-confusion forgery.
                return Err(ErrorKind::KeyTypeMismatch.into());
            }
            if let (true, None) = (named.is_empty(), &self.legacy_secret) {
                // It names a key we refused (e.g. a short `oct` secret): say why.
                if let Some(r) = self.rejected.iter().find(|r| r.kid.as_deref() == Some(kid)) {
                    return Err(r.reason.into());
                }
            }
        }
        if let (None, true, [only]) = (&self.legacy_secret, self.single, self.keys.as_slice()) {
            if only.material.fits(alg) {
                return check_binding(only, alg);
            }
        }
        match &self.legacy_secret {
            Some(secret) => Ok(Selected::Hmac(secret)),
            None if self
                .keys
                .iter()
                .any(|k| k.material.family() != Family::Hmac) =>
            {
                Err(ErrorKind::KeyTypeMismatch.into())
            }
            None => Err(ErrorKind::NoMatchingKey.into()),
        }
    }
}

fn check_binding(k: &Jwk, alg: Algorithm) -> Result<Selected<'_>> {
    if !k.for_verify {
        return Err(ErrorKind::KeyUseMismatch.into());
    }
    if !k.alg_allows(alg) {
        return Err(ErrorKind::KeyAlgMismatch.into());
    }
    Ok(match &k.material {
        Material::Hmac(secret) => Selected::Hmac(secret),
        _ => Selected::Public(k),
    })
}

fn b64_member(jwk: &Value, name: &str) -> std::result::Result<(String, Vec<u8>), ErrorKind> {
    let text = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or(ErrorKind::InvalidKey)?;
    let bytes = b64::decode(Alphabet::UrlNoPad, text.as_bytes()).ok_or(ErrorKind::InvalidKey)?;
    Ok((text.to_owned(), bytes))
}

fn opt_str<'a>(jwk: &'a Value, name: &str) -> std::result::Result<Option<&'a str>, ErrorKind> {
    match jwk.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ErrorKind::InvalidKey),
    }
}

/// Parses one JWK, refusing private keys, malformed members and weak or unsupported keys.
pub fn parse_jwk(jwk: &Value, source: KeySource) -> std::result::Result<Jwk, ErrorKind> {
    if !jwk.is_object() {
        return Err(ErrorKind::InvalidKey);
    }
    if PRIVATE_MEMBERS.iter().any(|m| jwk.get(m).is_some()) {
        return Err(ErrorKind::InvalidKey);
    }
    let kty = opt_str(jwk, "kty")?.ok_or(ErrorKind::InvalidKey)?;
    let kid = opt_str(jwk, "kid")?.map(str::to_owned);
    let alg = opt_str(jwk, "alg")?.map(str::to_owned);
    let use_ok = match opt_str(jwk, "use")? {
        None => true,
        Some(u) => u == "sig",
    };
    let ops_ok = match jwk.get("key_ops") {
        None => true,
        Some(Value::Array(ops)) => {
            let names: Option<Vec<&str>> = ops.iter().map(Value::as_str).collect();
            names.ok_or(ErrorKind::InvalidKey)?.contains(&"verify")
        }
        Some(_) => return Err(ErrorKind::InvalidKey),
    };
    let material = match kty {
        "EC" => {
            let (crv, len) = match opt_str(jwk, "crv")? {
                Some("P-256") => ("P-256", 32),
                Some("P-384") => ("P-384", 48),
                _ => return Err(ErrorKind::InvalidKey),
            };
            let (x, xb) = b64_member(jwk, "x")?;
            let (y, yb) = b64_member(jwk, "y")?;
            // RFC 7518 §6.2.1.2: coordinates are full length, leading zeros kept.
            if xb.len() != len || yb.len() != len || !crate::ec_point::on_curve(crv, &xb, &yb) {
                return Err(ErrorKind::InvalidKey);
            }
            Material::Ec { crv, x, y }
        }
        "RSA" => {
            let (n, nb) = b64_member(jwk, "n")?;
            let (e, eb) = b64_member(jwk, "e")?;
            let first = nb
                .iter()
                .position(|&b| b != 0)
                .ok_or(ErrorKind::InvalidKey)?;
            let significant = nb.get(first..).ok_or(ErrorKind::InvalidKey)?;
            let lead = significant.first().copied().unwrap_or(0);
            let bits = significant.len() * 8 - lead.leading_zeros() as usize;
            if bits > MAX_RSA_BITS {
                return Err(ErrorKind::InvalidKey);
            }
            if bits < MIN_RSA_BITS {
                return Err(ErrorKind::WeakKey);
            }
            // A public exponent: odd, at least 3, at most 64 bits.
            let e_first = eb
                .iter()
                .position(|&b| b != 0)
                .ok_or(ErrorKind::InvalidKey)?;
            let e_sig = eb.get(e_first..).unwrap_or(&[]);
            let e_last = e_sig.last().copied().unwrap_or(0);
            if e_sig.len() > 8 || e_last & 1 == 0 || (e_sig.len() == 1 && e_last < 3) {
                return Err(ErrorKind::InvalidKey);
            }
            Material::Rsa {
                n,
                e,
                modulus_bytes: significant.len(),
            }
        }
        "OKP" => {
            if opt_str(jwk, "crv")? != Some("Ed25519") {
                return Err(ErrorKind::InvalidKey);
            }
            let (x, xb) = b64_member(jwk, "x")?;
            if xb.len() != 32 {
                return Err(ErrorKind::InvalidKey);
            }
            Material::Ed25519 { x }
        }
        "oct" => {
            // Symmetric keys are secrets: only from the function's own configuration.
            if source != KeySource::Inline {
                return Err(ErrorKind::InvalidKey);
            }
            let (_, k) = b64_member(jwk, "k")?;
            if k.len() < MIN_HMAC_SECRET_BYTES {
                return Err(ErrorKind::WeakKey);
            }
            Material::Hmac(k)
        }
        _ => return Err(ErrorKind::InvalidKey),
    };
    let fingerprint = fingerprint(&material);
    Ok(Jwk {
        kid,
        alg,
        for_verify: use_ok && ops_ok,
        material,
        fingerprint,
    })
}

fn fingerprint(m: &Material) -> String {
    let mut h = Sha256::new();
    match m {
        Material::Hmac(k) => {
            h.update(b"oct\0");
            h.update(k);
        }
        Material::Ec { crv, x, y } => h.update(format!("EC\0{crv}\0{x}\0{y}").as_bytes()),
        Material::Rsa { n, e, .. } => h.update(format!("RSA\0{n}\0{e}").as_bytes()),
        Material::Ed25519 { x } => h.update(format!("OKP\0{x}").as_bytes()),
    }
    b64::encode(Alphabet::UrlNoPad, &h.finalize()[..16])
}
