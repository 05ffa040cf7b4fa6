//! Inbound webhooks: machine callers with no user JWT, authenticated by a signature only.
//! One file per scheme (`standard`, `sms_gateway`, `twilio`); this file holds the rules they
//! share: the configuration as data, the body cap, strict timestamps with a tolerance in both
//! directions against an injected clock, header lookup, and the MAC helpers. Every signature
//! is checked over the raw body bytes, before anything parses them, with constant-time compares.

pub mod sms_gateway;
pub mod standard;
pub mod twilio;

use crate::error::{AuthError, ErrorKind, Result};
use hmac::{KeyInit, Mac};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Bodies larger than this are refused before any MAC work (64 KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest body cap a configuration may ask for (1 MiB): the body is held in memory.
pub const MAX_MAX_BODY_BYTES: usize = 1024 * 1024;
/// A signed timestamp may be this far in the past or in the future (5 minutes).
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;
/// Larger tolerances widen the replay window beyond what a de-dup store should have to hold.
pub const MAX_TOLERANCE_SECONDS: i64 = 3600;
/// More signature entries than this in one header is an attack on the verifier's time.
pub(crate) const MAX_SIGNATURE_ENTRIES: usize = 16;
/// Event ids are replay-store keys: short, visible ASCII.
pub(crate) const MAX_EVENT_ID_BYTES: usize = 256;

/// The verifier's configuration, as the facade passes it (camelCase in JavaScript).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookConfig {
    /// `"standard"` (Standard Webhooks, Supabase Auth hooks), `"sms-gateway"` (SMS Gateway for
    /// Android) or `"twilio"`.
    pub scheme: String,
    /// Every accepted secret (rotation): `v1,whsec_<base64>` / `whsec_<base64>` for `standard`,
    /// the signing key text for `sms-gateway`, the auth token for `twilio`.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Default `DEFAULT_TOLERANCE_SECONDS`; 1 to `MAX_TOLERANCE_SECONDS`.
    #[serde(default)]
    pub tolerance_seconds: Option<i64>,
    /// Default `DEFAULT_MAX_BODY_BYTES`; 1 to `MAX_MAX_BODY_BYTES`.
    #[serde(default)]
    pub max_body_bytes: Option<usize>,
    /// Twilio only: the public URL configured in Twilio for this function, without query.
    #[serde(default)]
    pub public_url: Option<String>,
}

/// One inbound request, as the verifier sees it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// Header name/value pairs; names compare case-insensitively.
    pub headers: &'a [(String, String)],
    /// The raw body bytes exactly as received.
    pub body: &'a [u8],
    /// The raw query string of the request URL without `?` (Twilio signs it); may be empty.
    pub query: &'a str,
    /// The verifier's clock, seconds since the epoch.
    pub now: i64,
}

/// A request whose signature, timestamp and size passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<'a> {
    pub body: &'a [u8],
    /// The event's id for the handler: `webhook-id`, the SMS Gateway payload `id`, or Twilio's
    /// `MessageSid` (with `:MessageStatus` for status callbacks). A request that carries none
    /// gets `sig:` and its signature header, which is unique per signed content.
    pub event_id: String,
    /// What replays are recognised by: an id the signature covers as a unit, so no replay can
    /// change it. The event id for Standard Webhooks and SMS Gateway; for Twilio the signature
    /// header, because Twilio signs names and values glued together with no separator, so a
    /// captured request's parameters (its MessageSid among them) can be re-split at will.
    pub replay_key: String,
}

#[derive(Clone, Debug)]
enum Scheme {
    Standard(standard::Keys),
    SmsGateway(sms_gateway::Keys),
    Twilio(twilio::Keys),
}

/// A configured verifier for one scheme.
#[derive(Clone, Debug)]
pub struct WebhookVerifier {
    scheme: Scheme,
    tolerance_seconds: i64,
    max_body_bytes: usize,
}

