//! Fault points for the crash and race tests: with the `fault-points` feature (never in a release
//! build), `EA_FAULT_PAUSE=<name>` stops the request or worker that reaches the point named, and
//! the server prints `fault point <name> reached` on standard error, so a test can kill the
//! process exactly there; `EA_FAULT_DELAY=<name>:<ms>` holds every request there for a while,
//! widening a race window so a test shows what guards it. Without the feature, [`point`] is
//! nothing.

/// Pauses here for good, or for a while, when the feature is on and the environment names this
/// point.
#[allow(clippy::unused_async)]
pub async fn point(name: &'static str) {
    #[cfg(feature = "fault-points")]
    {
        if std::env::var("EA_FAULT_PAUSE").is_ok_and(|v| v == name) {
            eprintln!("fault point {name} reached");
            std::future::pending::<()>().await;
        }
        let delay = std::env::var("EA_FAULT_DELAY").ok().and_then(|v| {
            let (point, ms) = v.split_once(':')?;
            (point == name).then(|| ms.parse::<u64>().ok()).flatten()
        });
        if let Some(ms) = delay {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
    #[cfg(not(feature = "fault-points"))]
    let _ = name;
}

/// Says so loudly at start when this build has fault points (a test build).
pub fn warn_if_enabled() {
    #[cfg(feature = "fault-points")]
    tracing::warn!(
        "this ea-server was built with fault points for the crash tests (cargo feature \
         fault-points): never run such a build in production"
    );
}
