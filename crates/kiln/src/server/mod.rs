//! The server: one port for the AWS APIs (CodeBuild, CloudWatch Logs, S3) and health.

pub mod client;
mod dispatch;
mod event_invocations;
mod extension;
mod http;
mod metrics;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kiln_executor::{ExecutorConfig, Scheduler};
use kiln_store::SqliteStore;

use crate::cli::ServeArgs;

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir();
    std::fs::create_dir_all(&data_dir).with_context(|| format!("creating data dir {}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize().with_context(|| format!("resolving {}", data_dir.display()))?;
    let keys = crate::config::load_credentials(args.credentials_file.as_deref())?;
    if keys.is_empty() && !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {} without credentials: set KILN_ACCESS_KEY_ID and KILN_SECRET_ACCESS_KEY \
             (or --credentials-file), or listen on a loopback address",
            args.listen
        );
    }
    if keys.is_empty() {
        tracing::warn!("no credentials configured: accepting requests from any signer (loopback only)");
    }

    let store = SqliteStore::open(&data_dir.join("kiln.db")).context("opening the store")?;
    let store: Arc<dyn kiln_store::Store> = Arc::new(store);
    let concurrency =
        args.concurrency.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let sandbox = match args.sandbox.as_str() {
        "none" => false,
        "bwrap" => {
            anyhow::ensure!(
                kiln_agent::sandbox::bwrap_available(),
                "--sandbox bwrap: bubblewrap (bwrap) does not work here"
            );
            true
        }
        "auto" => kiln_agent::sandbox::bwrap_available(),
        other => anyhow::bail!("--sandbox must be auto, bwrap or none, not {other:?}"),
    };
    // SecureString parameters and secret values are encrypted at rest with this key.
    let vault = kiln_api::vault::Vault::load_or_create(&data_dir.join("secrets.key"))?;
    let api_config = kiln_api::Config {
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        concurrency,
        max_queued: args.max_queued_builds.unwrap_or(concurrency.saturating_mul(5)),
        vault: Arc::new(vault),
    };
    let (objects, mut agent_env) = object_store(&args, &data_dir)?;
    // The build sandbox hides this file, however it was named (flag or environment).
    if let Some(file) = &args.credentials_file {
        let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        agent_env.push((kiln_agent::sandbox::CREDENTIALS_FILE_VAR.to_string(), file.display().to_string()));
    }
    let exec = ExecutorConfig {
        data_dir: data_dir.clone(),
        concurrency,
        sandbox,
        kiln_exe: std::env::current_exe().context("finding the kiln binary")?,
        stop_grace: Duration::from_secs_f64(args.stop_grace_seconds.max(0.0)),
        minute: Duration::from_secs_f64(args.minute_seconds.max(0.001)),
        agent_env,
        build_nice: args.build_nice,
    };
    let metrics = Arc::new(metrics::Metrics::new(store.clone()));
    let scheduler = Scheduler::start_observed(store.clone(), api_config.clone(), exec, metrics.clone());
    let caches = kiln_api::cache::CacheStorage { objects: objects.clone(), data_dir: data_dir.clone() };
    let api = kiln_api::Api::new(store, scheduler, api_config).with_caches(caches);
    let s3 = kiln_s3api::S3::new(objects, keys.clone(), args.region.clone());

    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    // Webhook payload URLs name this; behind a proxy or tunnel, --public-url says what providers reach.
    let public_url = args.public_url.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| format!("http://{local}"));
    let api = api.with_public_url(&public_url);
    // Repository events: remotes polled with --watch-repo, pushes seen by `kiln hook post-receive`.
    let repo_events = crate::repo_events::start(&args, &api)?;
    let console = kiln_console::Console::new(api.clone(), keys.clone());
    let state = Arc::new(http::State { api, keys, s3, repo_events, metrics, console });
    tracing::info!(
        "kiln listening on http://{local} (data dir {}, concurrency {concurrency}, sandbox {})",
        data_dir.display(),
        if sandbox { "bubblewrap" } else { "none" }
    );
    // Tests and scripts wait for this line on stdout to know the port.
    println!("kiln listening on http://{local}");
    let app = http::router(state);
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

type SharedObjects = Arc<dyn kiln_objects::ObjectStore>;

/// The object store for artifacts, caches and S3 sources (the S3 API serves it): the directory
/// under the data dir, or the configured S3-compatible endpoint. Also the environment that tells
/// the build agents the same (its keys travel only there, never in job files).
fn object_store(
    args: &ServeArgs,
    data_dir: &std::path::Path,
) -> anyhow::Result<(SharedObjects, Vec<(String, String)>)> {
    use kiln_agent::objects as vars;
    let Some(endpoint) = args.object_store_endpoint.clone().filter(|e| !e.is_empty()) else {
        let store = kiln_objects::FsObjectStore::open(&data_dir.join("objects")).context("opening the object store")?;
        return Ok((Arc::new(store), Vec::new()));
    };
    let region = args.object_store_region.clone().unwrap_or_else(|| args.region.clone());
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    let mut config = kiln_objects::S3Config::new(
        endpoint.clone(),
        region.clone(),
        env(vars::ACCESS_KEY_ID),
        env(vars::SECRET_ACCESS_KEY),
    );
    config.session_token = std::env::var(vars::SESSION_TOKEN).ok().filter(|t| !t.is_empty());
    let mut agent_env = vec![
        (vars::ENDPOINT.to_string(), endpoint.clone()),
        (vars::REGION.to_string(), region),
        (vars::ACCESS_KEY_ID.to_string(), config.access_key_id.clone()),
        (vars::SECRET_ACCESS_KEY.to_string(), config.secret_access_key.clone()),
    ];
    if let Some(token) = &config.session_token {
        agent_env.push((vars::SESSION_TOKEN.to_string(), token.clone()));
    }
    let store = kiln_objects::S3ObjectStore::new(config)
        .map_err(|e| anyhow::anyhow!("--object-store-endpoint {endpoint}: {e}"))?;
    tracing::info!("object store: {endpoint}");
    Ok((Arc::new(store), agent_env))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