impl WebhookVerifier {
    pub fn new(cfg: WebhookConfig) -> Result<WebhookVerifier> {
        let tolerance_seconds = cfg.tolerance_seconds.unwrap_or(DEFAULT_TOLERANCE_SECONDS);
        if !(1..=MAX_TOLERANCE_SECONDS).contains(&tolerance_seconds) {
            return Err(config_error("toleranceSeconds must be 1 to 3600"));
        }
        let max_body_bytes = cfg.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if !(1..=MAX_MAX_BODY_BYTES).contains(&max_body_bytes) {
            return Err(config_error("maxBodyBytes must be 1 to 1048576"));
        }
        if !matches!(cfg.scheme.as_str(), "standard" | "sms-gateway" | "twilio") {
            return Err(config_error(
                "scheme must be standard, sms-gateway or twilio",
            ));
        }
        // No secret at all, or an empty one, can never authenticate anything: fail closed.
        if cfg.secrets.is_empty() || cfg.secrets.iter().any(|s| s.is_empty()) {
            return Err(AuthError::new(ErrorKind::WebhookNoSecret));
        }
        if cfg.public_url.is_some() && cfg.scheme != "twilio" {
            return Err(config_error("publicUrl is only used by the twilio scheme"));
        }
        let scheme = match cfg.scheme.as_str() {
            "standard" => Scheme::Standard(standard::Keys::new(&cfg.secrets)?),
            "sms-gateway" => Scheme::SmsGateway(sms_gateway::Keys::new(&cfg.secrets)),
            "twilio" => Scheme::Twilio(twilio::Keys::new(
                &cfg.secrets,
                cfg.public_url.as_deref().unwrap_or(""),
            )?),
            _ => {
                return Err(config_error(
                    "scheme must be standard, sms-gateway or twilio",
                ))
            }
        };
        Ok(WebhookVerifier {
            scheme,
            tolerance_seconds,
            max_body_bytes,
        })
    }

    pub fn tolerance_seconds(&self) -> i64 {
        self.tolerance_seconds
    }

    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// Checks size, headers, timestamp and signature; never looks at the body before the MAC
    /// has matched (except Twilio's form parameters, which are part of what is signed).
    pub fn verify<'a>(&self, req: &Request<'a>) -> Result<Verified<'a>> {
        if req.body.len() > self.max_body_bytes {
            return Err(ErrorKind::WebhookTooLarge.into());
        }
        let (event_id, replay_key) = match &self.scheme {
            Scheme::Standard(k) => {
                let id = k.verify(req, self.tolerance_seconds)?;
                (id.clone(), id)
            }
            Scheme::SmsGateway(k) => {
                let id = k.verify(req, self.tolerance_seconds)?;
                (id.clone(), id)
            }
            Scheme::Twilio(k) => k.verify(req)?,
        };
        Ok(Verified {
            body: req.body,
            event_id,
            replay_key,
        })
    }
}

pub(crate) fn config_error(detail: &'static str) -> AuthError {
    AuthError::with_detail(ErrorKind::WebhookConfig, detail)
}

/// The value of a header, case-insensitively; repeated headers are joined with `, ` as the
/// Fetch `Headers` object does. An empty (or all-whitespace) value counts as missing.
pub(crate) fn header(headers: &[(String, String)], name: &str) -> Result<String> {
    let mut values = headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim_matches(|c| c == ' ' || c == '\t'));
    let mut out = String::new();
    if let Some(first) = values.next() {
        out.push_str(first);
    }
    for v in values {
        out.push_str(", ");
        out.push_str(v);
    }
    if out.trim().is_empty() {
        return Err(ErrorKind::WebhookMissingHeader.into());
    }
    Ok(out)
}

/// Unix seconds as sent: ASCII digits only, no sign, no leading zero, at most 18 digits.
/// Anything else (`+1`, ` 1`, `1.0`, `1e9`, `0x10`, `01`) is a malformed header.
pub(crate) fn parse_timestamp(text: &str) -> Result<i64> {
    let b = text.as_bytes();
    let canonical = !b.is_empty()
        && b.len() <= 18
        && b.iter().all(u8::is_ascii_digit)
        && (b.len() == 1 || b.first() != Some(&b'0'));
    if !canonical {
        return Err(ErrorKind::WebhookBadEncoding.into());
    }
    text.parse::<i64>()
        .map_err(|_| ErrorKind::WebhookBadEncoding.into())
}

/// Accepts `timestamp` when it is at most `tolerance` seconds before or after `now`.
pub(crate) fn check_tolerance(timestamp: i64, now: i64, tolerance: i64) -> Result<()> {
    match now.checked_sub(timestamp) {
        Some(age) if age.checked_abs().is_some_and(|a| a <= tolerance) => Ok(()),
        _ => Err(ErrorKind::WebhookTimestamp.into()),
    }
}

/// HMAC-SHA256 over the concatenation of `parts`; `None` only if the key is refused (never
/// for HMAC, which takes keys of any length).
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).ok()?;
    for p in parts {
        m.update(p);
    }
    Some(m.finalize().into_bytes().into())
}

/// Constant-time equality of two MACs (lengths are public).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Lowercase hex, as SMS Gateway and Twilio's `bodySHA256` send it.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Decodes lowercase hex of exactly `len` bytes; uppercase or any other character is refused.
pub(crate) fn decode_hex_lower(text: &str, len: usize) -> Result<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let b = text.as_bytes();
    if b.len() != len * 2 {
        return Err(ErrorKind::WebhookBadEncoding.into());
    }
    b.chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((nibble(*hi)? << 4) | nibble(*lo)?),
            _ => None,
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| ErrorKind::WebhookBadEncoding.into())
}

