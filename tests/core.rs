//! Native tests of the core against an independent implementation: tokens minted by the
//! `jsonwebtoken` crate must verify, with `jsonwebtoken`'s RustCrypto verifier standing in for
//! the host's WebCrypto on the public-key path.

use edge_auth::config::{Authenticator, Config};
use edge_auth::verify::Step;
use edge_auth::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{encode, Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::json;

const SECRET: &str = "native-test-secret-of-at-least-32-bytes";
const NOW: i64 = 1_800_000_000;
const SUB: &str = "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e";

fn claims() -> serde_json::Value {
    json!({
        "iss": "https://p.supabase.co/auth/v1", "sub": SUB, "aud": "authenticated",
        "role": "authenticated", "exp": NOW + 60, "iat": NOW,
        "user_role": "manager", "user_permissions": ["schedules.write"], "aal": "aal2",
    })
}

fn authenticator(jwks: Option<String>) -> Authenticator {
    Authenticator::new(Config {
        jwt_secret: Some(SECRET.into()),
        jwks,
        algorithms: [
            "HS256", "HS384", "HS512", "ES256", "RS256", "PS256", "EdDSA",
        ]
        .map(String::from)
        .to_vec(),
        issuers: vec!["https://p.supabase.co/auth/v1".into()],
        audience: Some(vec!["authenticated".into()]),
        ..Config::default()
    })
    .unwrap()
}

fn b64url(bytes: &[u8]) -> String {
    edge_auth::b64::encode(edge_auth::b64::Alphabet::UrlNoPad, bytes)
}

#[test]
fn hmac_tokens_from_jsonwebtoken_verify_and_build_a_context() {
    let auth = authenticator(None);
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let token = encode(
            &Header::new(alg),
            &claims(),
            &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        )
        .unwrap();
        let Ok(Step::Done(v)) = auth.begin_token(&token, NOW.into()) else {
            panic!("{alg:?} did not verify")
        };
        let ctx = auth.context(&v, &[]).unwrap();
        assert_eq!(ctx.user_id.as_deref(), Some(SUB));
        assert_eq!(ctx.role.as_deref(), Some("manager"));
        assert_eq!(ctx.permissions, vec!["schedules.write".to_string()]);
        let parsed: serde_json::Value = serde_json::from_str(&ctx.to_json()).unwrap();
        assert_eq!(parsed["user_id"], SUB);
        let signed: serde_json::Value = serde_json::from_str(&v.payload_text).unwrap();
        assert_eq!(signed, claims());

        let wrong = encode(
            &Header::new(alg),
            &claims(),
            &EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!").unwrap(),
        )
        .unwrap();
        assert_eq!(
            auth.begin_token(&wrong, NOW.into()).err().map(|e| e.kind),
            Some(ErrorKind::BadSignature)
        );
    }
}

#[test]
fn public_key_tokens_from_jsonwebtoken_verify_through_a_host_verifier() {
    let keys: [(Algorithm, EncodingKey); 4] = [
        (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(include_bytes!("fixtures/ec.pem")).unwrap(),
        ),
        (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(include_bytes!("fixtures/rsa.pem")).unwrap(),
        ),
        (
            Algorithm::PS256,
            EncodingKey::from_rsa_pem(include_bytes!("fixtures/rsa.pem")).unwrap(),
        ),
        (
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(include_bytes!("fixtures/ed.pem")).unwrap(),
        ),
    ];
    for (alg, key) in keys {
        let mut jwk = Jwk::from_encoding_key(&key, alg).unwrap();
        jwk.common.key_id = Some(format!("{alg:?}"));
        jwk.common.key_algorithm = None;
        let auth = authenticator(Some(json!({ "keys": [jwk] }).to_string()));
        let mut header = Header::new(alg);
        header.kid = Some(format!("{alg:?}"));
        let token = encode(&header, &claims(), &key).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        for tamper in [false, true] {
            let Ok(Step::NeedsSignature(pending)) = auth.begin_token(&token, NOW.into()) else {
                panic!("{alg:?}: expected a host signature check")
            };
            let mut sig = pending.signature().to_vec();
            if tamper {
                if let Some(b) = sig.last_mut() {
                    *b ^= 1;
                }
            }
            let host_says = jsonwebtoken::crypto::verify(
                &b64url(&sig),
                pending.signing_input(),
                &decoding,
                alg,
            )
            .unwrap_or(false);
            let result = auth.finish(*pending, host_says);
            if tamper {
                assert_eq!(
                    result.err().map(|e| e.kind),
                    Some(ErrorKind::BadSignature),
                    "{alg:?}"
                );
            } else {
                let v = result.unwrap_or_else(|e| panic!("{alg:?}: {e}"));
                assert_eq!(auth.context(&v, &[]).unwrap().user_id.as_deref(), Some(SUB));
            }
        }
    }
}

