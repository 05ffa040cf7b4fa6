//! Native benchmarks of the core (the built-in harness, no dependencies): the same work the
//! WASM module does per request, to show the WASM overhead ratio. Medians of 31 rounds.
//!   cargo bench --bench core
use edge_auth::config::{Authenticator, Config};
use edge_auth::token_cache::{Limits, TokenCache};
use edge_auth::verify::Step;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";

fn median_us(rounds: usize, per_round: usize, mut f: impl FnMut()) -> f64 {
    let mut xs: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_round {
                f();
            }
            t.elapsed().as_secs_f64() * 1e6 / per_round as f64
        })
        .collect();
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // A Supabase-shaped access token, as in bench/tokens.ts.
    let claims = serde_json::json!({
        "iss": "https://qzmxkvbwhtrplycdnsaf.supabase.co/auth/v1",
        "sub": "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e", "aud": "authenticated",
        "exp": now + 3600, "iat": now, "email": "bench@example.com", "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]}, "user_metadata": {},
        "role": "authenticated", "aal": "aal1", "amr": [{"method": "password", "timestamp": now}],
        "session_id": "0b7f3c1e-5a2d-4e6f-8a9b-0c1d2e3f4a5b", "is_anonymous": false,
        "user_role": "pharmacist", "user_permissions": ["schedules.read", "contacts.read"],
    });
    let key = EncodingKey::from_secret(SECRET.as_bytes()).expect("key");
    let token = encode(&Header::new(Algorithm::HS256), &claims, &key).expect("token");
    let auth = Authenticator::new(Config {
        jwt_secret: Some(SECRET.into()),
        algorithms: vec!["HS256".into()],
        issuers: vec!["https://qzmxkvbwhtrplycdnsaf.supabase.co/auth/v1".into()],
        audience: Some(vec!["authenticated".into()]),
        ..Config::default()
    })
    .expect("config");
    let header = format!("Bearer {token}");
    let verify = || match auth.begin_header(Some(&header), now.into()) {
        Ok(Step::Done(v)) => v,
        _ => panic!("token did not verify"),
    };
    let v = Rc::new(verify());
    let mut cache = TokenCache::new(Limits::default(), [1, 2, 3, 4]);
    cache.insert(cache.key(&token), token.len(), v.clone());

    // BENCH_SMOKE=1 (CI): one short round, to show the benchmark runs and its token verifies.
    let (rounds, n) = if std::env::var_os("BENCH_SMOKE").is_some() {
        (1, 10)
    } else {
        (31, 2000)
    };
    println!(
        "native core, {} byte token, median of {rounds} rounds",
        token.len()
    );
    let parse = median_us(rounds, n, || {
        black_box(edge_auth::token::parse(black_box(&token)).is_ok());
    });
    println!("| parse (segments, base64url, strict JSON) | {parse:.2} us |");
    let full = median_us(rounds, n, || {
        let v = verify();
        black_box(auth.context(&v, &[]).map(|c| c.to_json()).is_ok());
    });
    println!("| HS256 verify + claims + context JSON | {full:.2} us |");
    let hit = median_us(rounds, n, || {
        let key = cache.key(black_box(&token));
        if let Some(Ok(v)) = auth.cached(&mut cache, &key, now.into()) {
            black_box(auth.context(&v, &[]).map(|c| c.to_json()).is_ok());
        }
    });
    println!("| verified-token cache hit + context JSON | {hit:.2} us |");
}
