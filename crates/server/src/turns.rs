//! Turns per account: requests that write one account's guard and sessions take turns on this
//! instance instead of racing to a compare-and-swap conflict, so contention queues instead of
//! running out of retries (`busy`). Across instances at most one request per account and instance
//! races, and the compare-and-swap decides between them; a limit that is counted before it is
//! written (the send limits) also takes a lock in the database transaction that writes it
//! (`ea_store::lock_in`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::{Mutex as TurnLock, OwnedMutexGuard};

/// Above this many remembered keys, the ones nobody waits on are forgotten.
const SWEEP_AT: usize = 1024;

#[derive(Debug, Default)]
pub struct Turns {
    locks: Mutex<HashMap<String, Weak<TurnLock<()>>>>,
}

impl Turns {
    /// Waits for `key`'s turn; the turn ends when the guard is dropped.
    pub async fn take(&self, key: String) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            if locks.len() >= SWEEP_AT {
                locks.retain(|_, w| w.strong_count() > 0);
            }
            match locks.get(&key).and_then(Weak::upgrade) {
                Some(l) => l,
                None => {
                    let l = Arc::new(TurnLock::new(()));
                    locks.insert(key, Arc::downgrade(&l));
                    l
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_turn_at_a_time_per_key_and_keys_are_forgotten() {
        let turns = Arc::new(Turns::default());
        let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (turns, inside, most) = (turns.clone(), inside.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                use std::sync::atomic::Ordering::SeqCst;
                let _t = turns.take("acme/alice".into()).await;
                let n = inside.fetch_add(1, SeqCst) + 1;
                most.fetch_max(n, SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                inside.fetch_sub(1, SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
        // Another key is not held up by this one.
        let _a = turns.take("acme/alice".into()).await;
        let _b = turns.take("acme/bob".into()).await;
        drop((_a, _b));
        for i in 0..SWEEP_AT + 1 {
            drop(turns.take(format!("k{i}")).await);
        }
        let left = turns.locks.lock().unwrap().len();
        assert!(left < 10, "unused keys are forgotten: {left} left");
    }
}
