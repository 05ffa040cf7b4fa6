//! Checks that an EC public key lies on its curve. WebCrypto in Deno imports an off-curve
//! point without complaint, so the check is done here, once per key, at configuration time.
//! Plain schoolbook arithmetic on 32-bit limbs: slow by crypto standards, ample for a few keys.

/// Little-endian 32-bit limbs; 13 hold any P-384 field element with room for a carry.
const LIMBS: usize = 13;
type Fe = [u32; LIMBS];

fn from_be(bytes: &[u8]) -> Option<Fe> {
    if bytes.len() > 48 {
        return None;
    }
    let mut out = [0u32; LIMBS];
    for (i, &b) in bytes.iter().rev().enumerate() {
        let limb = out.get_mut(i / 4)?;
        *limb |= u32::from(b) << (8 * (i % 4));
    }
    Some(out)
}

fn from_hex(hex: &str) -> Fe {
    let bytes: Vec<u8> = hex
        .as_bytes()
        .chunks(2)
        .map(|p| {
            p.iter().fold(0u8, |acc, &c| {
                (acc << 4) | (c as char).to_digit(16).unwrap_or(0) as u8
            })
        })
        .collect();
    from_be(&bytes).unwrap_or([0; LIMBS])
}

fn less(a: &Fe, b: &Fe) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

/// a - b in place, for a >= b.
fn sub_in_place(a: &mut Fe, b: &Fe) {
    let mut borrow = 0u64;
    for (x, &y) in a.iter_mut().zip(b.iter()) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(y))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = (d >> 63) & 1;
    }
}

/// (a + b) mod p, for a, b < p.
fn add_mod(a: &Fe, b: &Fe, p: &Fe) -> Fe {
    let mut out = [0u32; LIMBS];
    let mut carry = 0u64;
    for ((o, &x), &y) in out.iter_mut().zip(a.iter()).zip(b.iter()) {
        let s = u64::from(x) + u64::from(y) + carry;
        *o = s as u32;
        carry = s >> 32;
    }
    if !less(&out, p) {
        sub_in_place(&mut out, p);
    }
    out
}

/// (a * b) mod p, for a, b < p: the product, then binary long division, all in fixed arrays.
fn mul_mod(a: &Fe, b: &Fe, p: &Fe) -> Fe {
    let mut t = [0u32; 2 * LIMBS];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u64;
        for (j, &y) in b.iter().enumerate() {
            if let Some(slot) = t.get_mut(i + j) {
                let v = u64::from(*slot) + u64::from(x) * u64::from(y) + carry;
                *slot = v as u32;
                carry = v >> 32;
            }
        }
        if let Some(slot) = t.get_mut(i + LIMBS) {
            *slot = carry as u32;
        }
    }
    let mut r = [0u32; LIMBS];
    for i in (0..t.len() * 32).rev() {
        let bit = t.get(i / 32).map_or(0, |l| (l >> (i % 32)) & 1);
        // r = 2r + bit; r < p < 2^384 leaves the top limb room for the shifted-out bit.
        let mut carry = bit;
        for limb in r.iter_mut() {
            let next = *limb >> 31;
            *limb = (*limb << 1) | carry;
            carry = next;
        }
        if !less(&r, p) {
            sub_in_place(&mut r, p);
        }
    }
    r
}

/// The prime and `b` of y² = x³ − 3x + b for the NIST curves used by ES256 and ES384.
fn curve(name: &str) -> Option<(Fe, Fe)> {
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
    let (Some(x), Some(y)) = (from_be(x), from_be(y)) else {
        return false;
    };
    if !less(&x, &p) || !less(&y, &p) {
        return false;
    }
    let lhs = mul_mod(&y, &y, &p);
    let x3 = mul_mod(&mul_mod(&x, &x, &p), &x, &p);
    let three_x = add_mod(&add_mod(&x, &x, &p), &x, &p);
    // x³ − 3x + b: add p − 3x (p − 0 is p itself, which add_mod reduces).
    let mut neg = p;
    sub_in_place(&mut neg, &three_x);
    let rhs = add_mod(&add_mod(&x3, &neg_reduced(neg, &p), &p), &b, &p);
    lhs == rhs
}

/// `v` reduced below p (only `p` itself needs it).
fn neg_reduced(mut v: Fe, p: &Fe) -> Fe {
    if !less(&v, p) {
        sub_in_place(&mut v, p);
    }
    v
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