/// An event id usable as a replay key: 1 to 256 bytes of visible ASCII.
pub(crate) fn valid_event_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_EVENT_ID_BYTES && id.bytes().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_strict() {
        assert_eq!(parse_timestamp("0").ok(), Some(0));
        assert_eq!(parse_timestamp("1614265330").ok(), Some(1_614_265_330));
        for bad in [
            "",
            " 1",
            "1 ",
            "+1",
            "-1",
            "01",
            "1.0",
            "1e9",
            "0x10",
            "１",
            "1234567890123456789",
        ] {
            assert_eq!(
                parse_timestamp(bad).map_err(|e| e.kind),
                Err(ErrorKind::WebhookBadEncoding),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tolerance_is_both_directions_and_inclusive() {
        assert!(check_tolerance(1000, 1300, 300).is_ok());
        assert!(check_tolerance(1300, 1000, 300).is_ok());
        assert!(check_tolerance(1000, 1301, 300).is_err());
        assert!(check_tolerance(1301, 1000, 300).is_err());
        assert!(check_tolerance(i64::MAX, i64::MIN, 300).is_err());
        assert!(check_tolerance(i64::MIN, i64::MAX, 300).is_err());
    }

    #[test]
    fn headers_are_case_insensitive_joined_and_never_empty() {
        let h = vec![
            ("Webhook-Signature".to_string(), "v1,a".to_string()),
            ("webhook-signature".to_string(), "v1,b".to_string()),
            ("x-empty".to_string(), "  ".to_string()),
        ];
        assert_eq!(
            header(&h, "WEBHOOK-SIGNATURE").ok().as_deref(),
            Some("v1,a, v1,b")
        );
        assert_eq!(
            header(&h, "x-empty").map_err(|e| e.kind),
            Err(ErrorKind::WebhookMissingHeader)
        );
        assert_eq!(
            header(&h, "x-absent").map_err(|e| e.kind),
            Err(ErrorKind::WebhookMissingHeader)
        );
    }

    #[test]
    fn hex_is_lowercase_and_exact_length() {
        assert_eq!(hex_lower(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(
            decode_hex_lower("00abff", 3).ok(),
            Some(vec![0, 0xab, 0xff])
        );
        for bad in ["00ABFF", "00abf", "00abfff", "00abfg", "00 bff"] {
            assert!(decode_hex_lower(bad, 3).is_err(), "{bad}");
        }
    }

    #[test]
    fn config_limits_and_secrets() {
        let base = WebhookConfig {
            scheme: "sms-gateway".into(),
            secrets: vec!["k".into()],
            ..Default::default()
        };
        let v = WebhookVerifier::new(base.clone()).ok();
        assert_eq!(v.as_ref().map(|v| v.tolerance_seconds()), Some(300));
        assert_eq!(v.as_ref().map(|v| v.max_body_bytes()), Some(65536));
        let kind = |c: WebhookConfig| WebhookVerifier::new(c).err().map(|e| e.kind);
        for secrets in [vec![], vec![String::new()], vec!["k".into(), String::new()]] {
            let c = WebhookConfig {
                secrets,
                ..base.clone()
            };
            assert_eq!(kind(c), Some(ErrorKind::WebhookNoSecret));
        }
        for c in [
            WebhookConfig {
                scheme: "svix".into(),
                ..base.clone()
            },
            WebhookConfig {
                tolerance_seconds: Some(0),
                ..base.clone()
            },
            WebhookConfig {
                tolerance_seconds: Some(3601),
                ..base.clone()
            },
            WebhookConfig {
                max_body_bytes: Some(0),
                ..base.clone()
            },
            WebhookConfig {
                public_url: Some("https://a.example/x".into()),
                ..base.clone()
            },
        ] {
            assert_eq!(kind(c), Some(ErrorKind::WebhookConfig));
        }
    }

    #[test]
    fn body_cap_comes_first() {
        let v = WebhookVerifier::new(WebhookConfig {
            scheme: "sms-gateway".into(),
            secrets: vec!["k".into()],
            max_body_bytes: Some(4),
            ..Default::default()
        });
        let v = match v {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        let req = Request {
            headers: &[],
            body: b"12345",
            query: "",
            now: 0,
        };
        assert_eq!(
            v.verify(&req).map_err(|e| e.kind),
            Err(ErrorKind::WebhookTooLarge)
        );
    }
}
