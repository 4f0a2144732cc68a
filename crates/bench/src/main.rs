//! The benchmark command's runner (`scripts/bench.sh` builds everything in release mode and
//! runs it): every figure P1–P10 of the README's table, each with its reference measured in the
//! same run, printed as one table and written as JSON.
//!
//! `ea-bench [--quick] [--only P1,P5,…] [--out FILE] [--bin-dir DIR]`

mod desktop;
mod load;
mod procfs;
mod report;
mod site;

use anyhow::{Context, bail};
use report::{Row, percentiles};
use site::{Db, Site};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How much of everything: the full run, or a short one that checks the command works.
#[derive(Debug, Clone, Copy)]
struct Scale {
    /// Users of the main sites; sessions per load run are half of them each.
    users: usize,
    /// Sessions per authenticator load run (two requests each).
    sessions: usize,
    /// Whole flows measured.
    flows: usize,
    cold_starts: usize,
    idle: Duration,
    /// P10: users and audit rows of the large site (the small one has 1,000 users).
    large_users: usize,
    large_audit: usize,
    growth_sessions: usize,
    growth_flows: usize,
}

const FULL: Scale = Scale {
    users: 12_000,
    sessions: 5_000,
    flows: 600,
    cold_starts: 20,
    idle: Duration::from_secs(30),
    large_users: 100_000,
    large_audit: 1_000_000,
    growth_sessions: 400,
    growth_flows: 200,
};

const QUICK: Scale = Scale {
    users: 1_200,
    sessions: 300,
    flows: 60,
    cold_starts: 3,
    idle: Duration::from_secs(5),
    large_users: 10_000,
    large_audit: 50_000,
    growth_sessions: 200,
    growth_flows: 60,
};

#[derive(Debug)]
struct Args {
    scale: Scale,
    quick: bool,
    only: Option<Vec<String>>,
    out: PathBuf,
    bin: PathBuf,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        scale: FULL,
        quick: false,
        only: None,
        out: PathBuf::from("target/bench/latest.json"),
        bin: PathBuf::from("target/release"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => {
                a.scale = QUICK;
                a.quick = true;
            }
            "--only" => {
                let v = it.next().context("--only needs a list such as P1,P5")?;
                a.only = Some(v.split(',').map(|s| s.trim().to_uppercase()).collect());
            }
            "--out" => a.out = it.next().context("--out needs a file")?.into(),
            "--bin-dir" => a.bin = it.next().context("--bin-dir needs a folder")?.into(),
            "-h" | "--help" => {
                println!("ea-bench [--quick] [--only P1,P5,…] [--out FILE] [--bin-dir DIR]");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (see --help)"),
        }
    }
    Ok(a)
}

struct Run {
    args: Args,
    rows: Vec<Row>,
    cores: usize,
    /// Figures that could not be measured, with the reason: listed, and the command fails.
    failed: Vec<String>,
}

impl Run {
    fn wants(&self, id: &str) -> bool {
        self.args
            .only
            .as_ref()
            .is_none_or(|o| o.iter().any(|x| x == id))
    }

    fn push(&mut self, row: Row) {
        eprintln!(
            "  {} {}: {} {}",
            row.id,
            row.figure,
            report::num(row.median),
            row.unit
        );
        self.rows.push(row);
    }

    /// Keeps the outcome of one group of figures: an error is noted and the others go on.
    fn outcome(&mut self, what: &str, r: anyhow::Result<()>) {
        if let Err(e) = r {
            eprintln!("  {what}: not measured: {e:#}");
            self.failed.push(format!("{what}: {e:#}"));
        }
    }

    fn bin(&self, name: &str) -> PathBuf {
        self.args.bin.join(name)
    }
}

fn say(what: &str) {
    eprintln!("\x1b[1m== {what}\x1b[0m");
}

/// Size of a file in MB (10^6 bytes).
fn mb(path: &Path) -> anyhow::Result<f64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("size of {}", path.display()))?
        .len() as f64
        / 1e6)
}

