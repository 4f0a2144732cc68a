//! The one constant-time comparison every check of a secret goes through (codes, hashes,
//! contacts, PIN blocks), so timing tells nothing about where two values differ. Only their
//! lengths may differ in time, and those are not secret here (fixed-size hashes, typed input).

use subtle::ConstantTimeEq;

/// Whether `a` and `b` are equal, in time independent of their contents.
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// [`equal`] over the bytes of two strings.
pub fn equal_str(a: &str, b: &str) -> bool {
    equal(a.as_bytes(), b.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_only_when_every_byte_is() {
        assert!(super::equal(b"", b""));
        assert!(super::equal_str("123456", "123456"));
        assert!(!super::equal_str("123456", "123457"));
        assert!(!super::equal_str("123456", "12345"));
        assert!(!super::equal(b"\x00", b""));
    }
}
