//! Compact JWS parsing: size cap first, exactly three segments, canonical base64url, strict JSON
//! objects, and the header rules (crit, typ, cty, JWE markers). No key or signature work here.

use crate::alg::Algorithm;
use crate::b64::{self, Alphabet};
use crate::error::{AuthError, ErrorKind, Result};
use crate::json::{self, JsonError, Value};

/// Tokens longer than this are rejected before any other work.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Arrays and objects nested deeper than this are rejected.
pub const MAX_JSON_DEPTH: usize = 64;

/// A parsed, not yet verified token. Its claims are private to the crate: only the verifier
/// hands them out, after the signature has checked out.
#[derive(Debug)]
pub struct Parsed<'t> {
    /// The header's `alg`, not yet checked against any allow-list.
    pub alg_name: String,
    pub kid: Option<String>,
    /// `header.payload` exactly as received: what the signature covers.
    pub signing_input: &'t [u8],
    pub signature: Vec<u8>,
    pub(crate) payload: Value,
    /// The decoded payload text, handed on verbatim once verified.
    pub(crate) payload_text: String,
}

impl Parsed<'_> {
    pub fn algorithm(&self) -> Option<Algorithm> {
        Algorithm::from_name(&self.alg_name)
    }
}

fn json_error(e: JsonError) -> AuthError {
    match e {
        JsonError::DuplicateMember => ErrorKind::DuplicateMember.into(),
        JsonError::Syntax | JsonError::TooDeep => ErrorKind::Malformed.into(),
    }
}

fn segment_object(segment: &[u8]) -> Result<(Value, Vec<u8>)> {
    let bytes = b64::decode(Alphabet::UrlNoPad, segment).ok_or(ErrorKind::Malformed)?;
    let value = json::parse(&bytes, MAX_JSON_DEPTH).map_err(json_error)?;
    if !value.is_object() {
        return Err(ErrorKind::Malformed.into());
    }
    Ok((value, bytes))
}

pub fn parse(token: &str) -> Result<Parsed<'_>> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(ErrorKind::TokenTooLarge.into());
    }
    let bytes = token.as_bytes();
    let mut dots = bytes
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b'.')
        .map(|(i, _)| i);
    let (Some(d1), Some(d2), None) = (dots.next(), dots.next(), dots.next()) else {
        // Two segments, four, or the five of a JWE: not a compact JWS.
        return Err(ErrorKind::Malformed.into());
    };
    let header_seg = bytes.get(..d1).ok_or(ErrorKind::Malformed)?;
    let payload_seg = bytes.get(d1 + 1..d2).ok_or(ErrorKind::Malformed)?;
    let sig_seg = bytes.get(d2 + 1..).ok_or(ErrorKind::Malformed)?;
    let signing_input = bytes.get(..d2).ok_or(ErrorKind::Malformed)?;

    let (header, _) = segment_object(header_seg)?;
    let (alg_name, kid) = check_header(&header)?;
    let (payload, payload_bytes) = segment_object(payload_seg)?;
    let signature = b64::decode(Alphabet::UrlNoPad, sig_seg).ok_or(ErrorKind::Malformed)?;
    // segment_object parsed these bytes as UTF-8 JSON already.
    let payload_text = String::from_utf8(payload_bytes).map_err(|_| ErrorKind::Malformed)?;
    Ok(Parsed {
        alg_name,
        kid,
        signing_input,
        signature,
        payload,
        payload_text,
    })
}

/// The JOSE header rules. Returns `alg` and `kid`.
fn check_header(header: &Value) -> Result<(String, Option<String>)> {
    // No extension is supported, so any `crit` (even an empty one, which RFC 7515 forbids) fails.
    if header.get("crit").is_some() {
        return Err(ErrorKind::CritUnsupported.into());
    }
    // JWE markers and RFC 7797's b64 never belong in a JWT's compact JWS.
    for jwe_or_b64 in ["enc", "zip", "b64", "epk", "p2c", "p2s"] {
        if header.get(jwe_or_b64).is_some() {
            return Err(ErrorKind::Malformed.into());
        }
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
        Some(_) => return Err(ErrorKind::TypMismatch.into()),
    }
    // A `cty` announces a nested token or another content type: neither is an access token.
    if header.get("cty").is_some() {
        return Err(ErrorKind::TypMismatch.into());
    }
    let alg = match header.get("alg") {
        Some(Value::String(a)) => a.clone(),
        _ => return Err(ErrorKind::Malformed.into()),
    };
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err(ErrorKind::Malformed.into()),
    };
    Ok((alg, kid))
}

/// The `kid` of a token's header, if the header parses; for key-set refresh decisions only.
pub fn header_kid(token: &str) -> Option<String> {
    let segment = token.get(..token.find('.')?)?;
    let (header, _) = segment_object(segment.as_bytes()).ok()?;
    header.get("kid")?.as_str().map(str::to_owned)
}
