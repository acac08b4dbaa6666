//! Records of CodeBuild webhooks and of the deliveries that reach them.
//!
//! A project has at most one webhook; its payload URL carries an opaque token, by which the
//! deliveries find it. Each delivery is kept with its outcome. The store's one rule about them:
//! a provider delivery id is claimed once per project by a delivery that is starting (or has
//! started) a build, so a redelivery cannot start a second one.

/// A project's webhook as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRecord {
    /// The project; deleting the project deletes its webhook.
    pub project: String,
    /// The payload URL's token; unique.
    pub token: String,
    /// The secret, as the operation layer keeps it (sealed); `None` for webhooks without one.
    pub secret: Option<Vec<u8>>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The rest (filter groups, build type, ...) as JSON; opaque to the store.
    pub doc: String,
}

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Accepted and starting a build: the delivery id is claimed.
    Pending,
    /// A build was started: its id. The delivery id stays claimed.
    Started(String),
    /// Understood and trusted, but nothing to build: why.
    Ignored(String),
    /// Not trusted or not understood (bad signature, malformed payload): why.
    Rejected(String),
    /// Accepted, but the build could not start: why. A redelivery may try again.
    Failed(String),
    /// The delivery id was already claimed by this earlier delivery (its `id`); nothing done.
    Duplicate(String),
}

impl DeliveryOutcome {
    /// The kind, as stored and shown: `PENDING`, `STARTED`, `IGNORED`, `REJECTED`, `FAILED`,
    /// `DUPLICATE`.
    pub fn kind(&self) -> &'static str {
        match self {
            DeliveryOutcome::Pending => "PENDING",
            DeliveryOutcome::Started(_) => "STARTED",
            DeliveryOutcome::Ignored(_) => "IGNORED",
            DeliveryOutcome::Rejected(_) => "REJECTED",
            DeliveryOutcome::Failed(_) => "FAILED",
            DeliveryOutcome::Duplicate(_) => "DUPLICATE",
        }
    }

    /// The build id, reason or earlier delivery (empty for `Pending`).
    pub fn detail(&self) -> &str {
        match self {
            DeliveryOutcome::Pending => "",
            DeliveryOutcome::Started(s)
            | DeliveryOutcome::Ignored(s)
            | DeliveryOutcome::Rejected(s)
            | DeliveryOutcome::Failed(s)
            | DeliveryOutcome::Duplicate(s) => s,
        }
    }

    /// Back from [`kind`](Self::kind) and [`detail`](Self::detail).
    pub fn from_parts(kind: &str, detail: String) -> Option<DeliveryOutcome> {
        Some(match kind {
            "PENDING" => DeliveryOutcome::Pending,
            "STARTED" => DeliveryOutcome::Started(detail),
            "IGNORED" => DeliveryOutcome::Ignored(detail),
            "REJECTED" => DeliveryOutcome::Rejected(detail),
            "FAILED" => DeliveryOutcome::Failed(detail),
            "DUPLICATE" => DeliveryOutcome::Duplicate(detail),
            _ => return None,
        })
    }

    /// Whether a delivery with this outcome holds its delivery id.
    pub fn claims(&self) -> bool {
        matches!(self, DeliveryOutcome::Pending | DeliveryOutcome::Started(_))
    }
}

/// One delivery as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    /// Kiln's id of the delivery; unique.
    pub id: String,
    pub project: String,
    /// The provider's id of the delivery (`X-GitHub-Delivery`, ...), when it sent one.
    pub delivery_id: Option<String>,
    pub received_ms: i64,
    pub outcome: DeliveryOutcome,
    /// Hex SHA-256 of the body as received.
    pub payload_sha256: String,
    /// The rest (provider, event, ...) as JSON; opaque to the store.
    pub doc: String,
}
