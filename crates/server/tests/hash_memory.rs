//! Answer checks do not grow the server's memory past its cap on concurrent Argon2id
//! computations: 128 checks, two at a time on tokio's blocking pool, leave at most about two
//! working memories (19 MiB each) held, because Argon2's memory is kept and reused
//! (`ea_core::answers`); freed instead, it stayed in the arena of every thread that hashed
//! (about 210 MiB here). Alone in its test binary, so the process's memory is this test's.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ea_core::answers::{self, HashCost};
use ea_server::abuse::Hashing;

fn status_kib(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("the field")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_checks_at_once_hold_memory_within_the_cap() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc (memory is read from it)");
        return;
    }
    let phc = answers::hash(
        "correct horse battery",
        HashCost::RECOMMENDED,
        &mut rand::rng(),
    )
    .expect("hash");
    let hashing = Hashing::new(2);
    let before = status_kib("VmRSS");
    // In waves, as requests come: each wave's checks wait for the two slots.
    for _ in 0..4 {
        let checks: Vec<_> = (0..32)
            .map(|i| {
                let (h, phc) = (hashing.clone(), phc.clone());
                tokio::spawn(async move {
                    let answer = if i % 2 == 0 {
                        "correct horse battery"
                    } else {
                        "wrong"
                    };
                    h.run(move || answers::verify(answer, &phc)).await
                })
            })
            .collect();
        for (i, c) in checks.into_iter().enumerate() {
            assert_eq!(c.await.expect("task").expect("hashed"), i % 2 == 0);
        }
        // Let the blocking pool's threads of other work come and go between waves.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let grown_mib = status_kib("VmRSS").saturating_sub(before) / 1024;
    let per_hash = u64::from(HashCost::RECOMMENDED.memory_kib) / 1024;
    assert!(
        grown_mib <= 3 * per_hash,
        "memory grew by {grown_mib} MiB after 128 checks two at a time; the cap allows about {} MiB",
        2 * per_hash
    );
}
