//! Model `timestamp` values: epoch seconds with a fraction.
//!
//! AWS JSON 1.1 sends timestamps as a JSON number of epoch seconds (`1548717462.122`).
//! Smithy RPC v2 CBOR sends CBOR tag 1 (epoch-based date/time) around an integer or a float.
//! serde has no notion of tags, so [`Timestamp`] picks the form from
//! `Serializer::is_human_readable()`: serde_json says yes, ciborium says no.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// CBOR tag 1: "epoch-based date/time" (RFC 8949 §3.4.2).
const EPOCH_TAG: u64 = 1;

/// A point in time as seconds since the Unix epoch, with a fraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Timestamp(pub f64);

impl Timestamp {
    /// From milliseconds since the epoch (how the store keeps times).
    pub fn from_millis(millis: i64) -> Self {
        // i64 -> f64 is exact for every plausible date (|millis| < 2^53).
        Self(millis as f64 / 1000.0)
    }

    /// Milliseconds since the epoch, rounded to the nearest millisecond. Out-of-range
    /// values saturate (that is what `as` does for floats) rather than panic.
    pub fn to_millis(self) -> i64 {
        (self.0 * 1000.0).round() as i64
    }

    /// The current time from the system clock.
    pub fn now() -> Self {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => Self(since.as_secs_f64()),
            // A clock set before 1970: still representable, as a negative value.
            Err(before) => Self(-before.duration().as_secs_f64()),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_f64(self.0)
        } else {
            ciborium::tag::Required::<f64, EPOCH_TAG>(self.0).serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            return EpochSeconds::deserialize(deserializer).map(|s| Self(s.0));
        }
        // `Captured` accepts the value with or without a tag; only tag 1 is a timestamp.
        match ciborium::tag::Captured::<EpochSeconds>::deserialize(deserializer)? {
            ciborium::tag::Captured(None | Some(EPOCH_TAG), seconds) => Ok(Self(seconds.0)),
            ciborium::tag::Captured(Some(tag), _) => {
                Err(de::Error::custom(format_args!("expected CBOR tag 1 for a timestamp, found tag {tag}")))
            }
        }
    }
}

/// A number of epoch seconds, accepted as an integer or a float.
struct EpochSeconds(f64);

impl<'de> Deserialize<'de> for EpochSeconds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EpochSecondsVisitor)
    }
}

struct EpochSecondsVisitor;

impl Visitor<'_> for EpochSecondsVisitor {
    type Value = EpochSeconds;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp as a number of epoch seconds")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.is_finite() { Ok(EpochSeconds(v)) } else { Err(E::invalid_value(de::Unexpected::Float(v), &self)) }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(EpochSeconds(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(EpochSeconds(v as f64))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a panic is a test failure
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let t = Timestamp::from_millis(1_548_717_462_122);
        assert_eq!(t.0, 1_548_717_462.122);
        assert_eq!(t.to_millis(), 1_548_717_462_122);
        assert_eq!(Timestamp::from_millis(-1500).to_millis(), -1500);
    }

    #[test]
    fn now_is_after_2024() {
        assert!(Timestamp::now().0 > 1_704_067_200.0);
    }

    #[test]
    fn json_is_a_plain_number() {
        let json = serde_json::to_string(&Timestamp::from_millis(1_548_717_462_122)).unwrap();
        assert_eq!(json, "1548717462.122");
        let t: Timestamp = serde_json::from_str("1548717462").unwrap();
        assert_eq!(t, Timestamp(1_548_717_462.0));
        let t: Timestamp = serde_json::from_str("1548717462.5").unwrap();
        assert_eq!(t, Timestamp(1_548_717_462.5));
        assert!(serde_json::from_str::<Timestamp>("\"2019-01-28\"").is_err());
    }

    fn cbor(value: &impl Serialize) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(value, &mut out).unwrap();
        out
    }

    #[test]
    fn cbor_uses_tag_1() {
        let bytes = cbor(&Timestamp(1_548_717_462.5));
        // 0xc1 = major type 6 (tag), value 1; then a float.
        assert_eq!(bytes[0], 0xc1);
        let value: ciborium::Value = ciborium::from_reader(bytes.as_slice()).unwrap();
        match value {
            ciborium::Value::Tag(1, inner) => {
                assert_eq!(*inner, ciborium::Value::Float(1_548_717_462.5));
            }
            other => panic!("expected tag 1, got {other:?}"),
        }
        let back: Timestamp = ciborium::from_reader(bytes.as_slice()).unwrap();
        assert_eq!(back, Timestamp(1_548_717_462.5));
    }

    #[test]
    fn cbor_accepts_tagged_int_and_untagged_numbers() {
        let tagged_int = ciborium::Value::Tag(1, Box::new(ciborium::Value::Integer(1_548_717_462.into())));
        let t: Timestamp = ciborium::from_reader(cbor(&tagged_int).as_slice()).unwrap();
        assert_eq!(t, Timestamp(1_548_717_462.0));

        let plain_float = ciborium::Value::Float(12.25);
        let t: Timestamp = ciborium::from_reader(cbor(&plain_float).as_slice()).unwrap();
        assert_eq!(t, Timestamp(12.25));

        let wrong_tag = ciborium::Value::Tag(0, Box::new(ciborium::Value::Text("2019-01-28".into())));
        assert!(ciborium::from_reader::<Timestamp, _>(cbor(&wrong_tag).as_slice()).is_err());
        let wrong_tag_number = ciborium::Value::Tag(100, Box::new(ciborium::Value::Integer(5.into())));
        assert!(ciborium::from_reader::<Timestamp, _>(cbor(&wrong_tag_number).as_slice()).is_err());
    }
}
