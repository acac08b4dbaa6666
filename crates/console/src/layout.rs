//! The page frame: head, header with the sign-out form, and the main content.

use crate::html::escape;
use crate::session::Session;

/// A whole page. `session` is `None` on the sign-in page (no header actions).
pub fn page(title: &str, session: Option<&Session>, open: bool, body: &str) -> String {
    let nav = match session {
        Some(s) => {
            let who = s.user.as_deref().map(escape).unwrap_or_else(|| "local".to_string());
            let sign_out = if open {
                String::new()
            } else {
                format!(
                    r#"<form method="post" action="/logout" class="inline">{}<button class="link">Sign out</button></form>"#,
                    csrf_input(s)
                )
            };
            format!(r#"<nav><a href="/">Projects</a><span class="who">{who}</span>{sign_out}</nav>"#)
        }
        None => String::new(),
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Kiln</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/console.css">
<script src="/static/console.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">Kiln</a>{nav}</header>
<main>
{body}
</main>
</body>
</html>
"#,
        title = escape(title)
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf_input(session: &Session) -> String {
    format!(r#"<input type="hidden" name="csrf" value="{}">"#, escape(&session.csrf))
}

/// A status badge.
pub fn badge(status: &str) -> String {
    format!(r#"<span class="badge {}">{}</span>"#, crate::format::status_class(status), escape(status))
}

/// A message box (errors from the operations, shown above the content).
pub fn notice(message: &str) -> String {
    format!(r#"<p class="notice" role="alert">{}</p>"#, escape(message))
}
