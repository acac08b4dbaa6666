//! Requests to pages and actions: session and CSRF checks, then the operation.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};
use kiln_api::{Api, ApiError, Caller};
use kiln_model::codebuild::*;

use crate::Console;
use crate::build_view::{BuildPage, artifact_locations, build_page};
use crate::html::{field, form_fields, percent_decode, segment};
use crate::routing::{CSS_PATH, JS_PATH, console_path};
use crate::session::{self, Session};

/// Form bodies are small: a token and a source version.
const MAX_FORM: usize = 64 * 1024;
/// Builds shown on a project page.
const HISTORY: usize = 50;
/// Log lines rendered into the build page (the rest arrive by the stream).
const PAGE_LOG_LINES: usize = 10_000;

const CSS: &str = include_str!("../static/console.css");
const JS: &str = include_str!("../static/console.js");

pub async fn handle(console: &Console, req: Request) -> Response {
    let path = console_path(req.uri().path()).to_string();
    if req.method() == Method::GET || req.method() == Method::HEAD {
        if path == CSS_PATH {
            return asset(CSS, "text/css; charset=utf-8");
        }
        if path == JS_PATH {
            return asset(JS, "text/javascript; charset=utf-8");
        }
    }
    let now = kiln_api::now_ms();
    let cookie = req.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(session::token_from_cookies);
    let existing = cookie.and_then(|t| console.sessions.get(t, now));
    let fresh = existing.is_none();
    let session = existing.unwrap_or_else(|| console.sessions.create(None, now));
    let mut response = route(console, req, &path, &session).await;
    if fresh && !response.headers().contains_key(header::SET_COOKIE) {
        set_cookie(&mut response, &session::set_cookie(&session.token));
    }
    secure(&mut response);
    response
}

