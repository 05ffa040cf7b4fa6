//! Strict JWT authentication and authorization for Supabase Edge Functions.
//!
//! The core knows nothing of JavaScript: it parses and checks tokens, selects keys, verifies
//! HMACs and builds the security context. Public-key signatures are checked by the host's
//! WebCrypto through `wasm` (the only module that knows about JS), which the core asks for via
//! `verify::Step::NeedsSignature`.

pub mod alg;
pub mod b64;
pub mod claims;
pub mod config;
pub mod context;
mod ec_point;
pub mod error;
pub mod http;
pub mod json;
pub mod keys;
pub mod policy;
pub mod token;
pub mod token_cache;
pub mod verify;
pub mod webhook;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use config::{Authenticator, Config};
pub use error::{AuthError, ErrorKind};
