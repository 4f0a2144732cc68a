//! Load on a running server over HTTP on loopback: authenticator checks (each a real accept or
//! a real refusal), answer checks, whole SMS and authenticator flows with the codes read from
//! the dev sink, and `/healthz` as the framework's floor.

use crate::procfs;
use crate::report::percentiles;
use crate::site::{self, Server, Site};
use anyhow::{Context, bail};
use ea_api::endpoints::{self as ep, Endpoint};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    pub fn new(server: &Server) -> Http {
        Http {
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .unwrap_or_default(),
            base: server.base.clone(),
        }
    }

    /// Calls endpoint `E`: its status, body and how long the answer took.
    pub async fn call<E: Endpoint>(
        &self,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value, Duration)> {
        let url = format!("{}{}", self.base, E::INFO.path);
        let mut req = match E::INFO.method.as_str() {
            "GET" => self.client.get(&url),
            _ => self.client.post(&url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let start = Instant::now();
        let res = req.send().await.context("the server answers")?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.unwrap_or_default();
        let took = start.elapsed();
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((status, v, took))
    }

    /// A session for user `n` of the bench tenant with `flow` chosen; its token.
    pub async fn session(&self, n: usize, flow: &str) -> anyhow::Result<String> {
        let body = json!({"tenant": "bench", "username": site::username(n)});
        let (st, v, _) = self.call::<ep::StartSession>(None, Some(body)).await?;
        if st != 201 {
            bail!("start session for {}: {st} {v}", site::username(n));
        }
        let token = v["token"].as_str().context("token")?.to_owned();
        if v["status"] == "choosing_flow" || v["flow"].is_null() {
            let (st, v, _) = self
                .call::<ep::ChooseFlow>(Some(&token), Some(json!({ "flow_id": flow })))
                .await?;
            if st != 200 {
                bail!("choose {flow}: {st} {v}");
            }
        }
        Ok(token)
    }
}

/// What a measured load gave.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub requests: usize,
    pub seconds: f64,
    /// Latencies in ms.
    pub latencies: Vec<f64>,
    pub server_cpu_ms: f64,
    /// The database server's CPU time over the run (PostgreSQL's processes), if it has one.
    pub db_cpu_ms: Option<f64>,
    /// Answers by status.
    pub statuses: HashMap<u16, usize>,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
    pub fn cpu_per_request(&self) -> f64 {
        self.server_cpu_ms / self.requests as f64
    }
    pub fn db_cpu_per_request(&self) -> Option<f64> {
        self.db_cpu_ms.map(|c| c / self.requests as f64)
    }
    pub fn p(&self) -> (f64, f64, f64) {
        percentiles(&mut self.latencies.clone())
    }
    pub fn errors_5xx(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }
    pub fn statuses_text(&self) -> String {
        let mut v: Vec<_> = self.statuses.iter().collect();
        v.sort();
        v.iter()
            .map(|(s, n)| format!("{n}×{s}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Runs `jobs` jobs on `concurrency` workers; each job returns its requests' (status, ms). The
/// server's CPU time is read around the run.
async fn drive<F, Fut>(
    server: &Server,
    jobs: usize,
    concurrency: usize,
    label: &str,
    job: F,
) -> anyhow::Result<Measured>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Vec<(u16, f64)>>> + Send,
{
    let ticks = procfs::ticks_per_second();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new(Vec::new()));
    let job = Arc::new(job);
    let cpu_before = procfs::cpu_ms(server.pid, ticks).unwrap_or_default();
    let db_cpu = |pid: u32| -> f64 {
        procfs::tree(pid)
            .into_iter()
            .filter_map(|p| procfs::cpu_ms(p, ticks))
            .sum()
    };
    let db_before = server.db_pid.map(db_cpu);
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, done, results, job) = (next.clone(), done.clone(), results.clone(), job.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    return Ok::<(), anyhow::Error>(());
                }
                let r = job(i).await?;
                results.lock().await.extend(r);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let progress = {
        let done = done.clone();
        let label = label.to_owned();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                eprint!("\r    {label}: {}/{jobs}   ", done.load(Ordering::Relaxed));
            }
        })
    };
    for w in workers {
        w.await??;
    }
    let seconds = start.elapsed().as_secs_f64();
    progress.abort();
    eprintln!("\r    {label}: {jobs}/{jobs} in {seconds:.1} s   ");
    let cpu_after = procfs::cpu_ms(server.pid, ticks).unwrap_or_default();
    let results = results.lock().await;
    let mut m = Measured {
        requests: results.len(),
        seconds,
        server_cpu_ms: cpu_after - cpu_before,
        // Connections that ended during the run take their CPU time with them: a floor.
        db_cpu_ms: server.db_pid.map(db_cpu).zip(db_before).map(|(a, b)| a - b),
        ..Measured::default()
    };
    for (status, ms) in results.iter() {
        m.latencies.push(*ms);
        *m.statuses.entry(*status).or_default() += 1;
    }
    Ok(m)
}