async fn route(console: &Console, req: Request, path: &str, session: &Session) -> Response {
    let segments: Vec<String> = path.split('/').skip(1).map(|s| percent_decode(s, false)).collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let post = req.method() == Method::POST;
    match (segs.as_slice(), get, post) {
        (["login"], true, _) => {
            if console.open() || session.user.is_some() {
                redirect("/")
            } else {
                html(crate::views::login(session, None))
            }
        }
        (["login"], _, true) => login(console, req, session).await,
        (["logout"], _, true) => {
            let fields = form(req).await;
            if !session::csrf_ok(session, field(&fields, "csrf")) {
                return forbidden();
            }
            console.sessions.remove(&session.token);
            let mut response = redirect("/login");
            set_cookie(&mut response, &session::clear_cookie());
            response
        }
        _ if !(console.open() || session.user.is_some()) => {
            if get && !path.ends_with("/log/stream") {
                redirect("/login")
            } else {
                status(StatusCode::UNAUTHORIZED, "Sign in first.")
            }
        }
        ([""], true, _) => projects(console, session).await,
        (["projects", name], true, _) => project(console, session, name, None).await,
        (["projects", name, "start"], _, true) => start(console, req, session, name).await,
        (["builds", id], true, _) => build(console, session, req.headers(), id, None).await,
        (["builds", id, "log", "stream"], true, _) => {
            let last = req.headers().get("last-event-id").and_then(|v| v.to_str().ok());
            let query = form_fields(req.uri().query().unwrap_or(""));
            let from = crate::stream::start_seq(last, field(&query, "from"));
            let exists = run(&console.api, {
                let id = id.to_string();
                move |api| Ok(api.store.get_build(&id).map_err(ApiError::from)?.is_some())
            })
            .await;
            if !matches!(exists, Ok(true)) {
                return status(StatusCode::NOT_FOUND, "No such build.");
            }
            let mut response = Response::new(crate::stream::stream(console.api.clone(), id.to_string(), from));
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        (["builds", id, action @ ("stop" | "retry")], _, true) => build_action(console, req, session, id, action).await,
        _ if get => {
            let mut response = html(crate::views::not_found(Some(session), console.open(), "There is no such page."));
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
        _ => status(StatusCode::METHOD_NOT_ALLOWED, "Not allowed."),
    }
}

async fn login(console: &Console, req: Request, session: &Session) -> Response {
    let fields = form(req).await;
    if !session::csrf_ok(session, field(&fields, "csrf")) {
        return forbidden();
    }
    if console.open() {
        return redirect("/");
    }
    let id = field(&fields, "accessKeyId").unwrap_or("").trim();
    let secret = field(&fields, "secretAccessKey").unwrap_or("");
    let Some(user) = session::check_credentials(&console.keys, id, secret) else {
        let mut response = html(crate::views::login(session, Some("Those credentials are not accepted.")));
        *response.status_mut() = StatusCode::UNAUTHORIZED;
        return response;
    };
    // A new token on sign-in: the anonymous one may have been planted.
    console.sessions.remove(&session.token);
    let signed_in = console.sessions.create(Some(user), kiln_api::now_ms());
    let mut response = redirect("/");
    set_cookie(&mut response, &session::set_cookie(&signed_in.token));
    response
}

async fn projects(console: &Console, session: &Session) -> Response {
    let rows = run(&console.api, |api| {
        let mut rows = Vec::new();
        let mut token = None;
        loop {
            let page = api.list_projects(ListProjectsInput {
                sort_by: Some(ProjectSortByType::Name),
                sort_order: Some(SortOrderType::Ascending),
                next_token: token,
            })?;
            for name in page.projects.unwrap_or_default() {
                let last = last_builds(api, &name, 1)?.into_iter().next();
                rows.push((name, last));
            }
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        Ok(rows)
    })
    .await;
    match rows {
        Ok(rows) => html(crate::views::projects(session, console.open(), &rows, kiln_api::now_ms())),
        Err(e) => api_error(&e),
    }
}

/// The project's newest builds.
fn last_builds(api: &Api, project: &str, count: usize) -> Result<Vec<Build>, ApiError> {
    let ids = api
        .list_builds_for_project(ListBuildsForProjectInput {
            project_name: Some(project.to_string()),
            ..Default::default()
        })?
        .ids
        .unwrap_or_default();
    let ids: Vec<String> = ids.into_iter().take(count).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut builds = api.batch_get_builds(BatchGetBuildsInput { ids: Some(ids.clone()) })?.builds.unwrap_or_default();
    builds.sort_by_key(|b| ids.iter().position(|id| b.id.as_deref() == Some(id.as_str())));
    Ok(builds)
}

async fn project(console: &Console, session: &Session, name: &str, error: Option<&str>) -> Response {
    let name_owned = name.to_string();
    let found = run(&console.api, move |api| {
        let project = api
            .batch_get_projects(BatchGetProjectsInput { names: Some(vec![name_owned.clone()]) })?
            .projects
            .unwrap_or_default()
            .into_iter()
            .next();
        let Some(project) = project else { return Ok(None) };
        Ok(Some((project, last_builds(api, &name_owned, HISTORY)?)))
    })
    .await;
    match found {
        Ok(Some((project, builds))) => {
            let mut response = html(crate::views::project(
                session,
                console.open(),
                name,
                project.description.as_deref(),
                &builds,
                error,
                kiln_api::now_ms(),
            ));
            if error.is_some() {
                *response.status_mut() = StatusCode::BAD_REQUEST;
            }
            response
        }
        Ok(None) => not_found(console, session, &format!("There is no project {name}.")),
        Err(e) => api_error(&e),
    }
}

async fn start(console: &Console, req: Request, session: &Session, name: &str) -> Response {
    let fields = form(req).await;
    if !session::csrf_ok(session, field(&fields, "csrf")) {
        return forbidden();
    }
    let version = field(&fields, "sourceVersion").map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let input = StartBuildInput { project_name: Some(name.to_string()), source_version: version, ..Default::default() };
    let caller = Caller { access_key_id: session.user.clone() };
    match run(&console.api, move |api| api.start_build(input, &caller)).await {
        Ok(out) => match out.build.and_then(|b| b.id) {
            Some(id) => redirect(&format!("/builds/{}", segment(&id))),
            None => redirect(&format!("/projects/{}", segment(name))),
        },
        Err(e) => project(console, session, name, Some(&e.to_string())).await,
    }
}

async fn build(
    console: &Console,
    session: &Session,
    headers: &http::HeaderMap,
    id: &str,
    error: Option<&str>,
) -> Response {
    let id_owned = id.to_string();
    let found = run(&console.api, move |api| {
        let build = api
            .batch_get_builds(BatchGetBuildsInput { ids: Some(vec![id_owned]) })?
            .builds
            .unwrap_or_default()
            .into_iter()
            .next();
        let Some(build) = build else { return Ok(None) };
        let build_id = build.id.clone().unwrap_or_default();
        let query =
            kiln_store::LogQuery { from: Some(0), forward: true, limit: PAGE_LOG_LINES, start_ms: None, end_ms: None };
        let log = api.store.read_log(&build_id, &query)?;
        Ok(Some((build, log)))
    })
    .await;
    let (build, log) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(console, session, &format!("There is no build {id}.")),
        Err(e) => return api_error(&e),
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let artifacts = artifact_locations(&build)
        .into_iter()
        .map(|(name, location)| {
            let href = crate::presign::s3_object(&location).map(|(bucket, key)| {
                let now_s = kiln_api::now_ms() / 1000;
                crate::presign::presign_get(
                    &signing_key(console, session),
                    &console.api.config.region,
                    host,
                    bucket,
                    key,
                    now_s,
                )
            });
            (format!("{name}: {}", location.trim_start_matches("arn:aws:s3:::")), href)
        })
        .collect();
    let page = BuildPage {
        session,
        open: console.open(),
        build: &build,
        log: &log,
        artifacts,
        error,
        now_ms: kiln_api::now_ms(),
    };
    let mut response = html(build_page(&page));
    if error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    response
}

/// The key artifact links are signed with: the signed-in user's (an open server accepts any).
fn signing_key(console: &Console, session: &Session) -> kiln_wire::sigv4::Credentials {
    let user = session.user.as_deref();
    console.keys.iter().find(|k| Some(k.access_key_id.as_str()) == user).cloned().unwrap_or(
        kiln_wire::sigv4::Credentials {
            access_key_id: "console".to_string(),
            secret_access_key: "console".to_string(),
        },
    )
}

async fn build_action(console: &Console, req: Request, session: &Session, id: &str, action: &str) -> Response {
    let headers = req.headers().clone();
    let fields = form(req).await;
    if !session::csrf_ok(session, field(&fields, "csrf")) {
        return forbidden();
    }
    let caller = Caller { access_key_id: session.user.clone() };
    let id_owned = id.to_string();
    let result = if action == "stop" {
        run(&console.api, move |api| api.stop_build(StopBuildInput { id: Some(id_owned.clone()) }).map(|_| id_owned))
            .await
    } else {
        run(&console.api, move |api| {
            let out = api.retry_build(RetryBuildInput { id: Some(id_owned.clone()), ..Default::default() }, &caller)?;
            Ok(out.build.and_then(|b| b.id).unwrap_or(id_owned))
        })
        .await
    };
    match result {
        Ok(target) => redirect(&format!("/builds/{}", segment(&target))),
        Err(e) => build(console, session, &headers, id, Some(&e.to_string())).await,
    }
}

fn not_found(console: &Console, session: &Session, what: &str) -> Response {
    let mut response = html(crate::views::not_found(Some(session), console.open(), what));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

/// Runs operations on the blocking pool (the store is synchronous; StopBuild waits).
async fn run<T, F>(api: &Api, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Api) -> Result<T, ApiError> + Send + 'static,
{
    let api = api.clone();
    tokio::task::spawn_blocking(move || f(&api))
        .await
        .unwrap_or_else(|e| Err(ApiError::Internal(format!("console operation panicked: {e}"))))
}

/// The url-encoded form fields of a POST (empty if the body is unreadable or too large).
async fn form(req: Request) -> Vec<(String, String)> {
    match axum::body::to_bytes(req.into_body(), MAX_FORM).await {
        Ok(body) => form_fields(&String::from_utf8_lossy(&body)),
        Err(_) => Vec::new(),
    }
}

fn html(body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    secure(&mut response);
    response
}

/// 303: after a POST the browser GETs the target.
fn redirect(to: &str) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn status(code: StatusCode, message: &str) -> Response {
    let mut response = Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = code;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn forbidden() -> Response {
    status(StatusCode::FORBIDDEN, "The form's CSRF token is missing or stale: reload the page and try again.")
}

fn api_error(e: &ApiError) -> Response {
    let code = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    status(code, &e.to_string())
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// No framing, no inline scripts, no sniffing, no referrer leaking build ids.
fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}
