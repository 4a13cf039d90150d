//! `/admin`: the admin API an operator's dashboard reads and acts through
//! (spec/HTTP-API.md, "Admin API"), and the dashboard page itself (`admin/`,
//! embedded by build.rs). Off without an admin token: everything under
//! `/admin` then answers 404, as any unknown path.

mod actions;
mod auth;
mod read;
mod stream;

use crate::config::AdminConfig;
use crate::handle::Handle;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use lhttp_core::ServerError;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

/// The body of every answer: whole, or streamed (`/admin/api/stream`).
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A whole answer as a [`Body`] one.
pub(crate) fn boxed(resp: Response<Full<Bytes>>) -> Response<Body> {
    resp.map(BodyExt::boxed_unsync)
}

/// The admin API's state: its token, mode, sessions and failed logins.
pub(crate) struct Admin {
    /// Never logged.
    token: String,
    readonly: bool,
    /// The port answers https only: the cookie is `Secure`.
    secure: bool,
    auth: auth::Auth,
}

impl Admin {
    /// The admin state of `config`, reading the token file if one is named;
    /// `None` when no token is set. `secure`: the server answers https only.
    pub(crate) fn load(config: &AdminConfig, secure: bool) -> Result<Option<Arc<Admin>>, String> {
        let token = match (&config.token, &config.token_file) {
            (Some(t), _) => t.clone(),
            (None, Some(f)) => std::fs::read_to_string(f)
                .map_err(|e| format!("admin token file {}: {e}", f.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            (None, None) => return Ok(None),
        };
        if token.is_empty() {
            return Err("admin: the token is empty".into());
        }
        Ok(Some(Arc::new(Admin {
            token,
            readonly: config.readonly,
            secure,
            auth: auth::Auth::default(),
        })))
    }
}

/// Whether `path` is the admin API's.
pub(crate) fn is_admin(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// Routes a request under `/admin`.
pub(crate) async fn route(handle: &Handle, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    let Some(admin) = handle.extension::<Arc<Admin>>().cloned() else {
        return boxed(error(StatusCode::NOT_FOUND, ServerError::NotFound, None));
    };
    let path = req.uri().path().to_string();
    if req.method() == Method::POST && path == "/admin/login" {
        return boxed(auth::login(&admin, peer, req).await);
    }
    let Some(call) = path.strip_prefix("/admin/api/") else {
        return boxed(page(&req, &path));
    };
    if let Err(refusal) = auth::check(&admin, peer, &req).await {
        return boxed(refusal);
    }
    let query = req.uri().query().unwrap_or("").to_string();
    let answer = match (req.method().clone(), call) {
        (Method::GET, "overview") => read::overview(handle, admin.readonly).await,
        (Method::GET, "channels") => read::channels(handle, &query).await,
        (Method::GET, "channel") => read::channel(handle, &query).await,
        (Method::GET, "client") => read::client(handle, &query).await,
        (Method::GET, "stream") => return stream::events(handle, admin.readonly),
        (Method::POST, "publish" | "disconnect" | "unsubscribe") if admin.readonly => error(
            StatusCode::FORBIDDEN,
            ServerError::Forbidden,
            Some("this server's admin API is read-only (--admin-readonly)"),
        ),
        (Method::POST, "publish") => actions::publish(handle, req).await,
        (Method::POST, "disconnect") => actions::disconnect(handle, req).await,
        (Method::POST, "unsubscribe") => actions::unsubscribe(handle, req).await,
        _ => error(StatusCode::NOT_FOUND, ServerError::UnknownCall, None),
    };
    boxed(answer)
}

/// A file of the dashboard page, as embedded (`/admin` and `/admin/` are its
/// `index.html`). Served without auth: it holds no data, and its login form is
/// how a browser gets the session cookie; every call it makes is checked.
fn page(req: &Request<Incoming>, path: &str) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return error(StatusCode::NOT_FOUND, ServerError::NotFound, None);
    }
    let path = if path == "/admin" { "/admin/" } else { path };
    let Some(file) = crate::embedded::find(path) else {
        let detail = (!crate::embedded::has_admin_page())
            .then_some("this lhttpd was built without the admin page (admin/ was not found at build time)");
        return error(StatusCode::NOT_FOUND, ServerError::NotFound, detail);
    };
    let mut answer = crate::http::embedded_file(file, req.headers().get(http::header::IF_NONE_MATCH));
    // The page acts with the operator's cookie: no other site may frame it.
    answer
        .headers_mut()
        .insert(http::header::X_FRAME_OPTIONS, http::HeaderValue::from_static("DENY"));
    answer
}

/// An error answer, as every HTTP API's (`{"error": ..., "detail": ...}`).
fn error(code: StatusCode, name: ServerError, detail: Option<&str>) -> Response<Full<Bytes>> {
    crate::http::error(code, name.as_str(), detail)
}

/// A 200 JSON answer.
fn ok(value: serde_json::Value) -> Response<Full<Bytes>> {
    crate::http::json_answer(StatusCode::OK, value.to_string())
}
