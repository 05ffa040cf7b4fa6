//! Strict base64: one alphabet per call, canonical trailing bits, no whitespace.
//! JWS uses base64url without padding (RFC 7515 §2); webhook schemes use standard base64 with padding.

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `A-Z a-z 0-9 - _`, no padding allowed.
    UrlNoPad,
    /// `A-Z a-z 0-9 + /`, `=` padding required to a multiple of four.
    StandardPadded,
}

/// 0..=63 for the alphabet's characters, 0xFF for everything else.
const fn table(alphabet: Alphabet) -> [u8; 256] {
    let mut t = [0xFFu8; 256];
    let mut i = 0u8;
    while i < 26 {
        t[(b'A' + i) as usize] = i;
        t[(b'a' + i) as usize] = i + 26;
        i += 1;
    }
    let mut d = 0u8;
    while d < 10 {
        t[(b'0' + d) as usize] = d + 52;
        d += 1;
    }
    match alphabet {
        Alphabet::UrlNoPad => {
            t[b'-' as usize] = 62;
            t[b'_' as usize] = 63;
        }
        Alphabet::StandardPadded => {
            t[b'+' as usize] = 62;
            t[b'/' as usize] = 63;
        }
    }
    t
}

const URL_TABLE: [u8; 256] = table(Alphabet::UrlNoPad);
const STD_TABLE: [u8; 256] = table(Alphabet::StandardPadded);

/// Decodes `input`, or `None` when it is not the one canonical encoding of some bytes.
pub fn decode(alphabet: Alphabet, input: &[u8]) -> Option<Vec<u8>> {
    let body = match alphabet {
        Alphabet::UrlNoPad => input,
        Alphabet::StandardPadded => {
            if !input.len().is_multiple_of(4) {
                return None;
            }
            let pad = input.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 {
                return None;
            }
            input.get(..input.len() - pad)?
        }
    };
    // A remainder of one character cannot encode a whole byte.
    if body.len() % 4 == 1 {
        return None;
    }
    if alphabet == Alphabet::StandardPadded && input.len() - body.len() != (4 - body.len() % 4) % 4
    {
        return None;
    }
    let t = if alphabet == Alphabet::UrlNoPad {
        &URL_TABLE
    } else {
        &STD_TABLE
    };
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 2);
    let mut chunks = body.chunks_exact(4);
    for c in chunks.by_ref() {
        let (a, b, cc, d) = (
            t[c[0] as usize],
            t[c[1] as usize],
            t[c[2] as usize],
            t[c[3] as usize],
        );
        if (a | b | cc | d) & 0xC0 != 0 {
            return None;
        }
        let n = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(cc) << 6) | u32::from(d);
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let rest = chunks.remainder();
    let mut acc: u32 = 0;
    for &c in rest {
        let v = t[c as usize];
        if v & 0xC0 != 0 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
    }
    match rest.len() {
        0 => {}
        2 => {
            // 12 bits carry 8: the low 4 must be zero, or two encodings decode alike.
            if acc & 0xF != 0 {
                return None;
            }
            out.push((acc >> 4) as u8);
        }
        3 => {
            if acc & 0x3 != 0 {
                return None;
            }
            out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]);
        }
        _ => return None,
    }
    Some(out)
}

pub fn encode(alphabet: Alphabet, input: &[u8]) -> String {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let table = if alphabet == Alphabet::UrlNoPad {
        URL
    } else {
        STD
    };
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                out.push(char::from(table[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if alphabet == Alphabet::StandardPadded {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        for len in 0..70 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            for a in [Alphabet::UrlNoPad, Alphabet::StandardPadded] {
                let enc = encode(a, &data);
                assert_eq!(
                    decode(a, enc.as_bytes()).as_deref(),
                    Some(&data[..]),
                    "len {len}"
                );
            }
        }
    }

    #[test]
    fn rejects_non_canonical_forms() {
        // Padding on the url alphabet, wrong alphabet, whitespace, lone char, non-zero trailing bits.
        for bad in [
            "QQ==", "a+b/", "QQ ", " QQ", "Q", "QR", "QUJ", "QUJDR", "%3D",
        ] {
            assert!(
                decode(Alphabet::UrlNoPad, bad.as_bytes()).is_none(),
                "{bad}"
            );
        }
        assert_eq!(
            decode(Alphabet::UrlNoPad, b"QQ").as_deref(),
            Some(&b"A"[..])
        );
        assert_eq!(
            decode(Alphabet::UrlNoPad, b"QUI").as_deref(),
            Some(&b"AB"[..])
        );
        for bad in [
            "QQ", "QQ=", "QQ===", "QR==", "Q===", "a-b_", "QU=I", "QUI=\n",
        ] {
            assert!(
                decode(Alphabet::StandardPadded, bad.as_bytes()).is_none(),
                "{bad}"
            );
        }
        assert_eq!(
            decode(Alphabet::StandardPadded, b"QQ==").as_deref(),
            Some(&b"A"[..])
        );
    }

    #[test]
    fn every_trailing_bit_variant_but_one_is_rejected() {
        // For a 1-byte tail only 4 of the 64 last characters are canonical; for 2 bytes, 16.
        let count = |prefix: &str| {
            (0u8..=255)
                .filter(|&c| {
                    decode(
                        Alphabet::UrlNoPad,
                        format!("{prefix}{}", c as char).as_bytes(),
                    )
                    .is_some()
                })
                .count()
        };
        assert_eq!(count("Q"), 4);
        assert_eq!(count("QU"), 16);
    }
}
