//! The server's own log: human-readable text, or one JSON object per line for log shippers.

/// How `kiln serve` writes its log on stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber; the level comes from RUST_LOG (default `info`).
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // Fields at the top level, so `jq .build` works without digging into `fields`.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}
