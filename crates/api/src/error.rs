//! The one error type of the operation layer, mapped by the server onto AWS wire errors.

use kiln_store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    ResourceAlreadyExists(String),
    #[error("{0}")]
    AccountLimitExceeded(String),
    /// An operation of the model that Kiln does not implement (yet).
    #[error("{0}")]
    Unsupported(String),
    /// The store failed: a fault of the service, not of the request.
    #[error("{0}")]
    Internal(String),
    /// An error a service names itself (`ParameterNotFound`, `ResourceExistsException`, ...).
    #[error("{1}")]
    Named(&'static str, String),
}

impl ApiError {
    /// The exception name on the wire (`__type`).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidInput(_) => "InvalidInputException",
            ApiError::ResourceNotFound(_) => "ResourceNotFoundException",
            ApiError::ResourceAlreadyExists(_) => "ResourceAlreadyExistsException",
            ApiError::AccountLimitExceeded(_) => "AccountLimitExceededException",
            ApiError::Unsupported(_) => "UnsupportedOperationException",
            ApiError::Internal(_) => "InternalFailure",
            ApiError::Named(code, _) => code,
        }
    }

    /// The HTTP status: 400 for everything the caller did, 500 only for our own faults.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Internal(_) => 500,
            _ => 400,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyExists(what) => ApiError::ResourceAlreadyExists(format!("{what} already exists")),
            StoreError::NotFound(what) => ApiError::ResourceNotFound(format!("{what} not found")),
            StoreError::LimitExceeded(what) => ApiError::AccountLimitExceeded(what),
            StoreError::InvalidToken(msg) => ApiError::InvalidInput(format!("Invalid nextToken: {msg}")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<kiln_model::ValidationErrors> for ApiError {
    fn from(e: kiln_model::ValidationErrors) -> Self {
        ApiError::InvalidInput(e.to_string())
    }
}
