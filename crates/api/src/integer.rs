//! Integer fields of requests, read as JSON Schema reads them: `14` and `14.0` are the same
//! integer (serde alone refuses the second). Fractions, non-finite and out-of-range values are
//! refused as before, with serde's message naming the field.

use serde::de::{self, Visitor};
use serde::{Deserializer, Serialize};
use std::marker::PhantomData;

struct Integer<T>(PhantomData<T>);

impl<T: TryFrom<i128>> Visitor<'_> for Integer<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an integer in range")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(i128::from(v)).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::try_from(i128::from(v)).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        // 2^63: beyond it no field of ours has room, and the cast below stays exact.
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 2f64.powi(63) {
            T::try_from(v as i128).map_err(|_| E::invalid_value(de::Unexpected::Float(v), &self))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

/// A required integer field: `#[serde(with = "integer::required")]` (and `#[ts(as = "u32")]`).
pub mod required {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
        d.deserialize_any(Integer(PhantomData))
    }

    pub fn serialize<S: serde::Serializer, T: Serialize>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

struct Optional<T>(PhantomData<T>);

impl<'de, T: TryFrom<i128>> Visitor<'de> for Optional<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an integer in range, or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        required::deserialize(d).map(Some)
    }
}

/// An optional one, with `#[serde(default)]` so that it may be left out.
pub mod optional {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        d.deserialize_option(Optional(PhantomData))
    }

    pub fn serialize<S: serde::Serializer, T: Serialize>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct R {
        #[serde(with = "super::required")]
        n: u32,
        #[serde(default, with = "super::optional")]
        o: Option<i64>,
    }

    fn parse(s: &str) -> Result<R, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_floats_are_integers_and_nothing_else_is() {
        assert_eq!(parse(r#"{"n": 14}"#), Ok(R { n: 14, o: None }));
        assert_eq!(
            parse(r#"{"n": 14.0, "o": -3.0}"#),
            Ok(R { n: 14, o: Some(-3) })
        );
        assert_eq!(parse(r#"{"n": 1, "o": null}"#), Ok(R { n: 1, o: None }));
        for bad in [
            r#"{"n": 14.5}"#,
            r#"{"n": -1}"#,
            r#"{"n": 4294967296}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": "14"}"#,
            r#"{"n": 1, "o": 1.5}"#,
            r#"{}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse(r#"{"n": 14.5}"#).unwrap_err().contains("integer"));
    }
}