/// A stripped copy of `bin` in `dir`; its size in MB.
fn stripped_mb(bin: &Path, dir: &Path) -> anyhow::Result<f64> {
    let out = dir.join(bin.file_name().context("a file name")?);
    let st = std::process::Command::new("strip")
        .arg("--strip-all")
        .arg("-o")
        .arg(&out)
        .arg(bin)
        .status()
        .context("run strip (binutils)")?;
    if !st.success() {
        bail!("strip {} failed", bin.display());
    }
    mb(&out)
}

fn p3_size(run: &mut Run) -> anyhow::Result<()> {
    say("P3 size");
    let dir = tempfile::tempdir()?;
    let app = stripped_mb(&run.bin("emergency-access"), dir.path())?;
    let empty = stripped_mb(&run.bin("ea-empty-window"), dir.path())?;
    let server = stripped_mb(&run.bin("ea-server"), dir.path())?;
    let mut r = Row::new("P3", "desktop binary, stripped", "MB");
    r.median = app;
    r.reference = Some(("empty window, stripped".into(), empty));
    r.target = Some(("< 20 MB".into(), app < 20.0));
    run.push(r);
    let mut r = Row::new("P3", "server binary, stripped", "MB");
    r.median = server;
    run.push(r);
    // The Linux packages, made by the same script as the releases'.
    let packages = Path::new("target/bench/packages");
    let _ = std::fs::remove_dir_all(packages);
    let st = std::process::Command::new("scripts/package-desktop.sh")
        .arg(run.bin("emergency-access"))
        .arg(packages)
        .stdout(std::process::Stdio::null())
        .status()
        .context("run scripts/package-desktop.sh")?;
    if !st.success() {
        bail!("scripts/package-desktop.sh failed");
    }
    let mut files = Vec::new();
    let mut dirs = vec![packages.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d)?.flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else {
                files.push(e);
            }
        }
    }
    files.sort_by_key(|e| e.file_name());
    for e in files {
        let name = e.file_name().to_string_lossy().into_owned();
        let kind = if name.ends_with(".deb") {
            ".deb"
        } else if name.ends_with(".rpm") {
            ".rpm"
        } else {
            continue;
        };
        let mut r = Row::new("P3", format!("desktop {kind} package"), "MB");
        r.median = mb(&e.path())?;
        r.note = name;
        run.push(r);
    }
    Ok(())
}

/// The rows a release example prints with `--json`: `[{figure, median, p95, unit}]`.
fn example_rows(bin: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let out = std::process::Command::new(bin)
        .arg("--json")
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("run {}", bin.display()))?;
    if !out.status.success() {
        bail!("{} failed", bin.display());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text
        .lines()
        .rev()
        .find(|l| l.starts_with('['))
        .context("no JSON rows")?;
    Ok(serde_json::from_str(json)?)
}

/// The rows of a release example (`--json`) as figure `id`; those whose name holds `targeted`
/// are held to a p95 under `limit_ms`.
fn example_figures(
    run: &mut Run,
    id: &'static str,
    example: &str,
    targeted: &str,
    limit_ms: f64,
) -> anyhow::Result<()> {
    for v in example_rows(&run.bin(&format!("examples/{example}")))? {
        let figure = v["figure"].as_str().unwrap_or_default().to_owned();
        let mut r = Row::new(id, figure.clone(), "ms");
        r.median = v["median"].as_f64().unwrap_or(f64::NAN);
        r.p95 = v["p95"].as_f64();
        if let Some(apdus) = v.get("apdus") {
            r.note = format!("{apdus} APDUs");
        }
        if figure.contains(targeted) {
            let p95 = r.p95.unwrap_or(f64::INFINITY);
            r.target = Some((format!("p95 < {limit_ms} ms"), p95 < limit_ms));
        }
        run.push(r);
    }
    Ok(())
}

fn p4_qr(run: &mut Run) -> anyhow::Result<()> {
    say("P4 QR decode per frame");
    example_figures(run, "P4", "scan_bench", "decode 1280x720", 16.0)
}

