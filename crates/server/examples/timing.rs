//! Prints how long the API takes for a known user and for a name that does not exist, so the
//! "same timing for unknown users" property can be checked by eye. Run via `scripts/bench.sh`.

use axum::body::Body;
use axum::http::Request;
use ea_api::endpoints::{self as ep, Endpoint};
use ea_core::answers::HashCost;
use ea_core::seal::Kek;
use ea_server::config::{DevSinkConfig, DispatchConfig};
use ea_server::keys::Keys;
use ea_server::{AppState, demo};
use ea_store::Store;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const ROUNDS: usize = 200;

async fn post(state: &AppState, path: &str, token: Option<&str>, body: &str) -> (Duration, String) {
    let mut b = Request::post(path).header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let req = b.body(Body::from(body.to_owned())).unwrap_or_default();
    let start = Instant::now();
    let res = ea_server::app(state.clone()).oneshot(req).await;
    let elapsed = start.elapsed();
    let text = match res {
        Ok(r) => {
            let bytes = axum::body::to_bytes(r.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Err(e) => match e {},
    };
    (elapsed, text)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn token(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("ea.db").display())).await?;
    let keys = Keys::new(Kek::generate(&mut rand::rng()));
    demo::setup(&store, &keys, HashCost::RECOMMENDED, "messages.log", false).await?;
    let dispatch = DispatchConfig {
        dev_sink: Some(DevSinkConfig {
            path: dir.path().join("messages.log"),
            tenants: vec!["demo".into()],
        }),
        ..DispatchConfig::default()
    };
    let state = AppState::production(store, keys, dispatch);

    let mut start = [Vec::new(), Vec::new()];
    let mut choose = [Vec::new(), Vec::new()];
    for i in 0..ROUNDS {
        if i % 50 == 0 {
            eprintln!("round {i}/{ROUNDS}");
        }
        for (k, user) in ["alice", "nobody"].iter().enumerate() {
            let (d, body) = post(
                &state,
                ep::StartSession::INFO.path,
                None,
                &format!(r#"{{"tenant":"demo","username":"{user}"}}"#),
            )
            .await;
            start[k].push(d);
            let (d, _) = post(
                &state,
                ep::ChooseFlow::INFO.path,
                Some(&token(&body)),
                r#"{"flow_id":"sms-totp"}"#,
            )
            .await;
            choose[k].push(d);
        }
    }
    println!("operation            known (median)   unknown (median)   unknown/known");
    for (name, v) in [("start session", &mut start), ("choose flow", &mut choose)] {
        let (a, b) = v.split_at_mut(1);
        let (k, u) = (median(&mut a[0]), median(&mut b[0]));
        println!(
            "{name:<20} {:>12.3} ms {:>15.3} ms {:>14.2}",
            k.as_secs_f64() * 1e3,
            u.as_secs_f64() * 1e3,
            u.as_secs_f64() / k.as_secs_f64()
        );
    }
    Ok(())
}
