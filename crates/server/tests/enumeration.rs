//! Whether a username exists, and what it is enrolled for, must not show: for every class of
//! name (enrolled for everything, not enrolled for the authenticator, without contacts, blocked
//! in the directory, disabled, unknown) each step gives the same status, body shape and header
//! names, over a real loopback server. The median time of each step per class is printed next to
//! the unknown names', as a figure (no timing is asserted).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{Harness, SECRET_B32, shape};
use ea_api::endpoints::{self as ep, Endpoint};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Samples per class and step.
const N: usize = 200;
const CLASSES: [&str; 6] = [
    "full",
    "no_totp",
    "no_contacts",
    "blocked",
    "disabled",
    "unknown",
];

fn user(class: &str, i: usize) -> Value {
    let questions = json!([
        {"question": "First pet?", "answer": "Rex"},
        {"question": "Birth city?", "answer": "Bern"},
        {"question": "First school?", "answer": "Hillside"}
    ]);
    let name = format!("{class}{i}");
    let phone = format!("+41 79 555 {i:04}");
    let email = format!("{name}@example.org");
    match class {
        "no_totp" => {
            json!({"username": name, "phones": [phone], "emails": [email], "questions": questions})
        }
        "no_contacts" => {
            json!({"username": name, "questions": questions, "totp": {"secret": SECRET_B32}})
        }
        _ => {
            json!({"username": name, "phones": [phone], "emails": [email], "questions": questions, "totp": {"secret": SECRET_B32}})
        }
    }
}

