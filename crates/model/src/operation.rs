//! Static descriptions of a service's operations, emitted by the generator.

/// One operation of a service model; shape names are the model's (wire) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationInfo {
    /// The operation name, as in `X-Amz-Target: <prefix>.<name>`.
    pub name: &'static str,
    /// The input shape, or `""` if the operation takes none.
    pub input: &'static str,
    /// The output shape, or `""` if the operation returns none.
    pub output: &'static str,
    /// The exception shapes the model declares for this operation.
    pub errors: &'static [&'static str],
}

impl OperationInfo {
    /// Looks an operation up by name in a generated table (which is sorted by name).
    pub fn find(table: &'static [OperationInfo], name: &str) -> Option<&'static OperationInfo> {
        table.binary_search_by(|op| op.name.cmp(name)).ok().and_then(|i| table.get(i))
    }
}
