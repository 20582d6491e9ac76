//! Byte classes eight bytes at a time ("SIMD within a register").
//!
//! The record-start check measures a few short runs on every line: the level name, the
//! caller's file name, its line number. A loop over bytes ends on a branch whose outcome
//! depends on each line's lengths, which the CPU mispredicts nearly every time; here a run is
//! measured with one word load, a few arithmetic operations and a count of trailing zeros.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The eight bytes of `b` from `at` as a little-endian word, zeros past the end (zero is in
/// no class below, so a run never reaches past the slice).
pub fn word(b: &[u8], at: usize) -> u64 {
    match b.get(at..at + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().expect("eight bytes")),
        None => {
            let mut w = [0u8; 8];
            let rest = b.get(at..).unwrap_or_default();
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// Per byte of `w`, the high bit set when the byte is ASCII and in `lo..=hi` (`hi < 0x80`).
pub fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    // With bit 7 cleared no byte can carry into its neighbour: a + (0x80 - lo) and
    // (0x80 + hi) - a both stay within 0x01..=0xff.
    let a = w & (0x7f * LO);
    let ge = a + (0x80 - u64::from(lo)) * LO;
    let le = (0x80 + u64::from(hi)) * LO - a;
    ge & le & !w & HI
}

/// ASCII letters, either case.
pub fn alpha(w: u64) -> u64 {
    in_range(w | (0x20 * LO), b'a', b'z')
}

pub fn digit(w: u64) -> u64 {
    in_range(w, b'0', b'9')
}

/// `w` with its ASCII lower-case letters made upper-case, other bytes as they are.
pub fn upper(w: u64) -> u64 {
    w & !(in_range(w, b'a', b'z') >> 2)
}

/// The first `n` bytes of `w`, the others zero.
pub fn prefix(w: u64, n: usize) -> u64 {
    if n >= 8 {
        w
    } else {
        w & ((1u64 << (8 * n)) - 1)
    }
}

/// How many bytes of `w`, from its first, are in `class`: 8 when all are.
pub fn leading(w: u64, class: impl Fn(u64) -> u64) -> usize {
    ((!class(w) & HI).trailing_zeros() / 8) as usize
}

/// How many bytes from the start of `b` are in `class` (a function above, or a union of
/// them).
pub fn run(b: &[u8], class: impl Fn(u64) -> u64) -> usize {
    let mut n = 0;
    loop {
        let k = leading(word(b, n), &class);
        if k < 8 {
            return n + k;
        }
        n += 8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every class agrees with its byte-at-a-time definition, for every byte value at every
    /// position of a word, beside neighbours of every kind (a carry would show).
    #[test]
    fn classes_agree_with_the_byte_tests() {
        for base in 0..256usize {
            let bytes: [u8; 8] = std::array::from_fn(|k| ((base + k * 37) % 256) as u8);
            let w = u64::from_le_bytes(bytes);
            for (k, &b) in bytes.iter().enumerate() {
                let bit = |m: u64| (m >> (8 * k + 7)) & 1 == 1;
                assert_eq!(bit(alpha(w)), b.is_ascii_alphabetic(), "{b:#x} in {w:#x}");
                assert_eq!(bit(digit(w)), b.is_ascii_digit(), "{b:#x} in {w:#x}");
                assert_eq!(bit(in_range(w, b'-', b'.')), b"-.".contains(&b), "{b:#x}");
                assert_eq!(bit(in_range(w, b'_', b'_')), b == b'_', "{b:#x}");
                assert_eq!(
                    (upper(w) >> (8 * k)) as u8,
                    b.to_ascii_uppercase(),
                    "{b:#x}"
                );
            }
        }
    }

    #[test]
    fn runs_stop_at_the_first_byte_outside_and_at_the_end() {
        assert_eq!(run(b"INFO] [", alpha), 4);
        assert_eq!(run(b"CRITICALX", alpha), 9);
        assert_eq!(run(b"", alpha), 0);
        assert_eq!(run(b"12345678901234567", digit), 17);
        assert_eq!(run(b"1234567\xb0", digit), 7);
        assert_eq!(leading(word(b"WARN] [x", 0), alpha), 4);
        assert_eq!(prefix(word(b"WARN] [x", 0), 4), word(b"WARN", 0));
        assert_eq!(prefix(7, 8), 7);
    }
}
