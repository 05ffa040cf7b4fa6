//! The verified-token cache: a repeated token skips parsing and signature work, never the
//! time checks or the authorization that follows. Bounded in entries and bytes, keyed by a
//! keyed hash of the whole token, never kept past the token's `exp`, and emptied of the
//! tokens of a key as soon as that key leaves the key set.

use crate::verify::Verified;
use hmac::{KeyInit, Mac};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 1024,
            max_bytes: 2 * 1024 * 1024,
        }
    }
}

type Key = [u8; 32];

struct Entry {
    verified: Rc<Verified>,
    bytes: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    pub bytes: usize,
}

pub struct TokenCache {
    limits: Limits,
    /// A per-instance random key: cache keys cannot be predicted or compared across isolates.
    hash_key: [u8; 32],
    map: HashMap<Key, Entry>,
    /// Insertion order, oldest first, for eviction.
    order: VecDeque<Key>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

impl TokenCache {
    pub fn new(limits: Limits, hash_key: [u8; 32]) -> TokenCache {
        TokenCache {
            limits,
            hash_key,
            map: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            hits: 0,
            misses: 0,
        }
    }

    fn key(&self, token: &str) -> Key {
        let mut out = [0u8; 32];
        if let Ok(mut mac) = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&self.hash_key) {
            mac.update(token.as_bytes());
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    /// The verified token, if cached. The caller still checks its time claims.
    pub fn get(&mut self, token: &str) -> Option<Rc<Verified>> {
        let key = self.key(token);
        match self.map.get(&key) {
            Some(e) => {
                self.hits += 1;
                Some(e.verified.clone())
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    pub fn forget(&mut self, token: &str) {
        let key = self.key(token);
        self.remove(&key);
    }

    pub fn insert(&mut self, token: &str, verified: Rc<Verified>) {
        let bytes = token.len() + verified.payload_text.len() * 2 + 128;
        if self.limits.max_entries == 0 || bytes > self.limits.max_bytes {
            return;
        }
        let key = self.key(token);
        self.remove(&key);
        while self.map.len() >= self.limits.max_entries
            || self.bytes + bytes > self.limits.max_bytes
        {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(e) = self.map.remove(&oldest) {
                self.bytes -= e.bytes;
            }
        }
        self.bytes += bytes;
        self.order.push_back(key);
        self.map.insert(key, Entry { verified, bytes });
    }

    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= e.bytes;
            self.order.retain(|k| k != key);
        }
    }

    /// Drops every token verified by a key that is not in `live` (key fingerprints).
    pub fn retain_keys(&mut self, live: &HashSet<String>) {
        let gone: Vec<Key> = self
            .map
            .iter()
            .filter(|(_, e)| !live.contains(&e.verified.key_fingerprint))
            .map(|(k, _)| *k)
            .collect();
        for k in gone {
            self.remove(&k);
        }
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.bytes = 0;
    }

    pub fn stats(&self) -> Stats {
        Stats {
            hits: self.hits,
            misses: self.misses,
            entries: self.map.len(),
            bytes: self.bytes,
        }
    }
}