fn p8_card(run: &mut Run) -> anyhow::Result<()> {
    say("P8 card unblock");
    example_figures(run, "P8", "unblock_bench", "through pcscd", 500.0)
}

fn p6_hash_cost(run: &mut Run) -> anyhow::Result<()> {
    say("P6 Argon2id");
    use ea_core::answers::{HashCost, hash, verify};
    let cost = HashCost::RECOMMENDED;
    let mut rng = rand::rng();
    let phc = hash(site::ANSWER, cost, &mut rng).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut v = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(verify(site::ANSWER, &phc));
        v.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (med, p95, _) = percentiles(&mut v);
    let mut r = Row::new("P6", "Argon2id, one answer check", "ms");
    r.median = med;
    r.p95 = Some(p95);
    r.note = format!(
        "m={} MiB, t={}, p={}; at most one per core at once ({} here)",
        cost.memory_kib / 1024,
        cost.iterations,
        cost.parallelism,
        run.cores
    );
    run.push(r);
    Ok(())
}

/// A server on `site` with `env` added (settings by `EA__…`), warmed up.
async fn serve(site: &Site, env: &[(&str, String)]) -> anyhow::Result<site::Server> {
    let cmd_env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let server = site.serve_with(&cmd_env)?;
    load::health(&server, 200, 4).await?;
    Ok(server)
}

/// P5 on one store: authenticator checks at concurrency 8 and 32, with `/healthz` as the
/// reference; P7 on the same server.
async fn p5_p7(run: &mut Run, site: &Site, users_from: usize) -> anyhow::Result<()> {
    let s = run.args.scale;
    let db = site.kind.name();
    let server = serve(site, &[]).await?;
    let http = load::Http::new(&server);
    if run.wants("P5") {
        say(&format!("P5 verification throughput, {db}"));
        let mut from = users_from;
        for conc in [8, 32] {
            let sessions = load::sessions(&http, from..from + s.sessions, "totp-only", 8).await?;
            from += s.sessions;
            let m = load::totp_checks(&server, sessions, conc).await?;
            let h = load::health(&server, m.requests, conc).await?;
            let (p50, p95, p99) = m.p();
            let mut r = Row::new(
                "P5",
                format!("authenticator check, {db}, concurrency {conc}"),
                "req/s",
            );
            r.median = m.per_second();
            r.reference = Some(("/healthz".into(), h.per_second()));
            r.note = format!("{} requests: {}", m.requests, m.statuses_text());
            if m.errors_5xx() > 0 {
                r.note.push_str(" (5xx!)");
            }
            run.push(r);
            let mut r = Row::new(
                "P5",
                format!("authenticator check latency, {db}, concurrency {conc}"),
                "ms",
            );
            r.median = p50;
            r.p95 = Some(p95);
            r.p99 = Some(p99);
            r.reference = Some(("/healthz".into(), h.p().0));
            if conc == 8 {
                r.target = Some((
                    "p99 < 50 ms, no 5xx".into(),
                    p99 < 50.0 && m.errors_5xx() == 0,
                ));
            }
            run.push(r);
            let mut r = Row::new(
                "P5",
                format!("server CPU per check, {db}, concurrency {conc}"),
                "ms",
            );
            r.median = m.cpu_per_request();
            r.reference = Some(("/healthz".into(), h.cpu_per_request()));
            r.target = Some(("< 1 ms".into(), m.cpu_per_request() < 1.0));
            r.note = "the ea-server process".into();
            run.push(r);
            if let Some(db_cpu) = m.db_cpu_per_request() {
                let mut r = Row::new(
                    "P5",
                    format!("database CPU per check, {db}, concurrency {conc}"),
                    "ms",
                );
                r.median = db_cpu;
                r.note = "PostgreSQL's processes, beside the server's".into();
                run.push(r);
            }
        }
    }
    if run.wants("P7") {
        say(&format!("P7 whole flows, {db}"));
        let first = users_from + 2 * s.sessions;
        let (m, steps) = load::flows(&server, site, first..first + s.flows, 8).await?;
        let per_core = m.per_second() / run.cores as f64;
        let mut r = Row::new(
            "P7",
            format!("SMS + authenticator flows, {db}, concurrency 8"),
            "flows/s",
        );
        r.median = m.per_second();
        r.target = Some(("≥ 10 per core".into(), per_core >= 10.0));
        r.note = format!("{per_core:.1} per core; {} flows", m.requests);
        run.push(r);
        for (name, mut v) in load::FLOW_STEPS.iter().zip(steps) {
            let (p50, p95, p99) = percentiles(&mut v);
            let mut r = Row::new("P7", format!("step: {name}, {db}"), "ms");
            r.median = p50;
            r.p95 = Some(p95);
            r.p99 = Some(p99);
            run.push(r);
        }
    }
    server.kill();
    Ok(())
}

