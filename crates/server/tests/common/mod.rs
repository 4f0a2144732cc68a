//! Shared harness for the in-process API tests: a real router on a database built by the
//! migrations (a SQLite file, or with `EA_TEST_STORE=postgres` a fresh PostgreSQL database), a
//! manual clock, and the dev sink as the delivery channel.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod process;
pub mod slapd;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ea_api::endpoints::{self as ep, Endpoint};
use ea_core::answers::HashCost;
use ea_core::seal::Kek;
use ea_core::totp::{TotpParams, code_at};
use ea_server::clock::ManualClock;
use ea_server::config::{DevSinkConfig, DispatchConfig};
use ea_server::dispatch::{self, Transports};
use ea_server::keys::Keys;
use ea_server::{AppState, admin};
use ea_store::Store;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

pub const T0: i64 = 1_800_000_000;
pub const SECRET: &[u8] = b"12345678901234567890";
pub const SECRET_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

#[allow(missing_debug_implementations)]
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pub kek: Kek,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub transports: Transports,
    /// The client address requests claim (through the trusted-proxy header), if any.
    pub source: std::sync::Mutex<Option<String>>,
    /// Tenants whose accounts live in an LDAP directory.
    pub ldap: HashMap<String, Arc<ea_server::ldap::LdapDirectory>>,
}

/// The harness's server limits: the defaults, with the proxy header trusted so that tests can
/// speak from several client addresses.
pub fn test_limits() -> ea_server::abuse::ServerLimits {
    ea_server::abuse::ServerLimits {
        trusted_proxy_header: Some("x-forwarded-for".into()),
        ..Default::default()
    }
}

pub fn dispatch_config(dir: &std::path::Path) -> DispatchConfig {
    DispatchConfig {
        sms: None,
        email: None,
        dev_sink: Some(DevSinkConfig {
            path: dir.join("messages.log"),
            tenants: vec!["acme".into(), "solo".into()],
        }),
        max_attempts: 3,
        lease_seconds: 60,
        tenants: Default::default(),
    }
}

impl Harness {
    pub async fn new() -> Harness {
        // Failures of ours are logged; a failing test shows them with its output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("error")
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = ea_testkit::database::fresh(dir.path(), "ea").await;
        let store = Store::connect(&db_url).await.expect("store");
        let kek = Kek::generate(&mut rand::rng());
        let keys = Keys::new(kek.clone());
        let acme = admin::add_tenant(&store, "acme", "Acme", Some("41"), 15)
            .await
            .expect("tenant");
        let solo = admin::add_tenant(&store, "solo", "Solo", None, 15)
            .await
            .expect("tenant");
        for f in ["sms-totp", "email-questions"] {
            admin::import_flow_text(&store, &acme, f, &flow_text(f))
                .await
                .expect("flow");
        }
        admin::import_flow_text(&store, &solo, "totp-only", &flow_text("totp-only"))
            .await
            .expect("flow");
        let users = json!({ "users": [{
            "username": "alice",
            "phones": ["+41 79 123 45 67"],
            "emails": ["Alice@Example.org"],
            "questions": [
                {"question": "First pet?", "answer": "Rex"},
                {"question": "Birth city?", "answer": "Zürich"},
                {"question": "First school?", "answer": "Hillside"}
            ],
            "totp": {"secret": SECRET_B32}
        }]});
        for tenant in [&acme, &solo] {
            admin::import_users_text(
                &store,
                tenant,
                &keys,
                HashCost::TEST,
                "users",
                &users.to_string(),
            )
            .await
            .expect("users");
        }
        let clock = Arc::new(ManualClock::new(T0));
        let cfg = dispatch_config(dir.path());
        let transports = Transports::from_config(&cfg).expect("transports");
        let state = AppState::new(store, keys, clock.clone(), cfg, HashCost::TEST)
            .with_limits(test_limits());
        Harness {
            dir,
            db_url,
            kek,
            clock,
            state,
            transports,
            source: std::sync::Mutex::new(None),
            ldap: HashMap::new(),
        }
    }

    /// A fresh server process on the same database and key ("restart").
    pub async fn restart(&mut self) {
        self.restart_with(test_limits()).await;
    }

    /// A restart with other server limits.
    pub async fn restart_with(&mut self, limits: ea_server::abuse::ServerLimits) {
        let store = Store::connect(&self.db_url).await.expect("reopen");
        let cfg = dispatch_config(self.dir.path());
        self.state = AppState::new(
            store,
            Keys::new(self.kek.clone()),
            self.clock.clone(),
            cfg,
            HashCost::TEST,
        )
        .with_limits(limits)
        .with_ldap(self.ldap.clone());
    }

    /// The tenant `slug`'s accounts live in `directory` from now on (a restart).
    pub async fn use_ldap(&mut self, slug: &str, directory: ea_server::ldap::LdapDirectory) {
        self.ldap.insert(slug.to_owned(), Arc::new(directory));
        self.restart().await;
    }

