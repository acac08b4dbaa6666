//! `bootstrap`: the executable the provided.al2023 Lambda runtime starts. It reads the
//! configuration and the AWS SDK's settings once, then serves invocations with [`handle`].

use aws_config::BehaviorVersion;
use aws_sdk_codebuild::Client;
use kiln_lambda::{Config, codebuild_config, handle};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // Lambda stamps each log line with the time itself, and CloudWatch shows no colours.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(false)
        .without_time()
        .init();
    // A bad configuration fails the cold start, which Lambda reports as an init error.
    let config = Config::from_env().inspect_err(|e| tracing::error!("bad configuration: {e}"))?;
    // The standard chain: region, credentials, and AWS_ENDPOINT_URL_CODEBUILD / AWS_ENDPOINT_URL.
    let sdk = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let codebuild = codebuild_config(&sdk, |name| std::env::var(name).ok())
        .inspect_err(|e| tracing::error!("bad configuration: {e}"))?;
    let client = Client::from_conf(codebuild);
    let (client, config) = (&client, &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(event.payload, client, config).await
    }))
    .await
}