#[test]
fn claims_are_unreachable_before_the_signature() {
    // A token whose claims are already expired still fails on the signature first when the
    // signature is wrong: nothing about the claims leaks through the error.
    let auth = authenticator(None);
    let mut c = claims();
    c["exp"] = json!(1);
    let token = encode(
        &Header::new(Algorithm::HS256),
        &c,
        &EncodingKey::from_secret(b"x-secret-that-is-long-enough-32b!!").unwrap(),
    )
    .unwrap();
    assert_eq!(
        auth.begin_token(&token, NOW.into()).err().map(|e| e.kind),
        Some(ErrorKind::BadSignature)
    );
}

#[test]
fn unusable_configured_keys_are_config_errors_not_token_errors() {
    // Every way a configured secret or key set can be unusable: the operator's mistake (500),
    // never a 401 that blames the caller's token.
    let secrets = [
        Some("short"),
        Some(""),
        Some("31-bytes-long-secret-xxxxxxxxxx"),
    ];
    let key_sets = [
        "{not json",
        r#"{"keys":"x"}"#,
        r#"{"keys":{}}"#,
        r#"{"kid":"k"}"#,
        "[]",
        r#"{"keys":[],"keys":[]}"#,
    ];
    let configs = secrets
        .iter()
        .map(|s| (s.map(String::from), None))
        .chain(key_sets.iter().map(|j| (None, Some(j.to_string()))));
    for (jwt_secret, jwks) in configs {
        let err = Authenticator::new(Config {
            jwt_secret: jwt_secret.clone(),
            jwks: jwks.clone(),
            algorithms: vec!["HS256".into(), "ES256".into()],
            ..Config::default()
        })
        .err()
        .unwrap_or_else(|| panic!("accepted {jwt_secret:?} {jwks:?}"));
        assert_eq!(
            err.kind,
            ErrorKind::InvalidConfig,
            "{jwt_secret:?} {jwks:?}"
        );
        assert_eq!(err.status(), 500);
        assert!(
            err.detail.is_some(),
            "an operator hint for {jwt_secret:?} {jwks:?}"
        );
    }
}

#[test]
fn a_refused_lone_jwk_does_not_let_kidless_tokens_use_another_key() {
    use edge_auth::alg::Algorithm as Alg;
    use edge_auth::keys::{KeySet, KeySource};
    // The P-256 base point: a real public key.
    let (x, y) = (
        "axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY",
        "T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",
    );
    let good = format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","kid":"r1"}}"#);
    let refused = [
        // private material, a wrong use, a point moved off the curve
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","d":"{x}"}}"#),
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{y}","use":"enc"}}"#),
        format!(r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{x}"}}"#),
    ];
    for lone in &refused {
        let mut keys = KeySet::default();
        keys.add_jwks(lone.as_bytes(), KeySource::Inline).unwrap();
        keys.add_jwks(
            format!(r#"{{"keys":[{good}]}}"#).as_bytes(),
            KeySource::Remote,
        )
        .unwrap();
        let err = keys.select(Alg::ES256, None).err().map(|e| e.kind);
        assert_eq!(err, Some(ErrorKind::KidRequired), "{lone}");
        assert!(keys.select(Alg::ES256, Some("r1")).is_ok());
    }
    // An accepted lone JWK keeps its kid-less use.
    let mut keys = KeySet::default();
    keys.add_jwks(good.as_bytes(), KeySource::Inline).unwrap();
    assert!(keys.select(Alg::ES256, None).is_ok());
}

#[test]
fn an_hmac_token_naming_a_refused_oct_key_gets_that_keys_reason() {
    use edge_auth::alg::Algorithm as Alg;
    use edge_auth::keys::{KeySet, KeySource};
    let short = edge_auth::b64::encode(edge_auth::b64::Alphabet::UrlNoPad, b"only-16-bytes!!!");
    let set = format!(r#"{{"keys":[{{"kty":"oct","kid":"weak","k":"{short}"}}]}}"#);
    let mut keys = KeySet::default();
    keys.add_jwks(set.as_bytes(), KeySource::Inline).unwrap();
    let err = keys.select(Alg::HS256, Some("weak")).err().map(|e| e.kind);
    assert_eq!(err, Some(ErrorKind::WeakKey));
}