    /// Later requests come from `ip` (`None`: from no address in particular).
    pub fn from(&self, ip: Option<&str>) {
        *self.source.lock().unwrap() = ip.map(str::to_owned);
    }

    pub async fn raw(&self, req: Request<Body>) -> (StatusCode, Value) {
        answer(self.state.clone(), req).await
    }

    /// Calls endpoint `E` as declared in `ea_api::endpoints` and checks the answer against the
    /// declaration: the status is one the OpenAPI document lists for `E`, and a refusal's code
    /// is one of those behind that status. Every test through here is a conformance check.
    pub async fn call<E: Endpoint>(
        &self,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_info(&E::INFO, token, body).await
    }

    /// [`Harness::call`] for an endpoint chosen at run time.
    pub async fn call_info(
        &self,
        info: &ea_api::endpoints::EndpointInfo,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, v) = self
            .request(info.method.as_str(), info.path, token, body)
            .await;
        let documented = ea_server::http::openapi::statuses(info);
        let codes = documented.get(&status.as_u16()).unwrap_or_else(|| {
            panic!(
                "{} {} answered {status}, which its declaration does not list ({:?}): {v}",
                info.method.as_str(),
                info.path,
                documented.keys().collect::<Vec<_>>()
            )
        });
        // A status with codes is a refusal; one without is the endpoint's own answer.
        if !codes.is_empty() {
            let code = v["code"].as_str().unwrap_or_default();
            assert!(
                codes.contains(&code),
                "{} {} answered {status} with {code:?}, not one of {codes:?}",
                info.method.as_str(),
                info.path
            );
        }
        (status, v)
    }

    /// Any request by method and path (for paths and methods that are not endpoints).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let source = self.source.lock().unwrap().clone();
        let req = request(method, path, token, body, source.as_deref());
        self.raw(req).await
    }

    pub async fn start(&self, tenant: &str, username: &str) -> (String, Value) {
        let (s, v) = self
            .call::<ep::StartSession>(None, Some(json!({"tenant": tenant, "username": username})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (
            v["token"].as_str().expect("token").to_owned(),
            v["session"].clone(),
        )
    }

    /// Starts a session of alice in `acme`, chooses `flow` and confirms `contact`: a code is on its
    /// way. Returns the session token.
    pub async fn send_code(&self, flow: &str, contact: &str) -> String {
        let (t, _) = self.start("acme", "alice").await;
        let (st, v) = self
            .call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": flow})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let (st, v) = self
            .call::<ep::ConfirmContact>(Some(&t), Some(json!({"contact_id": 0, "value": contact})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        t
    }

    /// Alice verifies in acme with her SMS code and her authenticator; returns the session
    /// token of the completed verification. The clock moves on 30 s first, so every call has a
    /// fresh authenticator step.
    pub async fn complete_sms_totp(&self) -> String {
        self.complete_sms_totp_as("alice").await
    }

    /// [`Harness::complete_sms_totp`] for another user of acme with alice's phone and
    /// authenticator.
    pub async fn complete_sms_totp_as(&self, username: &str) -> String {
        self.clock.advance(30);
        let (t, _) = self.start("acme", username).await;
        let (st, v) = self
            .call::<ep::ChooseFlow>(Some(&t), Some(json!({"flow_id": "sms-totp"})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let body = json!({"contact_id": 0, "value": "+41791234567"});
        let (st, v) = self.call::<ep::ConfirmContact>(Some(&t), Some(body)).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        let code = self.code_for("+41791234567").await;
        self.call::<ep::VerifyCode>(Some(&t), Some(json!({"code": code})))
            .await;
        let (st, v) = self
            .call::<ep::VerifyTotp>(Some(&t), Some(json!({"code": self.totp(0)})))
            .await;
        assert_eq!(
            (st, v["status"].as_str()),
            (StatusCode::OK, Some("completed")),
            "{v}"
        );
        t
    }

    /// Delivers due messages and returns everything the dev sink received so far.
    pub async fn delivered(&self) -> String {
        dispatch::deliver_due(&self.state, &self.transports, 3, &mut HashMap::new())
            .await
            .expect("deliver");
        std::fs::read_to_string(self.dir.path().join("messages.log")).unwrap_or_default()
    }

    /// Sets the policy sections in `text` (TOML, as `ea-server tenant policy` reads it) for the
    /// tenant `slug`.
    pub async fn policy(&self, slug: &str, text: &str) {
        let t = self.tenant(slug).await;
        ea_server::admin_actions::set_policies(&self.state.store, &t, "policy", text)
            .await
            .expect("policy");
    }

    /// Imports `users` (the list of a user file's `users`) into the tenant `slug`.
    pub async fn import_users(&self, slug: &str, users: Value) {
        let t = self.tenant(slug).await;
        admin::import_users_text(
            &self.state.store,
            &t,
            &Keys::new(self.kek.clone()),
            HashCost::TEST,
            "users",
            &json!({ "users": users }).to_string(),
        )
        .await
        .expect("users");
    }

    /// `POST /v1/session/actions/reset-password` on session `t`.
    pub async fn reset_password(&self, t: &str, password: &str) -> (StatusCode, Value) {
        self.call::<ep::ResetPassword>(Some(t), Some(json!({"new_password": password})))
            .await
    }

    /// A new relying party of the tenant `slug`: its API key.
    pub async fn relying_party(&self, slug: &str) -> String {
        let t = self.tenant(slug).await;
        ea_server::admin_actions::add_relying_party(&self.state.store, &t, "portal", None)
            .await
            .expect("relying party")
    }

    /// The tenant `slug`.
    pub async fn tenant(&self, slug: &str) -> ea_store::tenants::Tenant {
        ea_store::tenants::by_slug(self.state.store.db(), slug)
            .await
            .expect("tenant")
            .expect("known tenant")
    }

    /// The id of the tenant `slug`.
    pub async fn tenant_id(&self, slug: &str) -> i64 {
        self.tenant(slug).await.id
    }

    /// Delivers due messages and returns the newest code sent to `destination`.
    pub async fn code_for(&self, destination: &str) -> String {
        let log = self.delivered().await;
        last_code(&log, destination)
            .unwrap_or_else(|| panic!("no message to {destination} in:\n{log}"))
    }

    /// Sets the enrolment profile of tenant `slug` from `text` (TOML).
    pub async fn enrolment_profile(&self, slug: &str, text: &str) {
        let t = self.tenant(slug).await;
        ea_server::admin_actions::set_enrolment_profile(&self.state.store, &t, "profile", text)
            .await
            .expect("profile");
    }

    /// Invites `username` of `slug` to enrol at `email`; the enrolment code.
    pub async fn invite(&self, slug: &str, username: &str, email: &str) -> String {
        let t = self.tenant(slug).await;
        let invited =
            ea_server::enrolment::invite(&self.state, &t, false, username, Some(email), None, 7)
                .await
                .expect("invited");
        invited.code.to_string()
    }

    /// Invites `username` and opens the enrolment with the code and the invited address's code;
    /// the enrolment token and its view.
    pub async fn enrol(&self, slug: &str, username: &str, email: &str) -> (String, Value) {
        let code = self.invite(slug, username, email).await;
        let body = json!({"tenant": slug, "username": username, "code": code});
        let (st, v) = self.call::<ep::StartEnrolment>(None, Some(body)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
        let token = v["token"].as_str().expect("token").to_owned();
        let code = self.code_for(email).await;
        let (st, v) = self
            .call::<ep::ConfirmEnrolmentAddress>(Some(&token), Some(json!({"code": code})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        (token, v)
    }

    pub fn totp(&self, offset: i64) -> String {
        code_at(
            SECRET,
            TotpParams::default(),
            (self.clock_now() / 30 + offset) as u64,
        )
    }

    pub fn clock_now(&self) -> i64 {
        ea_server::clock::Clock::now(self.clock.as_ref())
    }
}

/// A request as the harness sends it: bearer token, JSON body, and the client address through
/// the trusted-proxy header, each if given.
pub fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    source: Option<&str>,
) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(ip) = source {
        b = b.header("x-forwarded-for", ip);
    }
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    match body {
        Some(v) => b
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request")
}

/// Sends `req` to a router on `state`: the status and the JSON body (`Null` when empty). Free of
/// the harness, for requests sent from spawned tasks at once.
pub async fn answer(state: AppState, req: Request<Body>) -> (StatusCode, Value) {
    let res = ea_server::app(state)
        .oneshot(req)
        .await
        .expect("infallible");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, v)
}

pub fn flow_text(id: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../flows/{id}.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("flow file")
}

/// The first run of 6 or more digits in the last message to `destination`.
pub fn last_code(log: &str, destination: &str) -> Option<String> {
    let header = format!(" to {destination}\n");
    let at = log.rfind(&header)?;
    let body = &log[at + header.len()..];
    let body = body.split("--- message").next()?;
    let mut run = String::new();
    for c in body.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else if run.len() >= 6 {
            return Some(run);
        } else {
            run.clear();
        }
    }
    (run.len() >= 6).then_some(run)
}

/// The JSON's shape: objects keep keys, everything else becomes its type name.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        Value::Number(_) => json!("number"),
        Value::Bool(_) => json!("bool"),
        Value::Null => json!("null"),
    }
}

/// Waits up to 30 s for `f` to hold; fails the test, naming `what`, when it does not.
pub async fn eventually_true(what: &str, mut f: impl FnMut() -> bool) {
    ea_testkit::eventually(what, std::time::Duration::from_secs(30), async || {
        f().then_some(())
    })
    .await;
}
