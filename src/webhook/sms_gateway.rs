//! SMS Gateway for Android webhooks: `X-Signature` is the lowercase hex HMAC-SHA256 of the raw
//! body followed by the `X-Timestamp` text (Unix seconds), keyed with the UTF-8 bytes of the
//! signing key configured in the app. The key is plain text, not base64. Several keys may be
//! configured (rotation). The replay key is the payload's top-level `id`.

use super::{check_tolerance, ct_eq, decode_hex_lower, header, hmac_sha256, parse_timestamp};
use super::{valid_event_id, Request};
use crate::error::{ErrorKind, Result};
use crate::json;

const SIGNATURE_BYTES: usize = 32;
const MAX_JSON_DEPTH: usize = 64;

#[derive(Clone, Debug)]
pub struct Keys {
    keys: Vec<Vec<u8>>,
}

impl Keys {
    pub fn new(secrets: &[String]) -> Keys {
        Keys {
            keys: secrets.iter().map(|s| s.as_bytes().to_vec()).collect(),
        }
    }

    pub(super) fn verify(&self, req: &Request<'_>, tolerance: i64) -> Result<String> {
        let sig_text = header(req.headers, "x-signature")?;
        let ts_text = header(req.headers, "x-timestamp")?;
        let signature = decode_hex_lower(&sig_text, SIGNATURE_BYTES)?;
        let timestamp = parse_timestamp(&ts_text)?;
        check_tolerance(timestamp, req.now, tolerance)?;
        let mut matched = false;
        for key in &self.keys {
            if let Some(expected) = hmac_sha256(key, &[req.body, ts_text.as_bytes()]) {
                matched |= ct_eq(&expected, &signature);
            }
        }
        if !matched {
            return Err(ErrorKind::WebhookBadSignature.into());
        }
        Ok(event_id(req.body).unwrap_or_else(|| format!("sig:{sig_text}")))
    }
}

/// The payload's top-level `id` string, once the signature has matched.
fn event_id(body: &[u8]) -> Option<String> {
    let v = json::parse(body, MAX_JSON_DEPTH).ok()?;
    let id = v.get("id")?.as_str()?;
    valid_event_id(id).then(|| id.to_string())
}

/// The `X-Signature` value for these inputs (for tests and local tooling).
pub fn sign(key: &str, body: &[u8], timestamp: &str) -> String {
    let mac = hmac_sha256(key.as_bytes(), &[body, timestamp.as_bytes()]).unwrap_or([0; 32]);
    super::hex_lower(&mac)
}

#[cfg(test)]
mod tests {
    use super::super::{WebhookConfig, WebhookVerifier};
    use super::*;

    const BODY: &[u8] = br#"{"event":"sms:received","payload":{"message":"Hello"}}"#;
    const SIG: &str = "f7b97c201986d06d2ca1994d0c9802a691aa2ce6b44e11181c54b5b2c849e0ea";

    fn verifier(keys: &[&str]) -> WebhookVerifier {
        match WebhookVerifier::new(WebhookConfig {
            scheme: "sms-gateway".into(),
            secrets: keys.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    fn run(v: &WebhookVerifier, sig: &str, ts: &str, body: &[u8], now: i64) -> Result<String> {
        let headers = vec![
            ("X-Signature".to_string(), sig.to_string()),
            ("X-Timestamp".to_string(), ts.to_string()),
        ];
        v.verify(&Request {
            headers: &headers,
            body,
            query: "",
            now,
        })
        .map(|v| v.event_id)
    }

    fn kind(r: Result<String>) -> Option<ErrorKind> {
        r.err().map(|e| e.kind)
    }

    #[test]
    fn computed_vectors() {
        assert_eq!(sign("my-secret-key", BODY, "1700000000"), SIG);
        let v = verifier(&["my-secret-key"]);
        assert!(run(&v, SIG, "1700000000", BODY, 1_700_000_000).is_ok());
        let v = verifier(&["test-key"]);
        let sig = "f0c2247493e2717cb2a382e2936b495a150812b0a74e4db22ddb43f41f83fcad";
        assert!(run(&v, sig, "1000", b"payload", 1000).is_ok());
        // The same signature under a later timestamp: the timestamp is signed.
        assert_eq!(
            kind(run(&v, sig, "2000", b"payload", 2000)),
            Some(ErrorKind::WebhookBadSignature)
        );
    }

    #[test]
    fn key_is_text_not_base64_and_rotation_works() {
        // "bXktc2VjcmV0LWtleQ==" is base64 of "my-secret-key": it must not be decoded.
        let v = verifier(&["bXktc2VjcmV0LWtleQ=="]);
        assert_eq!(
            kind(run(&v, SIG, "1700000000", BODY, 1_700_000_000)),
            Some(ErrorKind::WebhookBadSignature)
        );
        let v = verifier(&["old-key", "my-secret-key"]);
        assert!(run(&v, SIG, "1700000000", BODY, 1_700_000_000).is_ok());
    }

    #[test]
    fn rejections() {
        let v = verifier(&["my-secret-key"]);
        let now = 1_700_000_000;
        assert_eq!(
            kind(run(&v, &SIG.to_uppercase(), "1700000000", BODY, now)),
            Some(ErrorKind::WebhookBadEncoding)
        );
        assert_eq!(
            kind(run(&v, &SIG[..62], "1700000000", BODY, now)),
            Some(ErrorKind::WebhookBadEncoding)
        );
        assert_eq!(
            kind(run(&v, SIG, "1700000000.0", BODY, now)),
            Some(ErrorKind::WebhookBadEncoding)
        );
        assert_eq!(
            kind(run(&v, SIG, "1700000000", BODY, now + 301)),
            Some(ErrorKind::WebhookTimestamp)
        );
        assert_eq!(
            kind(run(&v, SIG, "1700000000", BODY, now - 301)),
            Some(ErrorKind::WebhookTimestamp)
        );
        assert_eq!(
            kind(run(&v, "", "1700000000", BODY, now)),
            Some(ErrorKind::WebhookMissingHeader)
        );
        let mut tampered = BODY.to_vec();
        tampered.push(b' ');
        assert_eq!(
            kind(run(&v, SIG, "1700000000", &tampered, now)),
            Some(ErrorKind::WebhookBadSignature)
        );
    }

    #[test]
    fn event_id_is_the_payload_id() {
        let v = verifier(&["k"]);
        let body =
            br#"{"deviceId":"d","event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C","payload":{}}"#;
        let sig = sign("k", body, "5");
        assert_eq!(
            run(&v, &sig, "5", body, 5).ok().as_deref(),
            Some("Ey6ECgOkVVFjz3CL48B8C")
        );
        let sig = sign("k", b"not json", "5");
        assert_eq!(
            run(&v, &sig, "5", b"not json", 5).ok(),
            Some(format!("sig:{sig}"))
        );
    }
}
