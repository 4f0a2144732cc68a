//! What operators rely on, against the built server process: `/healthz` and `/readyz`, the
//! Prometheus metrics on their own address after a flow (no user or secret in any label), and a
//! graceful stop on SIGTERM that finishes the request in flight.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::process::{ALICE_PHONE, Site};
use ea_api::endpoints::{self as ep, Endpoint};
use serde_json::json;
use std::time::{Duration, Instant};

fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_metrics_and_a_graceful_stop() {
    let port = ea_testkit::free_port();
    let site = Site::new(&format!("[metrics]\nlisten = \"127.0.0.1:{port}\"\n")).await;
    // The confirmation of a contact is held a while, to be in flight when SIGTERM comes.
    let mut server = site.serve(&[("EA_FAULT_DELAY", "send_counted:1500")]);
    let http = reqwest::Client::new();

    let (st, v) = server.call::<ep::Health>(None, None).await;
    assert_eq!((st, v), (200, json!({"status": "ok"})));
    let (st, v) = server.call::<ep::Ready>(None, None).await;
    assert_eq!(
        (st, v),
        (
            200,
            json!({"status": "ok", "database": "ok", "sms": null, "email": null})
        )
    );

    // A flow: a wrong code, then the right one.
    let token = server.start("alice", "sms-totp").await;
    let seen = site.messages();
    let body = json!({"contact_id": 0, "value": ALICE_PHONE});
    let (st, v) = server
        .call::<ep::ConfirmContact>(Some(&token), Some(body))
        .await;
    assert_eq!(st, 200, "{v}");
    let code = site.next_code(ALICE_PHONE, seen).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (st, _) = server
        .call::<ep::VerifyCode>(Some(&token), Some(json!({ "code": wrong })))
        .await;
    assert_eq!(st, 422);
    let (st, _) = server
        .call::<ep::VerifyCode>(Some(&token), Some(json!({ "code": code })))
        .await;
    assert_eq!(st, 200);
    let (st, v) = server
        .call::<ep::VerifyTotp>(Some(&token), Some(json!({ "code": site.totp(0) })))
        .await;
    assert_eq!(st, 200, "{v}");

    let url = format!("http://127.0.0.1:{port}/metrics");
    let text = http
        .get(&url)
        .send()
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("text");
    let at = |l: &str| metric(&text, l).unwrap_or_else(|| panic!("no {l} in\n{text}"));
    assert_eq!(
        at(r#"ea_http_requests_total{route="/v1/sessions",method="POST",status="201"}"#),
        1.0
    );
    assert_eq!(
        at(r#"ea_http_requests_total{route="/v1/session/code",method="POST",status="422"}"#),
        1.0
    );
    assert_eq!(
        at(r#"ea_verifications_total{event="started",methods="sms_otp+totp"}"#),
        1.0
    );
    assert_eq!(
        at(r#"ea_verifications_total{event="completed",methods="sms_otp+totp"}"#),
        1.0
    );
    assert_eq!(
        at(r#"ea_verification_steps_total{method="totp",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        at(r#"ea_verification_steps_total{method="sms_otp",outcome="code_invalid"}"#),
        1.0
    );
    assert_eq!(
        at(r#"ea_verification_steps_total{method="sms_otp",outcome="ok"}"#),
        2.0,
        "the contact confirmed and the right code"
    );
    assert_eq!(at(r#"ea_refusals_total{code="code_invalid"}"#), 1.0);
    assert_eq!(
        at(r#"ea_messages_total{channel="sms",outcome="delivered"}"#),
        1.0
    );
    assert!(at(r#"ea_http_request_duration_seconds_count{route="/v1/session/contact"}"#) >= 1.0);
    for gauge in [
        "ea_outbox_depth ",
        "ea_outbox_oldest_age_seconds ",
        "ea_argon2_in_flight ",
        "ea_argon2_waiting ",
        "ea_lockouts_total ",
    ] {
        assert!(metric(&text, gauge).is_some(), "{gauge} in\n{text}");
    }
    // No user, contact, code or token in any label (values are numbers and may hold any digits).
    let labels: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once('{').and_then(|(_, r)| r.split_once('}')))
        .map(|(labels, _)| labels)
        .collect();
    assert!(labels.len() > 10, "{text}");
    for secret in ["alice", ALICE_PHONE, "+41", code.as_str(), token.as_str()] {
        assert!(
            labels.iter().all(|l| !l.contains(secret)),
            "{secret} in the metrics"
        );
    }
    // A request may name any method: the label keeps to a fixed list.
    let odd = http
        .request(
            reqwest::Method::from_bytes(b"PROBE123").expect("method"),
            format!("{}/healthz", server.base),
        )
        .send()
        .await
        .expect("answer");
    assert_eq!(odd.status().as_u16(), 405);
    let text = http
        .get(&url)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(!text.contains("PROBE123"), "the method named in a label");
    assert!(
        metric(
            &text,
            r#"ea_http_requests_total{route="/healthz",method="other",status="405"}"#
        )
        .is_some(),
        "{text}"
    );
    // The API's address does not serve them.
    let (st, _) = server
        .send("GET", "/metrics", None, None)
        .await
        .expect("answer");
    assert_eq!(st, 404);

    // SIGTERM with a request in flight: it is answered, then the process ends cleanly.
    let token = server.start("alice", "sms-totp").await;
    let in_flight = {
        let base = server.base.clone();
        let token = token.clone();
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}{}", ep::ConfirmContact::INFO.path))
                .bearer_auth(token)
                .json(&json!({"contact_id": 0, "value": ALICE_PHONE}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    // Well inside the 1.5 s the confirmation is held.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.child.0.id().to_string();
    let signalled = Instant::now();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    assert_eq!(
        in_flight.await.expect("task").expect("answered"),
        200,
        "the request in flight is finished"
    );
    let status =
        ea_testkit::eventually("the server to exit", Duration::from_secs(20), async || {
            server.child.0.try_wait().ok().flatten()
        })
        .await;
    assert!(status.success(), "{status:?}\n{}", server.log_text());
    assert!(signalled.elapsed() < Duration::from_secs(15));
    let log = server.log_text();
    assert!(
        log.contains("outbox worker stopped") && log.contains("server stopped"),
        "{log}"
    );
}

/// `/readyz` says which part does not answer: here an SMTP relay nobody listens for.
#[tokio::test(flavor = "multi_thread")]
async fn readiness_names_what_does_not_answer() {
    let closed = ea_testkit::free_port();
    let site = Site::new(&format!(
        "[dispatch.email]\nhost = \"127.0.0.1\"\nport = {closed}\nfrom = \"it@example.org\"\n"
    ))
    .await;
    let server = site.serve(&[]);
    let (st, v) = server.call::<ep::Ready>(None, None).await;
    assert_eq!(
        (st, v),
        (
            503,
            json!({"status": "degraded", "database": "ok", "sms": null, "email": "unreachable"})
        )
    );
    // Alive all the same.
    let (st, _) = server.call::<ep::Health>(None, None).await;
    assert_eq!(st, 200);
}

/// `ea-server config check FILE`: `ok`, or the field and the reason, before anything starts.
#[test]
fn config_check_names_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let check = |text: &str| {
        let path = dir.path().join("server.toml");
        std::fs::write(&path, text).expect("config");
        let out = std::process::Command::new(common::process::bin())
            .args(["config", "check"])
            .arg(&path)
            .output()
            .expect("ea-server");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, text) = check("listen = \"127.0.0.1:8443\"\n[metrics]\nlisten = \"127.0.0.1:9464\"\n");
    assert!(ok && text.trim_end().ends_with("server.toml: ok"), "{text}");
    let (ok, text) = check(
        "[dispatch.email]\nhost = \"smtp.example\"\nfrom = \"it@example.org\"\nusername = \"u\"\npassword = \"hunter2\"\n",
    );
    assert!(
        !ok && text.contains("dispatch.email.password: secrets are not written"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2"),
        "the secret is not repeated: {text}"
    );
    let (ok, text) = check("listen = \"0.0.0.0:8080\"\n");
    assert!(
        !ok && text.contains("listen: refusing plain HTTP on 0.0.0.0:8080"),
        "{text}"
    );
    let (ok, text) =
        check("[dispatch.sms]\nkind = \"webhook\"\nurl = \"http://gw.example/send\"\n");
    assert!(!ok && text.contains("dispatch:"), "{text}");
}

/// The key-encryption key from the OS keyring: the Keychain and the Credential Manager; on
/// Linux the refusal says to use systemd's credentials, before anything starts.
#[test]
fn the_keyring_for_the_key_is_refused_on_linux_with_the_way_to_go() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(common::process::bin())
            .args(args)
            .env_remove("EA_KEK")
            .output()
            .expect("ea-server");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let config = dir.path().join("server.toml");
    std::fs::write(&config, "kek_keyring = \"emergency-access\"\n").expect("config");
    let (ok, text) = run(&["config", "check", &config.display().to_string()]);
    if cfg!(target_os = "linux") {
        assert!(
            !ok && text
                .contains("kek_keyring: on Linux a service's key store is systemd's credentials")
                && text.contains("LoadCredentialEncrypted"),
            "{text}"
        );
        let kek = dir.path().join("kek");
        std::fs::write(&kek, "c2VjcmV0LWtleS1mb3ItdGhlLWtleXJpbmctdGVzdDE=\n").expect("kek");
        let (ok, text) = run(&[
            "kek",
            "store-in-keyring",
            "--from",
            &kek.display().to_string(),
        ]);
        assert!(!ok && text.contains("systemd-creds encrypt"), "{text}");
    } else {
        assert!(ok, "{text}");
    }
    std::fs::write(
        &config,
        "kek_keyring = \"x\"\nkek_file = \"/etc/hostname\"\n",
    )
    .expect("config");
    let (ok, text) = run(&["config", "check", &config.display().to_string()]);
    assert!(!ok && text.contains("not both"), "{text}");
}
