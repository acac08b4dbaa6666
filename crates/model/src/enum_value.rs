//! The error of the generated enums' `FromStr`.

use std::fmt;

/// A string that is not one of a model enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEnumValue {
    /// The model shape name of the enum, e.g. `ComputeType`.
    pub enum_name: &'static str,
    /// The rejected value.
    pub value: String,
}

impl UnknownEnumValue {
    pub fn new(enum_name: &'static str, value: &str) -> Self {
        Self { enum_name, value: value.to_owned() }
    }
}

impl fmt::Display for UnknownEnumValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} value '{}'", self.enum_name, self.value)
    }
}

impl std::error::Error for UnknownEnumValue {}
