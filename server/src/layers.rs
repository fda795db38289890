//! Middleware applied to every response: request id, tracing, security headers, compression, limits, and the
//! JSON error envelope for `/api` responses that no handler produced (router 404/405, body limit, timeout, panic).

use std::any::Any;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::error::ApiError;

/// The Content-Security-Policy of every response: our own origin only; `wasm-unsafe-eval` lets the browser
/// compile the WebAssembly module, nothing else.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'; object-src 'none'";

/// Features the application never uses.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Applies the whole middleware stack to `router`.
pub fn apply(router: Router, config: &Config) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let security = ServiceBuilder::new()
        // A handler may set its own policy (the identity document: `sandbox`, framed by our pages only).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        // Not on the embedded form, whose `frame-ancestors` names the allowed intranets (see crate::embed).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            DenyFraming,
        ))
        .layer(header_layer(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ))
        .layer(header_layer(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        // A handler may share a resource with other origins (the embed loader, `/embed.js`).
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .option_layer(
            config
                .is_https()
                .then(|| header_layer(header::STRICT_TRANSPORT_SECURITY, HSTS)),
        );

    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            MakeRequestUuid,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(security)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(api_envelope))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.http.request_timeout,
        ));
    router.layer(stack)
}

/// Limits the request bodies of every route of `router` (added before this call) to `max_bytes`: larger
/// requests get `413` (with the envelope under `/api`, see [`apply`]).
pub fn body_limit<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    max_bytes: usize,
) -> Router<S> {
    router.layer(
        ServiceBuilder::new()
            .layer(RequestBodyLimitLayer::new(max_bytes))
            .layer(DefaultBodyLimit::max(max_bytes)),
    )
}

/// Marks a response whose Content-Security-Policy `frame-ancestors` decides who may frame it: it gets no
/// `X-Frame-Options`, which can only say DENY or SAMEORIGIN and would override the list in older browsers.
#[derive(Debug, Clone, Copy)]
pub struct FramingByPolicy;

/// `X-Frame-Options: DENY`, except on responses marked [`FramingByPolicy`].
#[derive(Debug, Clone, Copy)]
struct DenyFraming;

impl<B> tower_http::set_header::MakeHeaderValue<Response<B>> for DenyFraming {
    fn make_header_value(&mut self, response: &Response<B>) -> Option<HeaderValue> {
        (response.extensions().get::<FramingByPolicy>().is_none())
            .then(|| HeaderValue::from_static("DENY"))
    }
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// The request span: method, matched route (never the raw path or query string, which could carry personal
/// data), request id.
fn make_span(request: &Request<Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("<fallback>", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Turns `/api` error responses that are not already JSON into the error envelope (keeping headers such as
/// `Allow`).
async fn api_envelope(request: Request, next: Next) -> Response {
    let is_api = {
        let path = request.uri().path();
        path == "/api" || path.starts_with("/api/")
    };
    let response = next.run(request).await;
    let status = response.status();
    if !is_api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut enveloped = ApiError::from_status(status).into_response();
    *enveloped.status_mut() = status;
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(value) = parts.headers.get(&name) {
            enveloped.headers_mut().insert(name, value.clone());
        }
    }
    enveloped
}
