//! Standard Webhooks (standardwebhooks.com), as Supabase Auth hooks such as the Send SMS hook
//! use it: headers `webhook-id`, `webhook-timestamp`, `webhook-signature`; HMAC-SHA256 keyed
//! with the base64-decoded secret over `id.timestamp.body`; the signature header is a list of
//! `v1,<base64>` entries separated by spaces, and Supabase may join them with `, ` instead.
//! Entries of other versions (`v1a`, `v2`, ...) are skipped; several secrets may be configured.

use super::{check_tolerance, config_error, ct_eq, header, hmac_sha256, parse_timestamp};
use super::{valid_event_id, Request, MAX_SIGNATURE_ENTRIES};
use crate::b64::{self, Alphabet};
use crate::error::{ErrorKind, Result};

/// Decoded secrets shorter than this are refused (Standard Webhooks issues 24 to 64 bytes).
const MIN_SECRET_BYTES: usize = 16;
const SIGNATURE_BYTES: usize = 32;

#[derive(Clone, Debug)]
pub struct Keys {
    keys: Vec<Vec<u8>>,
}

/// `v1,whsec_<base64>` (Supabase's form) or `whsec_<base64>`, strict padded base64.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>> {
    let s = secret.trim();
    let s = s.strip_prefix("v1,").unwrap_or(s);
    let Some(b64) = s.strip_prefix("whsec_") else {
        return Err(config_error(
            "a standard secret must start with whsec_ or v1,whsec_",
        ));
    };
    let key = b64::decode(Alphabet::StandardPadded, b64.as_bytes())
        .ok_or_else(|| config_error("a standard secret is not valid base64"))?;
    if key.len() < MIN_SECRET_BYTES {
        return Err(config_error("a standard secret is shorter than 16 bytes"));
    }
    Ok(key)
}

impl Keys {
    pub fn new(secrets: &[String]) -> Result<Keys> {
        let keys = secrets
            .iter()
            .map(|s| decode_secret(s))
            .collect::<Result<Vec<_>>>()?;
        Ok(Keys { keys })
    }

    pub(super) fn verify(&self, req: &Request<'_>, tolerance: i64) -> Result<String> {
        let id = header(req.headers, "webhook-id")?;
        let ts_text = header(req.headers, "webhook-timestamp")?;
        let sig_header = header(req.headers, "webhook-signature")?;
        if !valid_event_id(&id) {
            return Err(ErrorKind::WebhookBadEncoding.into());
        }
        let timestamp = parse_timestamp(&ts_text)?;
        let signatures = parse_signatures(&sig_header)?;
        check_tolerance(timestamp, req.now, tolerance)?;
        if signatures.is_empty() {
            // Only entries of versions this verifier does not implement.
            return Err(ErrorKind::WebhookBadSignature.into());
        }
        let mut matched = false;
        for key in &self.keys {
            let Some(expected) = hmac_sha256(
                key,
                &[id.as_bytes(), b".", ts_text.as_bytes(), b".", req.body],
            ) else {
                continue;
            };
            for sig in &signatures {
                // No early exit: every entry against every key, so timing reveals nothing.
                matched |= ct_eq(&expected, sig);
            }
        }
        if matched {
            Ok(id)
        } else {
            Err(ErrorKind::WebhookBadSignature.into())
        }
    }
}

/// The decoded `v1` signatures of a `webhook-signature` header. Entries are separated by
/// whitespace, each optionally followed by a comma (`v1,a, v1,b`); an entry is `version,sig`.
/// A `v1` entry whose signature is not 32 bytes of strict base64 makes the header malformed.
pub fn parse_signatures(value: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut entries = 0usize;
    for token in value.split_ascii_whitespace() {
        let entry = token.strip_suffix(',').unwrap_or(token);
        if entry.is_empty() {
            continue;
        }
        entries += 1;
        if entries > MAX_SIGNATURE_ENTRIES {
            return Err(ErrorKind::WebhookBadEncoding.into());
        }
        let Some((version, sig)) = entry.split_once(',') else {
            return Err(ErrorKind::WebhookBadEncoding.into());
        };
        if version != "v1" {
            continue;
        }
        match b64::decode(Alphabet::StandardPadded, sig.as_bytes()) {
            Some(bytes) if bytes.len() == SIGNATURE_BYTES => out.push(bytes),
            _ => return Err(ErrorKind::WebhookBadEncoding.into()),
        }
    }
    Ok(out)
}

/// The `webhook-signature` value for these inputs (for tests and local tooling).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let ts = timestamp.to_string();
    let mac =
        hmac_sha256(key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]).unwrap_or([0; 32]);
    format!("v1,{}", b64::encode(Alphabet::StandardPadded, &mac))
}

#[cfg(test)]
mod tests {
    use super::super::{WebhookConfig, WebhookVerifier};
    use super::*;

