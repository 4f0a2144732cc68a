//! What operators watch, in the Prometheus text format on an address of its own (`[metrics]
//! listen`): requests by route and status with their latency, verifications and their steps by
//! method and outcome, messages by channel and outcome, the outbox's depth and age, lockouts,
//! refusals by code (rate limits among them) and the answer-hashing queue. Labels are route
//! templates and words from fixed lists (methods, error codes, channels): never a username, an
//! address, a token or anything typed.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub event: &'static str,
    /// The chosen flow's methods in order, joined by `+` (`sms_otp+totp`): words from a fixed
    /// list, so the label's values stay few.
    pub methods: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    pub method: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SendLabels {
    pub channel: String,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: &'static str,
}

type Latency = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_buckets() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The server's metrics and the registry they are read from.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Latency,
    /// `started`, `completed`, `failed`.
    pub verifications: Family<EventLabels, Counter>,
    /// Per method (`sms_otp`, ...): `ok` or the refusal's code.
    pub steps: Family<StepLabels, Counter>,
    /// Per channel: `delivered`, `retrying`, `failed`.
    pub sends: Family<SendLabels, Counter>,
    pub lockouts: Counter,
    /// Refusals answered, by code (`rate_limited`, `send_limit_reached`, `busy`, ...).
    pub refusals: Family<CodeLabels, Counter>,
    outbox_depth: Gauge,
    outbox_oldest: Gauge,
    hashing_busy: Gauge,
    hashing_waiting: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("ea");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Latency = Family::new_with_constructor(latency_buckets);
        let verifications = Family::<EventLabels, Counter>::default();
        let steps = Family::<StepLabels, Counter>::default();
        let sends = Family::<SendLabels, Counter>::default();
        let lockouts = Counter::default();
        let refusals = Family::<CodeLabels, Counter>::default();
        let (outbox_depth, outbox_oldest) = (Gauge::default(), Gauge::default());
        let (hashing_busy, hashing_waiting) = (Gauge::default(), Gauge::default());
        registry.register(
            "http_requests",
            "Requests answered, by route template, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route template",
            latency.clone(),
        );
        registry.register(
            "verifications",
            "Verifications started (a flow chosen), completed and failed, by the flow's methods",
            verifications.clone(),
        );
        registry.register(
            "verification_steps",
            "Verification steps answered, by method and outcome (ok or the refusal's code)",
            steps.clone(),
        );
        registry.register(
            "messages",
            "Messages handed to a transport, by channel and outcome (delivered, retrying, failed)",
            sends.clone(),
        );
        registry.register(
            "lockouts",
            "Accounts (or a source's access to one) locked after wrong answers",
            lockouts.clone(),
        );
        registry.register(
            "refusals",
            "Requests refused, by error code (rate_limited, send_limit_reached, busy, ...)",
            refusals.clone(),
        );
        registry.register(
            "outbox_depth",
            "Messages waiting to be delivered",
            outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_age_seconds",
            "Age of the oldest message waiting to be delivered",
            outbox_oldest.clone(),
        );
        registry.register(
            "argon2_in_flight",
            "Answer hashes being computed now",
            hashing_busy.clone(),
        );
        registry.register(
            "argon2_waiting",
            "Answer hashes waiting for a free slot",
            hashing_waiting.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            verifications,
            steps,
            sends,
            lockouts,
            refusals,
            outbox_depth,
            outbox_oldest,
            hashing_busy,
            hashing_waiting,
        }
    }

    /// Counts `event` for the verification `session` is in; nothing before a flow is chosen.
    pub fn verification(&self, event: &'static str, session: &ea_core::VerificationSession) {
        let Some(flow) = &session.flow else {
            return;
        };
        let methods = flow
            .steps
            .iter()
            .map(|s| s.method().as_str())
            .collect::<Vec<_>>()
            .join("+");
        self.verifications
            .get_or_create(&EventLabels { event, methods })
            .inc();
    }

    pub fn step(&self, method: &'static str, outcome: &'static str) {
        self.steps
            .get_or_create(&StepLabels { method, outcome })
            .inc();
    }

    pub fn send(&self, channel: &str, outcome: &'static str) {
        self.sends
            .get_or_create(&SendLabels {
                channel: channel.to_owned(),
                outcome,
            })
            .inc();
    }

    /// The text exposition, with the outbox and the hashing queue read now.
    pub async fn render(&self, state: &AppState) -> String {
        match ea_store::outbox::backlog(state.store.db(), state.now()).await {
            Ok((depth, oldest)) => {
                self.outbox_depth.set(depth);
                self.outbox_oldest.set(oldest);
            }
            Err(e) => tracing::warn!(error = %e, "outbox backlog not read for the metrics"),
        }
        let hashing = &state.limiters.hashing;
        self.hashing_busy.set(hashing.busy() as i64);
        self.hashing_waiting.set(hashing.waiting() as i64);
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// A refusal's code, put on the response where the error becomes one, for the metrics.
#[derive(Debug, Clone, Copy)]
pub struct Refused(pub &'static str);

/// Counts every routed request by its route template, method and status, and times it.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // A fixed list: a request may name any method, and each name would be a new series.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "HEAD" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let m = &state.metrics;
    m.latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: res.status().as_u16(),
        })
        .inc();
    if let Some(Refused(code)) = res.extensions().get::<Refused>() {
        m.refusals.get_or_create(&CodeLabels { code }).inc();
    }
    res
}

/// `GET /metrics` on the metrics address.
pub async fn serve_metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.render(&state).await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}

/// The metrics address's own router: `/metrics` and nothing else.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(serve_metrics))
        .with_state(state)
}