/// Sessions with `flow` chosen for users `users`, made `concurrency` at a time (not measured).
pub async fn sessions(
    http: &Http,
    users: std::ops::Range<usize>,
    flow: &str,
    concurrency: usize,
) -> anyhow::Result<Vec<(usize, String)>> {
    let next = Arc::new(AtomicUsize::new(users.start));
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, out, http, flow, end) = (
            next.clone(),
            out.clone(),
            http.clone(),
            flow.to_owned(),
            users.end,
        );
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= end {
                    return Ok::<(), anyhow::Error>(());
                }
                let t = http.session(n, &flow).await?;
                let mut o = out.lock().await;
                o.push((n, t));
                if o.len() % 500 == 0 {
                    eprint!("\r    sessions: {}/{}   ", o.len(), end - users.start);
                }
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    eprint!("\r");
    let mut v = std::mem::take(&mut *out.lock().await);
    v.sort();
    Ok(v)
}

/// A six-digit code that is none of user `n`'s codes in the accepted window.
fn wrong_code(n: usize) -> String {
    let near: Vec<String> = (-2..=2).map(|o| site::totp(n, o)).collect();
    (0..)
        .map(|k: u32| {
            format!(
                "{:06}",
                (n as u32).wrapping_mul(7919).wrapping_add(k) % 1_000_000
            )
        })
        .find(|c| !near.contains(c))
        .unwrap_or_default()
}

/// Authenticator checks: for each session a wrong code (a refusal), then the right one (an
/// accept, with the replay guard's write).
pub async fn totp_checks(
    server: &Server,
    sessions: Vec<(usize, String)>,
    concurrency: usize,
) -> anyhow::Result<Measured> {
    let http = Http::new(server);
    let sessions = Arc::new(sessions);
    let jobs = sessions.len();
    let label = format!("authenticator checks, concurrency {concurrency}");
    drive(server, jobs, concurrency, &label, move |i| {
        let (http, sessions) = (http.clone(), sessions.clone());
        async move {
            let (n, token) = &sessions[i];
            let mut out = Vec::with_capacity(2);
            for code in [wrong_code(*n), site::totp(*n, 0)] {
                let (st, _, took) = http
                    .call::<ep::VerifyTotp>(Some(token), Some(json!({ "code": code })))
                    .await?;
                out.push((st, took.as_secs_f64() * 1e3));
            }
            Ok(out)
        }
    })
    .await
}

/// `requests` calls of `/healthz`, `concurrency` at a time.
pub async fn health(
    server: &Server,
    requests: usize,
    concurrency: usize,
) -> anyhow::Result<Measured> {
    let http = Http::new(server);
    let label = format!("/healthz, concurrency {concurrency}");
    drive(server, requests, concurrency, &label, move |_| {
        let http = http.clone();
        async move {
            let (st, _, took) = http.call::<ep::Health>(None, None).await?;
            Ok(vec![(st, took.as_secs_f64() * 1e3)])
        }
    })
    .await
}

/// Answer checks: every session answers its two questions, right or (every other one) wrong,
/// all at once.
pub async fn answer_checks(
    server: &Server,
    sessions: Vec<(usize, String)>,
) -> anyhow::Result<Measured> {
    let http = Http::new(server);
    let sessions = Arc::new(sessions);
    let jobs = sessions.len();
    drive(server, jobs, jobs, "answer checks", move |i| {
        let (http, sessions) = (http.clone(), sessions.clone());
        async move {
            let (_, token) = &sessions[i];
            let answer = if i % 2 == 0 {
                site::ANSWER
            } else {
                "a wrong answer"
            };
            let body = serde_json::to_value(ea_api::AnswerQuestionsRequest {
                answers: (0..2)
                    .map(|question_id| ea_api::QuestionAnswer {
                        question_id,
                        answer: answer.to_owned(),
                    })
                    .collect(),
            })?;
            let (st, _, took) = http
                .call::<ep::AnswerQuestions>(Some(token), Some(body))
                .await?;
            Ok(vec![(st, took.as_secs_f64() * 1e3)])
        }
    })
    .await
}

