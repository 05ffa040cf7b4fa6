//! The verified-token cache: a repeated token skips parsing and signature work, never the
//! time checks or the authorization that follows. Bounded in entries and bytes, keyed by a
//! keyed hash of the whole token, never kept past the token's `exp`, and emptied of the
//! tokens of a key as soon as that key leaves the key set.

use crate::verify::Verified;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hasher;
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

/// 128 bits: two SipHash-2-4 values of the token under independent random keys. SipHash is a
/// keyed PRF built for hash tables fed by attackers; without the keys no one can aim a token at
/// another's entry, and an accidental match of both halves is beyond any realistic odds. It costs
/// a fraction of an HMAC-SHA256 over a kilobyte token, on a path that runs on every request.
pub type Key = (u64, u64);

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
    /// Per-instance random keys: cache keys cannot be predicted or compared across isolates.
    hash_key: [u64; 4],
    map: HashMap<Key, Entry>,
    /// Insertion order, oldest first, for eviction.
    order: VecDeque<Key>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

impl TokenCache {
    pub fn new(limits: Limits, hash_key: [u64; 4]) -> TokenCache {
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

    /// False when configured with no room: then nothing is hashed or stored.
    pub fn enabled(&self) -> bool {
        self.limits.max_entries > 0
    }

    #[allow(deprecated)] // core's SipHasher is SipHash-2-4, deprecated only as a std default.
    pub fn key(&self, token: &str) -> Key {
        let [a, b, c, d] = self.hash_key;
        let mut h1 = std::hash::SipHasher::new_with_keys(a, b);
        let mut h2 = std::hash::SipHasher::new_with_keys(c, d);
        h1.write(token.as_bytes());
        h2.write(token.as_bytes());
        (h1.finish(), h2.finish())
    }

    /// The verified token under `key`, if cached. The caller still checks its time claims.
    pub fn get(&mut self, key: &Key) -> Option<Rc<Verified>> {
        match self.map.get(key) {
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

    pub fn forget(&mut self, key: &Key) {
        self.remove(key);
    }

    /// Stores a verified token of `token_len` bytes under `key`, evicting the oldest first.
    pub fn insert(&mut self, key: Key, token_len: usize, verified: Rc<Verified>) {
        let bytes = token_len + verified.payload_text.len() * 2 + 128;
        if !self.enabled() || bytes > self.limits.max_bytes {
            return;
        }
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
