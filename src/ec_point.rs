//! Checks that an EC public key lies on its curve. WebCrypto in Deno imports an off-curve
//! point without complaint, so the check is done here, once per key, at configuration time.
//! Plain schoolbook arithmetic on 32-bit limbs: slow by crypto standards, ample for a few keys.

/// Little-endian 32-bit limbs.
type Big = Vec<u32>;

fn from_be(bytes: &[u8]) -> Big {
    let mut limbs = Vec::with_capacity(bytes.len() / 4 + 1);
    for chunk in bytes.rchunks(4) {
        let mut v = 0u32;
        for &b in chunk {
            v = (v << 8) | u32::from(b);
        }
        limbs.push(v);
    }
    trim(limbs)
}

fn from_hex(hex: &str) -> Big {
    let bytes: Vec<u8> = hex
        .as_bytes()
        .chunks(2)
        .map(|p| {
            p.iter().fold(0u8, |acc, &c| {
                (acc << 4) | (c as char).to_digit(16).unwrap_or(0) as u8
            })
        })
        .collect();
    from_be(&bytes)
}

fn trim(mut a: Big) -> Big {
    while a.last() == Some(&0) {
        a.pop();
    }
    a
}

fn cmp(a: &Big, b: &Big) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

fn add(a: &Big, b: &Big) -> Big {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let mut carry = 0u64;
    for i in 0..a.len().max(b.len()) {
        let s = u64::from(a.get(i).copied().unwrap_or(0))
            + u64::from(b.get(i).copied().unwrap_or(0))
            + carry;
        out.push(s as u32);
        carry = s >> 32;
    }
    out.push(carry as u32);
    trim(out)
}

/// a - b for a >= b.
fn sub(a: &Big, b: &Big) -> Big {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i64;
    for i in 0..a.len() {
        let mut d = i64::from(a.get(i).copied().unwrap_or(0))
            - i64::from(b.get(i).copied().unwrap_or(0))
            - borrow;
        borrow = i64::from(d < 0);
        if d < 0 {
            d += 1 << 32;
        }
        out.push(d as u32);
    }
    trim(out)
}

fn mul(a: &Big, b: &Big) -> Big {
    let mut out = vec![0u32; a.len() + b.len() + 1];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            if let Some(slot) = out.get_mut(i + j) {
                let t = u64::from(*slot) + u64::from(x) * u64::from(y) + carry;
                *slot = t as u32;
                carry = t >> 32;
            }
        }
        if let Some(slot) = out.get_mut(i + b.len()) {
            *slot = carry as u32;
        }
    }
    trim(out)
}

/// a mod m, by binary long division.
fn rem(a: &Big, m: &Big) -> Big {
    let mut r: Big = Vec::new();
    for i in (0..a.len() * 32).rev() {
        let bit = a.get(i / 32).map_or(0, |l| (l >> (i % 32)) & 1);
        r = add(&r, &r);
        if bit == 1 {
            r = add(&r, &vec![1]);
        }
        if cmp(&r, m) != std::cmp::Ordering::Less {
            r = sub(&r, m);
        }
    }
    r
}

/// The prime and `b` of y² = x³ − 3x + b for the NIST curves used by ES256 and ES384.
fn curve(name: &str) -> Option<(Big, Big)> {
    match name {
        "P-256" => Some((
            from_hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"),
            from_hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"),
        )),
        "P-384" => Some((
            from_hex(
                "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
            ),
            from_hex(
                "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
            ),
        )),
        _ => None,
    }
}

/// True when (x, y), big-endian coordinates, is a point of the named curve (not infinity).
pub fn on_curve(name: &str, x: &[u8], y: &[u8]) -> bool {
    let Some((p, b)) = curve(name) else {
        return false;
    };
    let (x, y) = (from_be(x), from_be(y));
    if cmp(&x, &p) != std::cmp::Ordering::Less || cmp(&y, &p) != std::cmp::Ordering::Less {
        return false;
    }
    let lhs = rem(&mul(&y, &y), &p);
    let x3 = rem(&mul(&rem(&mul(&x, &x), &p), &x), &p);
    let three_x = rem(&mul(&x, &vec![3]), &p);
    // x³ − 3x + b, kept non-negative by adding p before subtracting.
    let rhs = rem(&sub(&add(&add(&x3, &p), &b), &three_x), &p);
    cmp(&lhs, &rhs) == std::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::{decode, Alphabet};

    fn d(s: &str) -> Vec<u8> {
        decode(Alphabet::UrlNoPad, s.as_bytes()).unwrap()
    }

    #[test]
    fn known_points() {
        // The P-256 base point, and a published key from the shared cases.
        let gx = "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";
        let gy = "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
        let hex = |h: &str| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect::<Vec<u8>>()
        };
        assert!(on_curve("P-256", &hex(gx), &hex(gy)));
        let x = d("MrhlTN-BojITXlMuNABGLiabF79Fd_nPX-m3tFcqxcU");
        assert!(on_curve(
            "P-256",
            &x,
            &d("AToeBybhjAyqv33Cnuvxe_1ea-Gsn8H-jzIIp7SmZEA")
        ));
        assert!(!on_curve(
            "P-256",
            &x,
            &d("AToeBybhjAyqv33Cnuvxe_1ea-Gsn8H-jzIIp7SmZEE")
        ));
        assert!(!on_curve("P-256", &[0; 32], &[0; 32]));
        assert!(!on_curve("P-256", &[0xff; 32], &hex(gy)));
        // The P-384 base point.
        let gx = "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7";
        let gy = "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f";
        assert!(on_curve("P-384", &hex(gx), &hex(gy)));
        let mut bad = hex(gy);
        bad[47] ^= 1;
        assert!(!on_curve("P-384", &hex(gx), &bad));
    }
}