/// P6: the server's peak memory under 32 answer checks at once, with the shipped cap on
/// concurrent hashes and (the reference) with the cap lifted to 32.
async fn p6_memory(run: &mut Run, site: &Site) -> anyhow::Result<()> {
    say("P6 peak memory under 32 concurrent answer checks");
    let mib = |k: u64| k as f64 / 1024.0;
    let mut figures = Vec::new();
    for (cap, users) in [(0usize, 0..32), (32, 32..64)] {
        let env: Vec<(&str, String)> = if cap > 0 {
            vec![("EA__LIMITS__HASHES_IN_FLIGHT", cap.to_string())]
        } else {
            Vec::new()
        };
        let server = serve(site, &env).await?;
        let http = load::Http::new(&server);
        let sessions = load::sessions(&http, users, "totp-questions", 8).await?;
        for (n, token) in &sessions {
            let body = serde_json::json!({ "code": site::totp(*n, 0) });
            let (st, v, _) = http
                .call::<ea_api::endpoints::VerifyTotp>(Some(token), Some(body))
                .await?;
            if st != 200 {
                bail!("authenticator step before the questions: {st} {v}");
            }
        }
        let idle = procfs::status_kib(server.pid, "VmRSS").unwrap_or_default();
        let m = load::answer_checks(&server, sessions).await?;
        let peak = procfs::status_kib(server.pid, "VmHWM").unwrap_or_default();
        figures.push((mib(idle), mib(peak), m));
        server.kill();
    }
    let cost = ea_core::answers::HashCost::RECOMMENDED;
    let per_hash = f64::from(cost.memory_kib) / 1024.0;
    let bound = run.cores as f64 * per_hash;
    let (idle, peak, m) = &figures[0];
    let (_, peak_uncapped, _) = &figures[1];
    let mut r = Row::new("P6", "server peak RSS, 32 answer checks at once", "MiB");
    r.median = *peak;
    r.reference = Some(("same with the cap lifted to 32".into(), *peak_uncapped));
    let growth = peak - idle;
    // The cap's bound: one Argon2 block per hash allowed at once, and a tenth for the rest.
    r.target = Some((
        format!(
            "growth ≤ {:.0} MiB ({} × {per_hash:.0} MiB, +10 %)",
            bound * 1.1,
            run.cores
        ),
        growth <= bound * 1.1,
    ));
    r.note = format!(
        "idle {idle:.0} MiB, growth {growth:.0} MiB; {} answers: {}",
        m.requests,
        m.statuses_text()
    );
    run.push(r);
    let (p50, p95, p99) = m.p();
    let mut r = Row::new("P6", "answer check latency, 32 at once", "ms");
    r.median = p50;
    r.p95 = Some(p95);
    r.p99 = Some(p99);
    run.push(r);
    Ok(())
}