#[derive(Default)]
struct Seen {
    times: Vec<Duration>,
    answers: BTreeMap<String, usize>,
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// One call: its time and what about it must not differ between classes.
    async fn call<E: Endpoint>(
        &self,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (Duration, String, Value) {
        let info = E::INFO;
        let url = format!("{}{}", self.base, info.path);
        let mut r = match info.method {
            ep::HttpMethod::Get => self.http.get(url),
            ep::HttpMethod::Post => self.http.post(url),
        };
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let started = Instant::now();
        let res = r.send().await.expect("request");
        let status = res.status().as_u16();
        let mut names: Vec<String> = res
            .headers()
            .keys()
            .map(|k| k.as_str().to_owned())
            .collect();
        names.sort();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        let elapsed = started.elapsed();
        let contacts = body["step"]["contacts"]
            .as_array()
            .map(Vec::len)
            .or(body["contacts"].as_array().map(Vec::len));
        let what = json!({"status": status, "headers": names, "shape": shape(&body), "contacts": contacts, "code": body["code"]});
        (elapsed, what.to_string(), body)
    }
}

fn median(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_class_of_name_looks_the_same_at_every_step() {
    ea_server::serve::install_crypto();
    let mut h = Harness::new().await;
    h.restart_with(ea_server::abuse::ServerLimits {
        requests_per_source_per_minute: 1_000_000,
        ..common::test_limits()
    })
    .await;
    let store = h.state.store.clone();
    let keys = ea_server::keys::Keys::new(h.kek.clone());
    for slug in ["acme", "solo"] {
        let tenant = ea_store::tenants::by_slug(store.db(), slug)
            .await
            .unwrap()
            .unwrap();
        let mut users = Vec::new();
        for class in &CLASSES[..5] {
            for i in 0..N {
                users.push(user(class, i));
            }
        }
        // Someone's own question, which no decoy may ever show.
        users.push(
            json!({"username": "zoe", "emails": ["zoe@example.org"], "questions": [
                {"question": "Name of Emma's hamster?", "answer": "Fluff"},
                {"question": "First pet?", "answer": "Rex"},
                {"question": "Birth city?", "answer": "Bern"}
            ]}),
        );
        let text = json!({ "users": users }).to_string();
        ea_server::admin::import_users_text(
            &store,
            &tenant,
            &keys,
            ea_core::answers::HashCost::TEST,
            "users",
            &text,
        )
        .await
        .unwrap();
        for i in 0..N {
            ea_server::admin_actions::set_user_flag(
                &store,
                &tenant,
                &format!("blocked{i}"),
                "blocked",
                true,
            )
            .await
            .unwrap();
            ea_server::admin_actions::set_user_flag(
                &store,
                &tenant,
                &format!("disabled{i}"),
                "disabled",
                true,
            )
            .await
            .unwrap();
        }
        let material = ea_store::users::decoy_material(store.db(), tenant.id)
            .await
            .unwrap();
        assert!(
            !material.questions.iter().any(|q| q.contains("Emma")),
            "{material:?}"
        );
        assert!(
            material.questions.iter().any(|q| q == "First pet?"),
            "{material:?}"
        );
        assert_eq!(material.email_domains, ["example.org"]);
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = ea_server::app(h.state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let c = Client {
        http: reqwest::Client::new(),
        base,
    };

    let mut seen: BTreeMap<(&str, &str, &str), Seen> = BTreeMap::new();
    let mut note = |tenant: &'static str,
                    step: &'static str,
                    class: &'static str,
                    (t, what, _): &(Duration, String, Value)| {
        let s = seen.entry((tenant, step, class)).or_default();
        s.times.push(*t);
        *s.answers.entry(what.clone()).or_default() += 1;
    };
    for i in 0..N {
        if i % 50 == 0 {
            eprintln!("enumeration: round {i} of {N}");
        }
        for class in CLASSES {
            let name = format!("{class}{i}");
            // Several flows: start, choose, contacts, a wrong contact entry, a code never sent.
            let r = c
                .call::<ep::StartSession>(None, Some(json!({"tenant": "acme", "username": name})))
                .await;
            let token = r.2["token"].as_str().unwrap_or_default().to_owned();
            note("acme", "1 start", class, &r);
            let r = c
                .call::<ep::ChooseFlow>(Some(&token), Some(json!({"flow_id": "sms-totp"})))
                .await;
            if class == "unknown" && i == 0 {
                let masked = r.2["step"]["contacts"][0]["masked"]
                    .as_str()
                    .unwrap_or_default();
                assert!(
                    masked.starts_with("+41 "),
                    "decoys use the tenant's country: {masked}"
                );
            }
            note("acme", "2 choose flow", class, &r);
            let r = c.call::<ep::GetContacts>(Some(&token), None).await;
            note("acme", "3 contacts", class, &r);
            let r = c
                .call::<ep::ConfirmContact>(
                    Some(&token),
                    Some(json!({"contact_id": 0, "value": "+41 79 000 00 00"})),
                )
                .await;
            note("acme", "4 wrong contact", class, &r);
            let r = c
                .call::<ep::VerifyCode>(Some(&token), Some(json!({"code": "000000"})))
                .await;
            note("acme", "5 code not sent", class, &r);
            // The e-mail flow's first step, for the classes without a phone too.
            let r = c
                .call::<ep::StartSession>(None, Some(json!({"tenant": "acme", "username": name})))
                .await;
            let token = r.2["token"].as_str().unwrap_or_default().to_owned();
            let r = c
                .call::<ep::ChooseFlow>(Some(&token), Some(json!({"flow_id": "email-questions"})))
                .await;
            note("acme", "6 choose e-mail flow", class, &r);
            // A single-flow tenant: the flow is chosen at start; a wrong authenticator code.
            let r = c
                .call::<ep::StartSession>(None, Some(json!({"tenant": "solo", "username": name})))
                .await;
            let token = r.2["token"].as_str().unwrap_or_default().to_owned();
            note("solo", "1 start", class, &r);
            let r = c
                .call::<ep::VerifyTotp>(Some(&token), Some(json!({"code": "000000"})))
                .await;
            note("solo", "2 wrong authenticator code", class, &r);
        }
    }

    println!(
        "\nmedian time per step and class, ms ({N} samples each; gap = largest |class - unknown|)"
    );
    println!(
        "{:<8} {:<28} {}  gap",
        "tenant",
        "step",
        CLASSES.map(|c| format!("{c:>12}")).join("")
    );
    let mut worst = 0.0f64;
    let steps: Vec<(&str, &str)> = seen
        .keys()
        .map(|(t, s, _)| (*t, *s))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for (tenant, step) in steps {
        let mut medians = Vec::new();
        let reference = seen[&(tenant, step, "unknown")].answers.clone();
        for class in CLASSES {
            let s = seen.get_mut(&(tenant, step, class)).unwrap();
            assert_eq!(
                s.answers, reference,
                "{tenant} {step}: {class} answers differently from unknown names"
            );
            medians.push(median(&mut s.times));
        }
        let unknown = medians[CLASSES.len() - 1];
        let gap = medians
            .iter()
            .map(|m| (m - unknown).abs())
            .fold(0.0, f64::max);
        worst = worst.max(gap);
        let cols: String = medians.iter().map(|m| format!("{m:>12.2}")).collect();
        println!("{tenant:<8} {step:<28} {cols}  {gap:.2}");
    }
    println!("largest median gap: {worst:.2} ms (target under 5 ms)");
}
