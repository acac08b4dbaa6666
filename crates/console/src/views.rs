//! The sign-in page, the projects list and a project's build history.

use kiln_model::codebuild::Build;

use crate::format::{short_commit, span, time};
use crate::html::{escape, segment};
use crate::layout::{badge, csrf_input, notice, page};
use crate::session::Session;

pub fn login(session: &Session, error: Option<&str>) -> String {
    let error = error.map(notice).unwrap_or_default();
    let body = format!(
        r#"<section class="card login">
<h1>Sign in</h1>
{error}
<form method="post" action="/login">
{csrf}
<label>Access key ID<input name="accessKeyId" autocomplete="username" required autofocus></label>
<label>Secret access key<input name="secretAccessKey" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p class="hint">Use the credentials the server was started with (<code>KILN_ACCESS_KEY_ID</code> / <code>KILN_SECRET_ACCESS_KEY</code>).</p>
</section>"#,
        csrf = csrf_input(session)
    );
    page("Sign in", None, false, &body)
}

/// The projects, each with its last build (if any).
pub fn projects(session: &Session, open: bool, rows: &[(String, Option<Build>)], now_ms: i64) -> String {
    let mut table = String::new();
    for (name, last) in rows {
        let link = format!(r#"<a href="/projects/{}">{}</a>"#, segment(name), escape(name));
        let last = match last {
            Some(b) => format!(
                r#"<td>{}</td><td><a href="{}">#{}</a></td><td>{}</td><td>{}</td>"#,
                badge(status_of(b)),
                build_href(b),
                b.build_number.unwrap_or_default(),
                escape(&time(b.start_time)),
                escape(&span(b.start_time, b.end_time, now_ms)),
            ),
            None => r#"<td colspan="4" class="muted">No builds yet</td>"#.to_string(),
        };
        table.push_str(&format!(r#"<tr><td data-label="Project">{link}</td>{last}</tr>"#));
    }
    let body = if rows.is_empty() {
        r#"<h1>Projects</h1><p class="muted">No projects yet: create one with <code>aws codebuild create-project --endpoint-url …</code>.</p>"#
            .to_string()
    } else {
        format!(
            r#"<h1>Projects</h1>
<table class="list"><thead><tr><th>Project</th><th>Last build</th><th>Build</th><th>Started</th><th>Duration</th></tr></thead>
<tbody>{table}</tbody></table>"#
        )
    };
    page("Projects", Some(session), open, &body)
}

/// A project's builds, newest first, with the start form.
pub fn project(
    session: &Session,
    open: bool,
    name: &str,
    description: Option<&str>,
    builds: &[Build],
    error: Option<&str>,
    now_ms: i64,
) -> String {
    let mut rows = String::new();
    for b in builds {
        rows.push_str(&format!(
            r#"<tr><td><a href="{href}">#{number}</a></td><td>{status}</td><td><code>{version}</code></td><td><code>{commit}</code></td><td>{started}</td><td>{duration}</td></tr>"#,
            href = build_href(b),
            number = b.build_number.unwrap_or_default(),
            status = badge(status_of(b)),
            version = escape(b.source_version.as_deref().unwrap_or("")),
            commit = escape(short_commit(b.resolved_source_version.as_deref().unwrap_or(""))),
            started = escape(&time(b.start_time)),
            duration = escape(&span(b.start_time, b.end_time, now_ms)),
        ));
    }
    let history = if builds.is_empty() {
        r#"<p class="muted">No builds yet.</p>"#.to_string()
    } else {
        format!(
            r#"<table class="list"><thead><tr><th>Build</th><th>Status</th><th>Source version</th><th>Commit</th><th>Started</th><th>Duration</th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let description = description
        .filter(|d| !d.is_empty())
        .map(|d| format!(r#"<p class="muted">{}</p>"#, escape(d)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>{title}</h1>
{description}
{error}
<form method="post" action="/projects/{seg}/start" class="card start">
{csrf}
<label>Source version<input name="sourceVersion" placeholder="the project's default (branch, tag or commit)"></label>
<button type="submit">Start build</button>
</form>
<h2>Build history</h2>
{history}"#,
        title = escape(name),
        error = error.map(notice).unwrap_or_default(),
        seg = segment(name),
        csrf = csrf_input(session),
    );
    page(name, Some(session), open, &body)
}

pub fn not_found(session: Option<&Session>, open: bool, what: &str) -> String {
    page("Not found", session, open, &format!(r#"<h1>Not found</h1><p>{}</p>"#, escape(what)))
}

/// The build's status, `IN_PROGRESS` until it has one.
pub fn status_of(b: &Build) -> &'static str {
    b.build_status.map(|s| s.as_str()).unwrap_or("IN_PROGRESS")
}

pub fn build_href(b: &Build) -> String {
    format!("/builds/{}", segment(b.id.as_deref().unwrap_or("")))
}