/// P9: a server killed with SIGKILL and started again (as its supervisor would), with a
/// message queued while it was down (an invitation by the admin command): the time from the
/// restart to `/healthz` answering, and to the message delivered.
async fn p9_recovery(run: &mut Run, site: &Site, user: usize) -> anyhow::Result<()> {
    say(&format!("P9 recovery, {}", site.kind.name()));
    let client = reqwest::Client::new();
    let (mut health, mut delivered) = (Vec::new(), Vec::new());
    let runs = if run.args.quick { 2 } else { 5 };
    for i in 0..runs {
        let server = serve(site, &[]).await?;
        server.kill();
        let name = site::username(user + i);
        let to = format!("{name}@bench.example");
        site.ok(&["invite", "--tenant", "bench", "--email", &to, &name])?;
        let restarted = Instant::now();
        let server = site.serve_with(&[])?;
        site::until_ok(&client, &server.url("/healthz"), Duration::from_secs(30))
            .await
            .context("no /healthz after the restart")?;
        health.push(restarted.elapsed().as_secs_f64());
        loop {
            let text = std::fs::read_to_string(site.sink()).unwrap_or_default();
            if text.contains(&format!(" to {to}\n")) {
                break;
            }
            if restarted.elapsed() > Duration::from_secs(120) {
                bail!("the queued invitation was not delivered within 120 s of the restart");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        delivered.push(restarted.elapsed().as_secs_f64());
        server.kill();
    }
    let db = site.kind.name();
    for (name, mut v) in [
        ("restart after kill -9 to /healthz", health),
        (
            "restart after kill -9 to the queued message delivered",
            delivered,
        ),
    ] {
        let (m, p95, _) = percentiles(&mut v);
        let mut r = Row::new("P9", format!("{name}, {db}"), "s");
        r.median = m;
        r.p95 = Some(p95);
        r.target = Some(("< 2 s".into(), p95 < 2.0));
        r.note = format!("{} runs", v.len());
        run.push(r);
    }
    Ok(())
}

/// Adds `rows` audit rows to the site's database, then links them into the chain as the
/// server does (`ea-server audit verify` links and checks).
async fn add_audit_rows(site: &Site, rows: usize) -> anyhow::Result<()> {
    use ea_store::Connection;
    let store = ea_store::Store::connect(&site.db).await?;
    let batch = 100_000.min(rows);
    let mut done = 0;
    while done < rows {
        let n = batch.min(rows - done);
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             INSERT INTO audit_log (at, tenant_id, event, username, session_ref, detail) \
             SELECT 1700000000 + i, (SELECT id FROM tenants WHERE slug = 'bench'), \
             'session_started', 'user' || i, NULL, '{{\"known_user\":true}}' FROM n"
        );
        store.db().execute_unprepared(&sql).await?;
        done += n;
        eprint!("\r    audit rows: {done}/{rows}   ");
    }
    eprintln!("\r    audit rows: {rows}, linking them into the chain");
    let t = Instant::now();
    site.ok(&["audit", "verify"])?;
    eprintln!(
        "    linked and checked in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// P10: authenticator checks and whole flows on 1,000 users, then on the large population
/// with the audit rows; the ratio says how cost grows with data.
async fn p10_growth(run: &mut Run) -> anyhow::Result<()> {
    let s = run.args.scale;
    let mut results = Vec::new();
    for (users, audit) in [(1_000usize, 0usize), (s.large_users, s.large_audit)] {
        say(&format!(
            "P10 growth: {users} users, {audit} audit rows (SQLite)"
        ));
        let site = Site::new(&run.args.bin, Db::Sqlite, None, users, 0).await?;
        if audit > 0 {
            add_audit_rows(&site, audit).await?;
        }
        let server = serve(&site, &[]).await?;
        let http = load::Http::new(&server);
        let sessions = load::sessions(&http, 0..s.growth_sessions, "totp-only", 8).await?;
        let checks = load::totp_checks(&server, sessions, 8).await?;
        let from = s.growth_sessions;
        let (flows, _) = load::flows(&server, &site, from..from + s.growth_flows, 8).await?;
        server.kill();
        results.push((checks, flows));
    }
    let label = format!("{} users + {} audit rows", s.large_users, s.large_audit);
    let (small, large) = (&results[0], &results[1]);
    let rows = [
        (
            "authenticator check p50",
            "ms",
            small.0.p().0,
            large.0.p().0,
        ),
        (
            "authenticator check p99",
            "ms",
            small.0.p().2,
            large.0.p().2,
        ),
        (
            "authenticator check CPU",
            "ms",
            small.0.cpu_per_request(),
            large.0.cpu_per_request(),
        ),
        (
            "SMS + authenticator flow p50",
            "ms",
            small.1.p().0,
            large.1.p().0,
        ),
        (
            "SMS + authenticator flow CPU",
            "ms",
            small.1.cpu_per_request(),
            large.1.cpu_per_request(),
        ),
    ];
    for (name, unit, small, large) in rows {
        let mut r = Row::new("P10", format!("{name}, {label}"), unit);
        r.median = large;
        r.reference = Some(("1,000 users".into(), small));
        r.target = Some(("≤ 1.5x".into(), large <= small * 1.5));
        run.push(r);
    }
    Ok(())
}

fn p1_p2_desktop(run: &mut Run, server_url: &str) -> anyhow::Result<()> {
    if std::env::var_os("DISPLAY").is_none() {
        bail!("no DISPLAY: the benchmark command runs the desktop figures under Xvfb");
    }
    let app = desktop::Program {
        name: "app",
        bin: run.bin("emergency-access"),
        signal: desktop::Signal::LogFile("emergency-access.log"),
        env: vec![
            ("EA_SERVER_URL".into(), server_url.into()),
            ("EA_TENANT".into(), "bench".into()),
        ],
    };
    let empty = desktop::Program {
        name: "empty window",
        bin: run.bin("ea-empty-window"),
        signal: desktop::Signal::Stdout,
        env: Vec::new(),
    };
    if run.wants("P1") {
        say("P1 cold start to the first interactive screen");
        // Alternated, so that whatever else the machine does weighs on both alike.
        let (mut a, mut e) = (Vec::new(), Vec::new());
        for _ in 0..run.args.scale.cold_starts {
            a.extend(desktop::cold_starts(&app, 1)?);
            e.extend(desktop::cold_starts(&empty, 1)?);
        }
        let (am, ap, _) = percentiles(&mut a);
        let (em, _, _) = percentiles(&mut e);
        let mut r = Row::new("P1", "desktop cold start to first interactive screen", "s");
        r.median = am;
        r.p95 = Some(ap);
        r.reference = Some(("empty Tauri window".into(), em));
        r.target = Some(("p95 < 1 s, ≤ 1.1x".into(), ap < 1.0 && am <= em * 1.1));
        r.note = format!("{} runs each", a.len());
        run.push(r);
    }
    if run.wants("P2") {
        say("P2 memory at idle");
        let idle = run.args.scale.idle;
        let a = desktop::idle_pss(&app, idle)?;
        let e = desktop::idle_pss(&empty, idle)?;
        let mut r = Row::new(
            "P2",
            format!("desktop PSS after {} s idle", idle.as_secs()),
            "MiB",
        );
        r.median = a;
        r.reference = Some(("empty Tauri window".into(), e));
        r.target = Some(("≤ empty + 40 MiB".into(), a <= e + 40.0));
        r.note = "whole process tree, WebKit's processes included".into();
        run.push(r);
    }
    Ok(())
}

async fn main_async() -> anyhow::Result<()> {
    let args = args()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut run = Run {
        args,
        rows: Vec::new(),
        cores,
        failed: Vec::new(),
    };
    let started = Instant::now();
    let s = run.args.scale;
    if run.wants("P3") {
        let r = p3_size(&mut run);
        run.outcome("P3", r);
    }
    if run.wants("P4") {
        let r = p4_qr(&mut run);
        run.outcome("P4", r);
    }
    if run.wants("P6") {
        let r = p6_hash_cost(&mut run);
        run.outcome("P6", r);
    }
    if run.wants("P8") {
        let r = p8_card(&mut run);
        run.outcome("P8", r);
    }
    let server_figures = ["P1", "P2", "P5", "P6", "P7", "P9"];
    if server_figures.iter().any(|f| run.wants(f)) {
        say(&format!("SQLite site: {} users", s.users));
        match Site::new(&run.args.bin, Db::Sqlite, None, s.users, 64).await {
            Err(e) => run.outcome("the SQLite site", Err(e)),
            Ok(sqlite) => {
                if run.wants("P5") || run.wants("P7") {
                    let r = p5_p7(&mut run, &sqlite, 64).await;
                    run.outcome("P5/P7 on SQLite", r);
                }
                if run.wants("P6") {
                    let r = p6_memory(&mut run, &sqlite).await;
                    run.outcome("P6", r);
                }
                if run.wants("P9") {
                    let r = p9_recovery(&mut run, &sqlite, s.users - 10).await;
                    run.outcome("P9 on SQLite", r);
                }
                if run.wants("P1") || run.wants("P2") {
                    let r = match serve(&sqlite, &[]).await {
                        Ok(server) => {
                            let r = p1_p2_desktop(&mut run, &server.base);
                            server.kill();
                            r
                        }
                        Err(e) => Err(e),
                    };
                    run.outcome("P1/P2", r);
                }
            }
        }
        if ["P5", "P7", "P9"].iter().any(|f| run.wants(f)) {
            say("PostgreSQL: a server of the benchmark's own, fsync on");
            let cluster = ea_testkit::database::Cluster::start_durable();
            match Site::new(
                &run.args.bin,
                Db::Postgres,
                Some(&cluster.url()),
                s.users,
                0,
            )
            .await
            {
                Err(e) => run.outcome("the PostgreSQL site", Err(e)),
                Ok(mut pg) => {
                    pg.db_pid = cluster.server_pid();
                    if run.wants("P5") || run.wants("P7") {
                        let r = p5_p7(&mut run, &pg, 64).await;
                        run.outcome("P5/P7 on PostgreSQL", r);
                    }
                    if run.wants("P9") {
                        let r = p9_recovery(&mut run, &pg, s.users - 10).await;
                        run.outcome("P9 on PostgreSQL", r);
                    }
                }
            }
        }
    }
    if run.wants("P10") {
        let r = p10_growth(&mut run).await;
        run.outcome("P10", r);
    }

    let table = report::table(&run.rows);
    println!("{table}");
    let machine = machine();
    let json = serde_json::json!({
        "command": if run.args.quick { "./scripts/bench.sh --quick" } else { "./scripts/bench.sh" },
        "machine": machine,
        "finished_at": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        "seconds": started.elapsed().as_secs(),
        "rows": run.rows.iter().map(Row::json).collect::<Vec<_>>(),
        "not_measured": run.failed,
    });
    if let Some(dir) = run.args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = run.args.out.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(&json)? + "\n")?;
    std::fs::rename(&tmp, &run.args.out)?;
    std::fs::write(
        run.args.out.with_extension("md"),
        format!("{machine}\n\n{table}"),
    )?;
    eprintln!(
        "{} figures in {:.0} s; written to {} (and .md)",
        run.rows.len(),
        started.elapsed().as_secs_f64(),
        run.args.out.display()
    );
    let missed: Vec<_> = run
        .rows
        .iter()
        .filter(|r| matches!(r.target, Some((_, false))))
        .map(|r| format!("{} {}", r.id, r.figure))
        .collect();
    if !missed.is_empty() {
        eprintln!("targets missed: {}", missed.join("; "));
    }
    if !run.failed.is_empty() {
        bail!("not measured:\n  {}", run.failed.join("\n  "));
    }
    Ok(())
}

/// The machine, in one line: CPU model and count, memory, kernel.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(String::new(), |kib| {
            format!(", {:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cores} × {cpu}{mem}, Linux {}", kernel.trim())
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ea-bench: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(main_async()) {
        eprintln!("ea-bench: {e:#}");
        std::process::exit(1);
    }
}