/// The codes the dev sink has received, by destination, read as the file grows.
#[derive(Debug)]
pub struct Sink {
    path: std::path::PathBuf,
    read: Mutex<(u64, HashMap<String, String>)>,
}

impl Sink {
    pub fn new(path: std::path::PathBuf) -> Sink {
        Sink {
            path,
            read: Mutex::new((0, HashMap::new())),
        }
    }

    /// The newest code sent to `to`, if it has come.
    async fn code_for(&self, to: &str) -> Option<String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut r = self.read.lock().await;
        if let Ok(mut f) = std::fs::File::open(&self.path) {
            let _ = f.seek(SeekFrom::Start(r.0));
            let mut text = String::new();
            let _ = f.read_to_string(&mut text);
            // Each message is one appended write ending in a newline: a read that does not
            // end in one stopped inside a message, which is read again next time.
            let upto = if text.ends_with('\n') {
                text.len()
            } else {
                text.rfind("--- message").unwrap_or(0)
            };
            for message in text[..upto].split("--- message ").skip(1) {
                let (head, body) = message.split_once('\n').unwrap_or((message, ""));
                let dest = head.split_once(" to ").map(|(_, d)| d.trim().to_owned());
                let code = body
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_owned);
                if let (Some(d), Some(c)) = (dest, code) {
                    r.1.insert(d, c);
                }
            }
            r.0 += upto as u64;
        }
        r.1.remove(to)
    }

    /// Waits for the code to `to`.
    pub async fn wait(&self, to: &str) -> anyhow::Result<String> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Some(c) = self.code_for(to).await {
                return Ok(c);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        bail!("no code for {to} within 30 s")
    }
}

/// The steps of one SMS and authenticator flow, in order.
pub const FLOW_STEPS: [&str; 5] = [
    "start + choose",
    "confirm phone",
    "code arrives",
    "verify SMS code",
    "verify authenticator",
];

/// Whole SMS and authenticator verifications, end to end; per step latencies (ms) and the
/// flows' own measurement.
pub async fn flows(
    server: &Server,
    site: &Site,
    users: std::ops::Range<usize>,
    concurrency: usize,
) -> anyhow::Result<(Measured, Vec<Vec<f64>>)> {
    let http = Http::new(server);
    let sink = Arc::new(Sink::new(site.sink()));
    let steps = Arc::new(Mutex::new(vec![Vec::new(); FLOW_STEPS.len()]));
    let first = users.start;
    let jobs = users.len();
    let label = format!("SMS and authenticator flows, concurrency {concurrency}");
    let st = steps.clone();
    let m = drive(server, jobs, concurrency, &label, move |i| {
        let (http, sink, steps) = (http.clone(), sink.clone(), st.clone());
        async move {
            let n = first + i;
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            let t0 = Instant::now();
            let token = http.session(n, "sms-totp").await?;
            let mut took = vec![ms(t0.elapsed())];
            let phone = site::phone(n);
            let (s, v, d) = http
                .call::<ep::ConfirmContact>(
                    Some(&token),
                    Some(json!({"contact_id": 0, "value": phone})),
                )
                .await?;
            if s != 200 {
                bail!("confirm phone: {s} {v}");
            }
            took.push(ms(d));
            let t = Instant::now();
            let code = sink.wait(&phone).await?;
            took.push(ms(t.elapsed()));
            let (s, v, d) = http
                .call::<ep::VerifyCode>(Some(&token), Some(json!({ "code": code })))
                .await?;
            if s != 200 {
                bail!("verify SMS code: {s} {v}");
            }
            took.push(ms(d));
            let (s, v, d) = http
                .call::<ep::VerifyTotp>(Some(&token), Some(json!({"code": site::totp(n, 0)})))
                .await?;
            if s != 200 || v["status"] != "completed" {
                bail!("verify authenticator: {s} {v}");
            }
            took.push(ms(d));
            let total = ms(t0.elapsed());
            let mut all = steps.lock().await;
            for (k, t) in took.into_iter().enumerate() {
                all[k].push(t);
            }
            Ok(vec![(200, total)])
        }
    })
    .await?;
    let steps = std::mem::take(&mut *steps.lock().await);
    Ok((m, steps))
}
