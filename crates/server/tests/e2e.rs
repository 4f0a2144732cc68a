//! End to end: the built `ea-server` binary as a process, configured through its CLI, serving
//! HTTPS, delivering SMS through a local HTTPS stub gateway and email through a real local SMTP
//! server (aiosmtpd, STARTTLS required). The codes are read from what those two received.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use ea_api::endpoints::{self as ep, Endpoint};
use ea_core::totp::{TotpParams, code_at};
use ea_testkit::{Running, eventually, free_port};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET_B32: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const ANSWERS: [(&str, &str); 3] = [
    ("First pet?", "Rex"),
    ("Birth city?", "Zürich"),
    ("First school?", "Hillside"),
];

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ea-server")
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("EA_TEST_PYTHON") {
        return p.into();
    }
    let venv = workspace().join(".venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with aiosmtpd: run the README test command (it creates .venv) or set EA_TEST_PYTHON"
    );
    venv
}

fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args([
            "--database",
            &format!("sqlite:{}", dir.join("ea.db").display()),
            "--kek-file",
            &dir.join("kek").display().to_string(),
        ])
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("run ea-server")
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: std::process::Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr should mention {n:?}: {err}");
    }
}

#[derive(Default)]
struct Gateway {
    messages: Mutex<Vec<Value>>,
    calls: AtomicUsize,
}

async fn gateway_sms(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> StatusCode {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer stub-token") {
        return StatusCode::UNAUTHORIZED;
    }
    // The first call fails like a gateway hiccup: the outbox must retry.
    if gw.calls.fetch_add(1, Ordering::SeqCst) == 0 {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut m = gw.messages.lock().expect("lock");
    m.push(json!({"to": body["to"], "text": body["text"], "key": key}));
    StatusCode::ACCEPTED
}

/// Waits up to 30 s for `f` to give a value.
async fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    eventually(what, Duration::from_secs(30), async || f()).await
}

fn digits(text: &str, len: usize) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == len)
        .map(str::to_owned)
}

struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// Posts to endpoint `E` of the running server.
    async fn post<E: Endpoint>(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        let path = E::INFO.path;
        let mut r = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let res = r.send().await.expect("request");
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_complete_over_real_sms_gateway_and_smtp() {
    ea_server::serve::install_crypto();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("cert");
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    std::fs::write(dir.join("cert.pem"), &cert_pem).expect("write");
    std::fs::write(dir.join("key.pem"), &key_pem).expect("write");

    // The HTTPS SMS gateway stub.
    let gw = Arc::new(Gateway::default());
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert_pem.clone().into_bytes(),
        key_pem.clone().into_bytes(),
    )
    .await
    .expect("tls");
    let handle = axum_server::Handle::new();
    let app = Router::new()
        .route("/sms", post(gateway_sms))
        .with_state(gw.clone());
    let server =
        axum_server::bind_rustls("127.0.0.1:0".parse().expect("addr"), tls).handle(handle.clone());
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    let gw_addr = handle.listening().await.expect("gateway listening");

    // The SMTP server.
    let smtp_port = free_port();
    let mail_dir = dir.join("mail");
    let mut smtp = Command::new(python())
        .arg(workspace().join("crates/server/tests/support/smtp_server.py"))
        .args([
            &smtp_port.to_string(),
            &dir.join("cert.pem").display().to_string(),
            &dir.join("key.pem").display().to_string(),
            &mail_dir.display().to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start SMTP server");
    let mut line = String::new();
    BufReader::new(smtp.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("smtp ready");
    assert_eq!(line.trim(), "ready");
    let _smtp = Running(smtp);

    // Configure the server through its CLI, including refusals of bad input.
    let config = format!(
        "[dispatch]\nmax_attempts = 4\n[dispatch.sms]\nkind = \"webhook\"\nurl = \"https://{gw_addr}/sms\"\nauthorization = {{ file = \"{auth}\" }}\nca_cert = \"{cert}\"\n\
         [dispatch.email]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nfrom = \"Acme IT <it@acme.example>\"\nca_cert = \"{cert}\"\n",
        cert = dir.join("cert.pem").display(),
        auth = dir.join("gateway-auth").display()
    );
    // The gateway's credential is pointed to, never written in the configuration.
    std::fs::write(dir.join("gateway-auth"), "Bearer stub-token\n").expect("write secret");
    std::fs::write(dir.join("server.toml"), config).expect("write config");
    let kek = dir.join("kek");
    std::fs::write(&kek, "c2VjcmV0LWtleS1mb3ItdGhlLWUyZS10ZXN0cy0zMmI=").expect("kek");

    ok(cli(
        dir,
        &["tenant", "add", "acme", "--name", "Acme", "--country", "41"],
    ));
    refused(cli(dir, &["tenant", "add", "acme"]), &["already exists"]);
    refused(cli(dir, &["tenant", "add", "Bad Slug"]), &["a-z"]);
    ok(cli(
        dir,
        &["flow", "import", "flows/sms-totp.toml", "--tenant", "acme"],
    ));
    ok(cli(
        dir,
        &[
            "flow",
            "import",
            "flows/email-questions.toml",
            "--tenant",
            "acme",
        ],
    ));
    std::fs::write(
        dir.join("bad.toml"),
        std::fs::read_to_string(workspace().join("flows/sms-totp.toml"))
            .expect("flow")
            .replace("max_attempts = 3", "max_attempts = 0"),
    )
    .expect("write");
    refused(
        cli(
            dir,
            &[
                "flow",
                "import",
                &dir.join("bad.toml").display().to_string(),
                "--tenant",
                "acme",
            ],
        ),
        &["bad.toml", "steps[0].max_attempts", "at least 1"],
    );
    refused(
        cli(
            dir,
            &["flow", "import", "flows/sms-totp.toml", "--tenant", "nope"],
        ),
        &["no tenant \"nope\""],
    );

    let users = json!({"users": [{
        "username": "alice",
        "phones": ["079 123 45 67"],
        "emails": ["alice@acme.example"],
        "questions": ANSWERS.iter().map(|(q, a)| json!({"question": q, "answer": a})).collect::<Vec<_>>(),
        "totp": {"secret": SECRET_B32}
    }]});
    std::fs::write(dir.join("users.json"), users.to_string()).expect("write");
    let mut bad_users = users.clone();
    bad_users["users"][0]["phones"] = json!(["12"]);
    std::fs::write(dir.join("bad-users.json"), bad_users.to_string()).expect("write");
    refused(
        cli(
            dir,
            &[
                "user",
                "import",
                &dir.join("bad-users.json").display().to_string(),
                "--tenant",
                "acme",
            ],
        ),
        &["users[0].phones[0]"],
    );
    // Seeds under 128 bits are refused unless marked as a legacy token's.
    let mut short_seed = users.clone();
    short_seed["users"][0]["totp"] = json!({"secret": "JBSWY3DPEHPK3PXP"});
    std::fs::write(dir.join("short-seed.json"), short_seed.to_string()).expect("write");
    let short = dir.join("short-seed.json").display().to_string();
    refused(
        cli(dir, &["user", "import", &short, "--tenant", "acme"]),
        &["users[0].totp.secret", "128 bits", "legacy"],
    );
    short_seed["users"][0]["totp"]["legacy"] = json!(true);
    short_seed["users"][0]["username"] = json!("legacy-token");
    std::fs::write(dir.join("short-seed.json"), short_seed.to_string()).expect("write");
    ok(cli(dir, &["user", "import", &short, "--tenant", "acme"]));
    std::fs::write(dir.join("broken.json"), "{\"users\": [").expect("write");
    refused(
        cli(
            dir,
            &[
                "user",
                "import",
                &dir.join("broken.json").display().to_string(),
                "--tenant",
                "acme",
            ],
        ),
        &["broken.json", "line 1"],
    );
    ok(cli(
        dir,
        &[
            "user",
            "import",
            &dir.join("users.json").display().to_string(),
            "--tenant",
            "acme",
        ],
    ));
    let sealed = std::fs::read(dir.join("ea.db")).expect("db");
    assert!(
        !sealed
            .windows(SECRET_B32.len())
            .any(|w| w == SECRET_B32.as_bytes()),
        "TOTP secret not stored in clear"
    );
    assert!(
        !sealed.windows(8).any(|w| w == b"Hillside"),
        "answers not stored in clear"
    );

    refused(
        cli(
            dir,
            &[
                "--config",
                &dir.join("server.toml").display().to_string(),
                "serve",
                "--listen",
                "0.0.0.0:0",
            ],
        ),
        &["refusing plain HTTP"],
    );

    // Serve over TLS on an ephemeral port.
    let log_path = dir.join("server.log");
    let mut child = Command::new(bin())
        .args([
            "--database",
            &format!("sqlite:{}", dir.join("ea.db").display()),
            "--kek-file",
            &kek.display().to_string(),
        ])
        .args([
            "--config",
            &dir.join("server.toml").display().to_string(),
            "--log-format",
            "json",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .args([
            "--tls-cert",
            &dir.join("cert.pem").display().to_string(),
            "--tls-key",
            &dir.join("key.pem").display().to_string(),
        ])
        .env("RUST_LOG", "debug,hyper=info,h2=info,rustls=info,sqlx=info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log_path).expect("log file"))
        .spawn()
        .expect("start server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let _server = Running(child);
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("announces its address")
        .to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).expect("ca"))
        .build()
        .expect("client");
    let res = client
        .get(format!("{base}{}", ep::Health::INFO.path))
        .send()
        .await
        .expect("health");
    // Over TLS the server asks for nothing but TLS from then on (HSTS).
    assert_eq!(
        res.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
    let health: Value = res.json().await.expect("json");
    assert_eq!(health["status"], "ok");
    let api = Api { client, base };
    let mut secrets: Vec<String> = vec![SECRET_B32.into()];

    // SMS, then authenticator.
    let (st, s) = api
        .post::<ep::StartSession>(None, json!({"tenant": "acme", "username": "alice"}))
        .await;
    assert_eq!(st, 201, "{s}");
    let token = s["token"].as_str().expect("token").to_owned();
    secrets.push(token.clone());
    api.post::<ep::ChooseFlow>(Some(&token), json!({"flow_id": "sms-totp"}))
        .await;
    let (st, v) = api
        .post::<ep::ConfirmContact>(
            Some(&token),
            json!({"contact_id": 0, "value": "+41 79 123 45 67"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let sms = wait_for("the SMS at the gateway", || {
        gw.messages.lock().expect("lock").first().cloned()
    })
    .await;
    assert_eq!(sms["to"], "+41791234567");
    assert!(
        sms["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("ea-outbox-"))
    );
    assert!(
        gw.calls.load(Ordering::SeqCst) >= 2,
        "the first attempt failed and was retried"
    );
    let code = digits(sms["text"].as_str().expect("text"), 6).expect("code in SMS");
    secrets.push(code.clone());
    let (st, e) = api
        .post::<ep::VerifyCode>(Some(&token), json!({"code": "999999x"}))
        .await;
    assert_eq!((st, e["code"].as_str()), (422, Some("code_invalid")));
    let (st, v) = api
        .post::<ep::VerifyCode>(Some(&token), json!({"code": code}))
        .await;
    assert_eq!(st, 200, "{v}");
    let secret = data_encoding::BASE32_NOPAD
        .decode(SECRET_B32.as_bytes())
        .expect("b32");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let totp = code_at(&secret, TotpParams::default(), now / 30);
    secrets.push(totp.clone());
    let (st, v) = api
        .post::<ep::VerifyTotp>(Some(&token), json!({"code": totp}))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "completed");
    assert!(
        v["actions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("reset_password")))
    );
    let new_password = "violet staple orbit canyon";
    secrets.push(new_password.into());
    let (st, v) = api
        .post::<ep::ResetPassword>(Some(&token), json!({"new_password": new_password}))
        .await;
    assert_eq!(st, 200, "{v}");
    let notice = wait_for("the password notice by SMS", || {
        gw.messages
            .lock()
            .expect("lock")
            .iter()
            .find(|m| {
                m["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("password was reset"))
            })
            .cloned()
    })
    .await;
    assert!(
        notice["text"]
            .as_str()
            .is_some_and(|t| t.contains("Not you?"))
    );

    // Email, then questions.
    let (_, s) = api
        .post::<ep::StartSession>(None, json!({"tenant": "acme", "username": "ALICE"}))
        .await;
    let token = s["token"].as_str().expect("token").to_owned();
    secrets.push(token.clone());
    api.post::<ep::ChooseFlow>(Some(&token), json!({"flow_id": "email-questions"}))
        .await;
    let (st, v) = api
        .post::<ep::ConfirmContact>(
            Some(&token),
            json!({"contact_id": 0, "value": "Alice@ACME.example"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let mail = wait_for("the code email at the SMTP server", || {
        (1..10)
            .filter_map(|i| std::fs::read_to_string(mail_dir.join(format!("{i}.eml"))).ok())
            .find(|m| m.contains("Subject: Acme verification code"))
    })
    .await;
    assert!(mail.contains("X-Test-Rcpt: alice@acme.example"), "{mail}");
    assert!(mail.contains("X-Test-Tls: yes"), "delivered over STARTTLS");
    assert!(mail.contains("Subject: Acme verification code"), "{mail}");
    let code = digits(&mail, 8).expect("code in email");
    secrets.push(code.clone());
    let (st, v) = api
        .post::<ep::VerifyCode>(Some(&token), json!({"code": code}))
        .await;
    assert_eq!(st, 200, "{v}");
    let answers: Vec<Value> = v["step"]["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| {
            let text = q["text"].as_str().expect("text");
            let answer = ANSWERS
                .iter()
                .find(|(t, _)| *t == text)
                .map(|(_, a)| a.to_lowercase())
                .expect("known question");
            json!({"question_id": q["id"], "answer": answer})
        })
        .collect();
    let (st, v) = api
        .post::<ep::AnswerQuestions>(Some(&token), json!({"answers": answers}))
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "completed");

    // An emergency code, validated by a relying party created with the CLI.
    let (st, c) = api
        .post::<ep::IssueEmergencyCode>(Some(&token), json!({"max_uses": 2}))
        .await;
    assert_eq!(st, 201, "{c}");
    let code = c["code"].as_str().expect("code").to_owned();
    secrets.push(code.clone());
    let out = ok(cli(dir, &["rp", "add", "portal", "--tenant", "acme"]));
    let rp_key = out.lines().last().expect("key line").trim().to_owned();
    assert!(rp_key.starts_with("ea_rp_"), "{out}");
    secrets.push(rp_key.clone());
    for left in [1, 0] {
        let res = api
            .client
            .post(format!("{}/v1/emergency-codes/validate", api.base))
            .bearer_auth(&rp_key)
            .json(&json!({"username": "alice", "code": code}))
            .send()
            .await
            .expect("validate");
        let v: Value = res.json().await.expect("json");
        assert_eq!(
            v,
            json!({"result": "valid", "uses_left": left, "reason": null})
        );
    }
    let listed = ok(cli(dir, &["code", "list", "--tenant", "acme"]));
    assert!(
        listed.contains("used_up") && listed.contains("uses 2/2"),
        "{listed}"
    );
    let notice = wait_for("the emergency-code notice by email", || {
        (1..10)
            .filter_map(|i| std::fs::read_to_string(mail_dir.join(format!("{i}.eml"))).ok())
            .find(|m| m.contains("emergency access code was issued"))
    })
    .await;
    assert!(notice.contains("Not you?") && !notice.contains(&code));

    // A session in German: its code arrives as a German e-mail, a MIME message whose umlauts a
    // mail reader decodes intact.
    let (_, s) = api
        .post::<ep::StartSession>(
            None,
            json!({"tenant": "acme", "username": "alice", "language": "de"}),
        )
        .await;
    let de = s["token"].as_str().expect("token").to_owned();
    secrets.push(de.clone());
    api.post::<ep::ChooseFlow>(Some(&de), json!({"flow_id": "email-questions"}))
        .await;
    let (st, v) = api
        .post::<ep::ConfirmContact>(
            Some(&de),
            json!({"contact_id": 0, "value": "alice@acme.example"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let decoded = wait_for("the German code e-mail, decoded", || {
        (1..20)
            .filter_map(|i| std::fs::read_to_string(mail_dir.join(format!("{i}.decoded"))).ok())
            .find(|m| m.contains("Bestätigungscode"))
    })
    .await;
    assert!(
        decoded.starts_with("Subject: Bestätigungscode von Acme\nMIME-Version: 1.0\n"),
        "{decoded}"
    );
    assert!(
        decoded.contains("Type: text/plain; charset=utf-8"),
        "{decoded}"
    );
    assert!(
        decoded.contains("Ihr Bestätigungscode lautet: ")
            && decoded.contains("Er ist 10 Minuten gültig"),
        "{decoded}"
    );
    secrets.push(digits(&decoded, 8).expect("code in the German e-mail"));

    // Nothing secret reached the server's log.
    let audit = ok(cli(dir, &["audit", "export", "--tenant", "acme"]));
    assert!(
        audit
            .lines()
            .any(|l| l.contains("\"verification_completed\""))
    );
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        log.contains("message delivered"),
        "the log is being written"
    );
    for s in secrets
        .iter()
        .map(String::as_str)
        .chain(ANSWERS.iter().map(|(_, a)| *a))
        .chain(["stub-token"])
    {
        assert!(
            !log.contains(s),
            "the server log contains a secret ({} characters)",
            s.len()
        );
        assert!(!audit.contains(s), "the audit log contains a secret");
    }
}

#[derive(Default)]
struct TwilioStub {
    forms: Mutex<Vec<(String, String)>>,
}

async fn twilio_messages(
    State(stub): State<Arc<TwilioStub>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    stub.forms.lock().expect("lock").push((auth, body));
    StatusCode::CREATED
}

#[tokio::test]
async fn twilio_form_goes_to_the_messages_api() {
    use base64::Engine;
    ea_server::serve::install_crypto();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("cert");
    std::fs::write(tmp.path().join("ca.pem"), cert.cert.pem()).expect("write");
    let stub = Arc::new(TwilioStub::default());
    let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
        cert.cert.pem().into_bytes(),
        cert.key_pair.serialize_pem().into_bytes(),
    )
    .await
    .expect("tls");
    let handle = axum_server::Handle::new();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/AC123/Messages.json",
            post(twilio_messages),
        )
        .with_state(stub.clone());
    let server =
        axum_server::bind_rustls("127.0.0.1:0".parse().expect("addr"), tls).handle(handle.clone());
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    let addr = handle.listening().await.expect("listening");

    let cfg = ea_server::config::SmsConfig::Twilio {
        account_sid: "AC123".into(),
        auth_token: ea_server::config::Secret::Inline("tok".to_owned().into()),
        from: "+15005550006".into(),
        base_url: Some(format!("https://{addr}")),
        ca_cert: Some(tmp.path().join("ca.pem")),
    };
    let transport = ea_server::dispatch::sms::build(&cfg).expect("transport");
    let msg = ea_server::dispatch::Outgoing {
        id: 7,
        destination: "+41791234567",
        text: "123456 is your code",
    };
    transport.send(&msg).await.expect("sent");
    let forms = stub.forms.lock().expect("lock").clone();
    assert_eq!(forms.len(), 1);
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC123:tok")
    );
    assert_eq!(forms[0].0, expected_auth);
    assert_eq!(
        forms[0].1,
        "To=%2B41791234567&From=%2B15005550006&Body=123456+is+your+code"
    );

    // Plain http:// gateways are refused at start-up.
    let insecure = ea_server::config::SmsConfig::Webhook {
        url: ea_server::config::Secret::Inline("http://gw.example/sms".to_owned().into()),
        authorization: None,
        ca_cert: None,
    };
    assert!(
        ea_server::dispatch::sms::build(&insecure)
            .is_err_and(|e| e.to_string().contains("https://"))
    );
}