    // The Standard Webhooks specification's published example.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const OTHER: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

    fn verifier(secrets: &[&str]) -> WebhookVerifier {
        match WebhookVerifier::new(WebhookConfig {
            scheme: "standard".into(),
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    fn run(v: &WebhookVerifier, headers: &[(&str, &str)], body: &[u8], now: i64) -> Result<()> {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        v.verify(&Request {
            headers: &headers,
            body,
            query: "",
            now,
        })
        .map(|_| ())
    }

    fn kind(r: Result<()>) -> Option<ErrorKind> {
        r.err().map(|e| e.kind)
    }

    fn h<'a>(sig: &'a str, ts: &'a str) -> [(&'static str, &'a str); 3] {
        [
            ("webhook-id", ID),
            ("webhook-timestamp", ts),
            ("webhook-signature", sig),
        ]
    }

    #[test]
    fn published_vector_and_both_secret_forms() {
        for secret in [SECRET, "v1,whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
            let v = verifier(&[secret]);
            assert!(run(&v, &h(SIG, "1614265330"), BODY, TS).is_ok());
        }
        let key = decode_secret(SECRET).unwrap_or_default();
        assert_eq!(sign(&key, ID, TS, BODY), SIG);
    }

    #[test]
    fn event_id_is_the_webhook_id() {
        let v = verifier(&[SECRET]);
        let headers: Vec<(String, String)> = h(SIG, "1614265330")
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let got = v.verify(&Request {
            headers: &headers,
            body: BODY,
            query: "",
            now: TS,
        });
        assert_eq!(got.ok().map(|v| v.event_id).as_deref(), Some(ID));
    }

    #[test]
    fn rotation_lists_in_every_separator_form() {
        let v = verifier(&[SECRET]);
        for header in [
            format!("{OTHER} {SIG}"),
            format!("{OTHER}, {SIG}"),
            format!("{SIG}, {OTHER}"),
            format!("v1a,AAAA {SIG}"),
            format!("v2,xyz,  {SIG}"),
        ] {
            assert!(
                run(&v, &h(&header, "1614265330"), BODY, TS).is_ok(),
                "{header}"
            );
        }
        // Several secrets: the second one signs.
        let other = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let v = verifier(&[other, SECRET]);
        assert!(run(&v, &h(SIG, "1614265330"), BODY, TS).is_ok());
    }

    #[test]
    fn rejections() {
        let v = verifier(&[SECRET]);
        let ts = "1614265330";
        assert_eq!(
            kind(run(&v, &h(OTHER, ts), BODY, TS)),
            Some(ErrorKind::WebhookBadSignature)
        );
        assert_eq!(
            kind(run(&v, &h(&SIG.replace("v1,", "v2,"), ts), BODY, TS)),
            Some(ErrorKind::WebhookBadSignature)
        );
        assert_eq!(
            kind(run(&v, &h(SIG, ts), br#"{"test":2432232314}"#, TS)),
            Some(ErrorKind::WebhookBadSignature)
        );
        assert_eq!(
            kind(run(&v, &h(SIG, ts), BODY, TS + 301)),
            Some(ErrorKind::WebhookTimestamp)
        );
        assert_eq!(
            kind(run(&v, &h(SIG, ts), BODY, TS - 301)),
            Some(ErrorKind::WebhookTimestamp)
        );
        assert!(run(&v, &h(SIG, ts), BODY, TS + 300).is_ok());
        for bad_ts in ["01614265330", "1614265330.0", " ", "-1614265330"] {
            assert!(
                matches!(
                    kind(run(&v, &h(SIG, bad_ts), BODY, TS)),
                    Some(ErrorKind::WebhookBadEncoding | ErrorKind::WebhookMissingHeader)
                ),
                "{bad_ts}"
            );
        }
        for bad_sig in [
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",
            "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "v1,AAAA",
            "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ] {
            assert_eq!(
                kind(run(&v, &h(bad_sig, ts), BODY, TS)),
                Some(ErrorKind::WebhookBadEncoding),
                "{bad_sig}"
            );
        }
        assert_eq!(
            kind(run(&v, &h("", ts), BODY, TS)),
            Some(ErrorKind::WebhookMissingHeader)
        );
        assert_eq!(
            kind(run(
                &v,
                &[("webhook-timestamp", ts), ("webhook-signature", SIG)],
                BODY,
                TS
            )),
            Some(ErrorKind::WebhookMissingHeader)
        );
        let many = vec![OTHER; 17].join(" ");
        assert_eq!(
            kind(run(&v, &h(&many, ts), BODY, TS)),
            Some(ErrorKind::WebhookBadEncoding)
        );
    }

    #[test]
    fn secrets_are_strict() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==",
            "whsec_",
            "whsec_QUJDRA==",
        ] {
            assert!(decode_secret(bad).is_err(), "{bad}");
        }
    }
}
