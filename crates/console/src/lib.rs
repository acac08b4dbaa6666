//! Kiln's web console: server-rendered pages over the operations layer ([`kiln_api::Api`]),
//! signed in with the server's credentials, live logs by server-sent events.
//!
//! The server asks [`is_console_request`] before its S3 fallback and hands matching requests
//! to [`Console::handle`].

mod ansi;
mod build_view;
mod format;
mod handlers;
mod html;
mod layout;
mod presign;
mod routing;
mod session;
mod stream;
mod views;

pub use routing::is_console_request;

use kiln_api::Api;
use kiln_wire::sigv4::Credentials;

/// The console's state: the operations, the accepted keys and the signed-in sessions.
pub struct Console {
    api: Api,
    keys: Vec<Credentials>,
    sessions: session::Sessions,
}

impl Console {
    /// With no `keys` the console is open, as the API is (the server then listens on loopback).
    pub fn new(api: Api, keys: Vec<Credentials>) -> Self {
        Console { api, keys, sessions: session::Sessions::default() }
    }

    /// Answers one console request.
    pub async fn handle(&self, req: axum::extract::Request) -> axum::response::Response {
        handlers::handle(self, req).await
    }

    fn open(&self) -> bool {
        self.keys.is_empty()
    }
}
