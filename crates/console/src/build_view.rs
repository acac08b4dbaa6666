//! The build page: summary, actions, phase timeline, environment, exported variables,
//! artifacts and the log (live while the build runs).

use kiln_model::codebuild::{Build, BuildArtifacts};
use kiln_store::LogEvent;

use crate::format::{duration_ms, short_commit, span, time};
use crate::html::{escape, segment};
use crate::layout::{badge, csrf_input, notice, page};
use crate::session::Session;
use crate::views::status_of;

/// What the build page needs besides the build.
pub struct BuildPage<'a> {
    pub session: &'a Session,
    pub open: bool,
    pub build: &'a Build,
    pub log: &'a [LogEvent],
    /// `(label, href)` of each artifact, links already presigned.
    pub artifacts: Vec<(String, Option<String>)>,
    pub error: Option<&'a str>,
    pub now_ms: i64,
}

pub fn build_page(p: &BuildPage<'_>) -> String {
    let b = p.build;
    let id = b.id.as_deref().unwrap_or("");
    let project = b.project_name.as_deref().unwrap_or("");
    let complete = b.build_complete == Some(true);
    let csrf = csrf_input(p.session);
    // Both forms are on the page; the live script swaps them when the build ends.
    let hidden = |yes: bool| if yes { " hidden" } else { "" };
    let action = format!(
        r#"<form method="post" action="/builds/{seg}/stop" id="stop-form"{stop_hidden}>{csrf}<button type="submit" class="danger">Stop</button></form><form method="post" action="/builds/{seg}/retry" id="retry-form"{retry_hidden}>{csrf}<button type="submit">Retry</button></form>"#,
        seg = segment(id),
        stop_hidden = hidden(complete),
        retry_hidden = hidden(!complete),
    );
    let summary = definitions(&[
        ("Source version", code(b.source_version.as_deref().unwrap_or(""))),
        ("Commit", code(short_commit(b.resolved_source_version.as_deref().unwrap_or("")))),
        ("Initiator", escape(b.initiator.as_deref().unwrap_or(""))),
        ("Started", escape(&time(b.start_time))),
        ("Duration", format!(r#"<span id="duration">{}</span>"#, escape(&span(b.start_time, b.end_time, p.now_ms)))),
    ]);
    let next_seq = p.log.last().map_or(0, |e| e.seq + 1);
    let mut lines = String::new();
    for e in p.log {
        lines.push_str(&log_line(e.seq, &e.message));
    }
    let body = format!(
        r#"<p class="crumbs"><a href="/projects/{pseg}">{project}</a></p>
<div class="title"><h1>Build #{number}</h1><span id="status">{status}</span><div class="actions">{action}</div></div>
{error}
<p class="muted mono">{id_text}</p>
{summary}
<section><h2>Phases</h2><div id="phases">{phases}</div></section>
<section id="log-section"><div class="log-head"><h2>Log</h2><input type="search" id="log-search" placeholder="Search the log" aria-label="Search the log"><span id="log-count" class="muted"></span></div>
<div id="log" class="log" data-stream="/builds/{seg}/log/stream?from={next_seq}" data-live="{live}">{lines}</div></section>
<div class="columns">
<section><h2>Environment</h2>{environment}</section>
<section><h2>Exported variables</h2>{exported}</section>
<section><h2>Artifacts</h2>{artifacts}</section>
</div>"#,
        pseg = segment(project),
        project = escape(project),
        number = b.build_number.unwrap_or_default(),
        status = badge(status_of(b)),
        error = p.error.map(notice).unwrap_or_default(),
        id_text = escape(id),
        phases = phases(b, p.now_ms),
        seg = segment(id),
        live = !complete,
        environment = environment(b),
        exported = exported(b),
        artifacts = artifacts(&p.artifacts),
    );
    page(&format!("{project} #{}", b.build_number.unwrap_or_default()), Some(p.session), p.open, &body)
}

/// One log line's element (also sent, rendered, by the live stream).
pub fn log_line(seq: i64, message: &str) -> String {
    format!(
        r#"<div class="ln" data-seq="{seq}">{}</div>"#,
        crate::ansi::to_html(message.trim_end_matches(['\n', '\r']))
    )
}

/// The phase timeline: each phase with its status, duration and contexts.
pub fn phases(b: &Build, now_ms: i64) -> String {
    let mut out = String::from(r#"<ol class="phases">"#);
    for phase in b.phases.as_deref().unwrap_or_default() {
        let name = phase.phase_type.map(|t| t.as_str()).unwrap_or("");
        let status = phase.phase_status.map(|s| s.as_str());
        // From the times (durationInSeconds is whole seconds); a phase still open runs to now.
        let duration = match (phase.start_time, phase.end_time) {
            (Some(start), Some(end)) => duration_ms(end.to_millis() - start.to_millis()),
            (Some(_), None) if b.build_complete != Some(true) => span(phase.start_time, None, now_ms),
            _ => String::new(),
        };
        let state = status.unwrap_or(if b.build_complete == Some(true) { "" } else { "IN_PROGRESS" });
        let mut contexts = String::new();
        for c in phase.contexts.as_deref().unwrap_or_default() {
            let text = [c.status_code.as_deref(), c.message.as_deref()]
                .into_iter()
                .flatten()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(": ");
            if !text.is_empty() {
                contexts.push_str(&format!(r#"<p class="context">{}</p>"#, escape(&text)));
            }
        }
        out.push_str(&format!(
            r#"<li class="phase {class}" data-phase="{name}"><span class="dot"></span><span class="name">{name}</span><span class="pstatus">{state}</span><span class="pdur">{duration}</span>{contexts}</li>"#,
            class = if state.is_empty() { String::new() } else { crate::format::status_class(state) },
            name = escape(name),
            state = escape(state),
            duration = escape(&duration),
        ));
    }
    out.push_str("</ol>");
    out
}

fn environment(b: &Build) -> String {
    let Some(env) = &b.environment else { return r#"<p class="muted">None</p>"#.to_string() };
    let rows = vec![
        ("Image", code(env.image.as_deref().unwrap_or(""))),
        ("Compute type", escape(env.compute_type.map(|c| c.as_str()).unwrap_or(""))),
        ("Type", escape(env.r#type.map(|t| t.as_str()).unwrap_or(""))),
    ];
    let vars: Vec<(String, String)> = env
        .environment_variables
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let kind = v.r#type.map(|t| t.as_str()).filter(|t| *t != "PLAINTEXT");
            let value = code(v.value.as_deref().unwrap_or(""));
            let value = match kind {
                Some(kind) => format!(r#"{value} <span class="muted">({})</span>"#, escape(kind)),
                None => value,
            };
            (v.name.clone().unwrap_or_default(), value)
        })
        .collect();
    let mut out = definitions(&rows);
    if !vars.is_empty() {
        out.push_str("<h3>Variables</h3>");
        out.push_str(&owned_definitions(&vars));
    }
    out
}

fn exported(b: &Build) -> String {
    let vars: Vec<(String, String)> = b
        .exported_environment_variables
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|v| (v.name.clone().unwrap_or_default(), code(v.value.as_deref().unwrap_or(""))))
        .collect();
    if vars.is_empty() { r#"<p class="muted">None</p>"#.to_string() } else { owned_definitions(&vars) }
}

fn artifacts(list: &[(String, Option<String>)]) -> String {
    if list.is_empty() {
        return r#"<p class="muted">None</p>"#.to_string();
    }
    let mut out = String::from("<ul class=\"artifacts\">");
    for (label, href) in list {
        match href {
            Some(href) => out.push_str(&format!(r#"<li><a href="{}">{}</a></li>"#, escape(href), escape(label))),
            None => out.push_str(&format!("<li><code>{}</code></li>", escape(label))),
        }
    }
    out.push_str("</ul>");
    out
}

/// The artifacts a build names, primary first: `(identifier or "primary", location)`.
pub fn artifact_locations(b: &Build) -> Vec<(String, String)> {
    let one = |a: &BuildArtifacts, default: &str| {
        let location = a.location.clone().filter(|l| !l.is_empty())?;
        Some((a.artifact_identifier.clone().unwrap_or_else(|| default.to_string()), location))
    };
    let mut out: Vec<(String, String)> = b.artifacts.iter().filter_map(|a| one(a, "primary")).collect();
    out.extend(b.secondary_artifacts.as_deref().unwrap_or_default().iter().filter_map(|a| one(a, "secondary")));
    out
}

fn code(text: &str) -> String {
    if text.is_empty() { String::new() } else { format!("<code>{}</code>", escape(text)) }
}

/// A definition list; values are already HTML.
fn definitions(rows: &[(&str, String)]) -> String {
    let mut out = String::from(r#"<dl class="defs">"#);
    for (name, value) in rows {
        out.push_str(&format!("<dt>{}</dt><dd>{value}</dd>", escape(name)));
    }
    out.push_str("</dl>");
    out
}

fn owned_definitions(rows: &[(String, String)]) -> String {
    let borrowed: Vec<(&str, String)> = rows.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    definitions(&borrowed)
}

#[cfg(test)]
mod tests {
    use kiln_model::codebuild::*;

    use super::*;

    #[test]
    fn phases_show_durations_contexts_and_the_running_phase() {
        let build = Build {
            phases: Some(vec![
                BuildPhase {
                    phase_type: Some(BuildPhaseType::Install),
                    phase_status: Some(StatusType::Failed),
                    duration_in_seconds: Some(3),
                    start_time: Some(kiln_model::Timestamp::from_millis(0)),
                    end_time: Some(kiln_model::Timestamp::from_millis(3000)),
                    contexts: Some(vec![PhaseContext {
                        status_code: Some("COMMAND_EXECUTION_ERROR".into()),
                        message: Some("Error while executing command: <oops>".into()),
                    }]),
                },
                BuildPhase {
                    phase_type: Some(BuildPhaseType::Build),
                    start_time: Some(kiln_model::Timestamp::from_millis(3000)),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        let html = phases(&build, 15_000);
        assert!(html.contains(r#"data-phase="INSTALL""#), "{html}");
        assert!(html.contains("<span class=\"pdur\">3s</span>"), "{html}");
        assert!(html.contains("COMMAND_EXECUTION_ERROR: Error while executing command: &lt;oops&gt;"), "{html}");
        assert!(html.contains(r#"<span class="pstatus">IN_PROGRESS</span><span class="pdur">12s</span>"#), "{html}");
    }

    #[test]
    fn log_lines_are_escaped_and_coloured() {
        assert_eq!(
            log_line(7, "\x1b[32m<ok>\x1b[0m\n"),
            r#"<div class="ln" data-seq="7"><span class="a-fg2">&lt;ok&gt;</span></div>"#
        );
    }
}
