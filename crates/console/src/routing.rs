//! Which requests are the console's. Kiln serves S3 on the same port, where any path may be a
//! bucket, so the console takes only what no S3 client sends: unsigned requests (no
//! `Authorization`, no `X-Amz-*` header or query parameter) that are a browser navigation
//! (`Accept: text/html`), an event stream, a form post, the two static files, or anything under
//! `/_console/`.

use http::{HeaderMap, Method, Uri};

/// The prefix always reserved for the console (each page is also reachable under it).
pub const RESERVED: &str = "/_console";

pub const CSS_PATH: &str = "/static/console.css";
pub const JS_PATH: &str = "/static/console.js";

pub fn is_console_request(method: &Method, uri: &Uri, headers: &HeaderMap) -> bool {
    if headers.contains_key(http::header::AUTHORIZATION)
        || headers.keys().any(|name| name.as_str().starts_with("x-amz-"))
        || uri.query().is_some_and(|q| q.split('&').any(|p| p.len() >= 6 && p[..6].eq_ignore_ascii_case("x-amz-")))
    {
        return false;
    }
    let path = uri.path();
    if path == RESERVED || path.starts_with("/_console/") {
        return true;
    }
    let header = |name: http::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    match *method {
        Method::GET | Method::HEAD => {
            let accept = header(http::header::ACCEPT);
            path == CSS_PATH || path == JS_PATH || accept.contains("text/html") || accept.contains("text/event-stream")
        }
        // S3's POSTs are XML or multipart; browser forms here are url-encoded.
        Method::POST => header(http::header::CONTENT_TYPE).starts_with("application/x-www-form-urlencoded"),
        _ => false,
    }
}

/// The console path of a request: the reserved prefix removed.
pub fn console_path(path: &str) -> &str {
    match path.strip_prefix(RESERVED) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, uri: &str, headers: &[(&str, &str)]) -> bool {
        let mut map = HeaderMap::new();
        for (n, v) in headers {
            map.insert(http::header::HeaderName::from_bytes(n.as_bytes()).unwrap(), v.parse().unwrap());
        }
        is_console_request(&method, &uri.parse().unwrap(), &map)
    }

    const HTML: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

    #[test]
    fn browsers_get_the_console() {
        assert!(req(Method::GET, "/", &[HTML]));
        assert!(req(Method::GET, "/projects/p", &[HTML]));
        assert!(req(Method::GET, "/builds/p:1/log/stream?from=3", &[("accept", "text/event-stream")]));
        assert!(req(Method::GET, "/static/console.css", &[("accept", "text/css,*/*;q=0.1")]));
        assert!(req(Method::GET, "/_console/anything", &[]));
        assert!(req(Method::POST, "/login", &[("content-type", "application/x-www-form-urlencoded")]));
    }

    #[test]
    fn s3_clients_keep_the_rest() {
        assert!(!req(Method::GET, "/", &[]));
        assert!(!req(Method::GET, "/bucket/key", &[("accept", "*/*")]));
        assert!(!req(Method::GET, "/static/other.css", &[]));
        assert!(!req(Method::PUT, "/projects", &[]));
        assert!(!req(Method::POST, "/b?delete", &[("content-type", "application/xml")]));
        // Signed or presigned: never the console, whatever it accepts.
        assert!(!req(Method::GET, "/", &[HTML, ("authorization", "AWS4-HMAC-SHA256 Credential=x")]));
        assert!(!req(Method::GET, "/b/k?X-Amz-Signature=00&x=1", &[HTML]));
        assert!(!req(Method::GET, "/b/k?x-amz-credential=a", &[HTML]));
        assert!(!req(Method::GET, "/b/k", &[HTML, ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]));
        assert!(!req(Method::POST, "/", &[("x-amz-target", "CodeBuild_20161006.ListProjects")]));
    }

    #[test]
    fn reserved_prefix_is_stripped() {
        assert_eq!(console_path("/_console"), "/");
        assert_eq!(console_path("/_console/builds/x"), "/builds/x");
        assert_eq!(console_path("/_consolex"), "/_consolex");
        assert_eq!(console_path("/projects/p"), "/projects/p");
    }
}
