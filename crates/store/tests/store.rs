//! Repository tests on databases built by the real migrations: SQLite always, PostgreSQL too
//! when `EA_TEST_POSTGRES_URL` names a server (the README test command starts one and sets
//! `EA_POSTGRES_REQUIRED=1`, so that a missing server fails instead of skipping).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ea_core::flow::FlowDefinition;
use ea_core::session::{Subject, VerificationSession};
use ea_core::totp::{TotpCounters, TotpParams};
use ea_core::{AccountGuard, LockoutPolicy};
use ea_store::tenants::NewTenant;
use ea_store::users::NewUser;
use ea_store::{Store, StoreError, audit, guards, outbox, sessions, tenants, users};
use rand::{SeedableRng, rngs::StdRng};
use sea_orm::TransactionTrait;

struct Db {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn databases(name: &str) -> Vec<Db> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut out = vec![Db {
        url: format!("sqlite:{}", dir.path().join("ea.db").display()),
        _dir: Some(dir),
    }];
    if let Some(base) = ea_testkit::database::postgres_url() {
        out.push(Db {
            url: ea_testkit::database::fresh_postgres(&base, name).await,
            _dir: None,
        });
    }
    out
}

fn tenant() -> NewTenant {
    NewTenant {
        slug: "acme".into(),
        name: "Acme".into(),
        default_country: Some("41".into()),
        lockout: LockoutPolicy::default(),
        session_lifetime_seconds: 900,
    }
}

fn flow() -> FlowDefinition {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../flows/totp-only.toml"
    ))
    .expect("flow file");
    FlowDefinition::from_toml("totp-only.toml", &text).expect("valid")
}

fn subject() -> Subject {
    Subject {
        decoy: Vec::new(),
        known: true,
        phones: vec![],
        emails: vec![],
        questions: vec![],
        totp: None,
        default_country: None,
    }
}

#[tokio::test]
async fn sessions_survive_a_restart_and_refuse_stale_writes() {
    for db in databases("sessions").await {
        let store = Store::connect(&db.url).await.expect("connect");
        let t = tenants::add(store.db(), tenant(), 1).await.expect("tenant");
        let mut rng = StdRng::seed_from_u64(1);
        let s = VerificationSession::start(
            "sid".into(),
            "acme",
            "bob",
            &[flow()],
            900,
            &subject(),
            100,
            &mut rng,
        );
        sessions::insert(store.db(), "h1", t.id, &s)
            .await
            .expect("insert");
        store.close().await.expect("close");

        let store = Store::connect(&db.url)
            .await
            .expect("reopen (migrations are idempotent)");
        let (back, version, tenant_id) = sessions::load(store.db(), "h1")
            .await
            .expect("load")
            .expect("present");
        assert_eq!(back, s);
        assert_eq!((version, tenant_id), (0, t.id));
        let mut changed = back.clone();
        changed.step_index = 1;
        sessions::save(store.db(), "h1", &changed, 0)
            .await
            .expect("first write wins");
        let stale = sessions::save(store.db(), "h1", &back, 0).await;
        assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
        assert_eq!(
            sessions::load(store.db(), "h1")
                .await
                .expect("load")
                .map(|x| x.0.step_index),
            Some(1)
        );
        assert!(
            sessions::load(store.db(), "nope")
                .await
                .expect("load")
                .is_none()
        );
        assert_eq!(
            sessions::purge_expired(store.db(), 100 + 901)
                .await
                .expect("purge"),
            1
        );
    }
}

#[tokio::test]
async fn tenants_flows_and_users_round_trip() {
    for db in databases("users").await {
        let store = Store::connect(&db.url).await.expect("connect");
        let t = tenants::add(store.db(), tenant(), 1).await.expect("tenant");
        assert!(matches!(
            tenants::add(store.db(), tenant(), 1).await,
            Err(StoreError::Duplicate(_))
        ));
        assert_eq!(
            tenants::by_slug(store.db(), "acme").await.expect("q"),
            Some(t.clone())
        );
        tenants::put_flow(store.db(), t.id, &flow(), "src", 1)
            .await
            .expect("flow");
        tenants::put_flow(store.db(), t.id, &flow(), "src2", 2)
            .await
            .expect("replace flow");
        assert_eq!(
            tenants::flows(store.db(), t.id).await.expect("flows"),
            vec![flow()]
        );

        let new = NewUser {
            username: " Bob ".into(),
            display_name: "Bob".into(),
            phones: vec!["+41791234567".into()],
            emails: vec!["bob@example.org".into(), "b@example.org".into()],
            questions: vec![("Pet?".into(), "$argon2id$x".into())],
            totp: Some((vec![1, 2, 3], TotpParams::default())),
        };
        let txn = store.begin().await.expect("txn");
        let id = users::put(&txn, t.id, new.clone(), 5).await.expect("put");
        txn.commit().await.expect("commit");
        let u = users::find(store.db(), t.id, "BOB")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(u.id, id);
        assert_eq!(u.phones, vec!["+41791234567"]);
        assert_eq!(u.emails, vec!["bob@example.org", "b@example.org"]);
        assert_eq!(u.questions.len(), 1);
        let totp = u.totp.expect("totp");
        assert_eq!(
            (totp.sealed_secret.as_slice(), totp.version),
            (&[1u8, 2, 3][..], 0)
        );

        let c = TotpCounters {
            last_step: Some(99),
            drift: -1,
        };
        users::save_totp_counters(store.db(), id, c, 0)
            .await
            .expect("cas");
        assert!(matches!(
            users::save_totp_counters(store.db(), id, c, 0).await,
            Err(StoreError::Conflict)
        ));
        let u = users::find(store.db(), t.id, "bob")
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(u.totp.map(|t| t.counters), Some(c));

        // Importing again replaces rather than appends.
        let replaced = NewUser {
            emails: vec![],
            questions: vec![],
            totp: None,
            ..new
        };
        users::put(store.db(), t.id, replaced, 6)
            .await
            .expect("replace");
        let u = users::find(store.db(), t.id, "bob")
            .await
            .expect("find")
            .expect("exists");
        assert!(u.emails.is_empty() && u.questions.is_empty() && u.totp.is_none());
        assert_eq!(users::count(store.db(), t.id).await.expect("count"), 1);
        assert!(
            users::find(store.db(), t.id, "carol")
                .await
                .expect("find")
                .is_none()
        );
    }
}

#[tokio::test]
async fn guards_are_compare_and_swap() {
    for db in databases("guards").await {
        let store = Store::connect(&db.url).await.expect("connect");
        let t = tenants::add(store.db(), tenant(), 1).await.expect("tenant");
        let (g, v) = guards::load(store.db(), t.id, "ghost", guards::ACCOUNT)
            .await
            .expect("load");
        assert_eq!((g, v), (AccountGuard::default(), None));
        let g1 = AccountGuard { failures: 1, ..g };
        guards::save(store.db(), t.id, "ghost", guards::ACCOUNT, &g1, None)
            .await
            .expect("insert");
        // A second first-insert (another instance racing) is a conflict, not a duplicate row.
        assert!(matches!(
            guards::save(store.db(), t.id, "ghost", guards::ACCOUNT, &g1, None).await,
            Err(StoreError::Conflict)
        ));
        let (g, v) = guards::load(store.db(), t.id, "ghost", guards::ACCOUNT)
            .await
            .expect("load");
        assert_eq!((g, v), (g1, Some(0)));
        let g2 = AccountGuard { failures: 2, ..g };
        guards::save(store.db(), t.id, "ghost", guards::ACCOUNT, &g2, Some(0))
            .await
            .expect("update");
        assert!(matches!(
            guards::save(store.db(), t.id, "ghost", guards::ACCOUNT, &g2, Some(0)).await,
            Err(StoreError::Conflict)
        ));
    }
}

#[tokio::test]
async fn outbox_claims_are_exclusive_leases() {
    for db in databases("outbox").await {
        let store = Store::connect(&db.url).await.expect("connect");
        let t = tenants::add(store.db(), tenant(), 1).await.expect("tenant");
        let msg = |d: &str| outbox::NewMessage {
            tenant_id: t.id,
            channel: "sms".into(),
            destination: d.into(),
            sealed_body: vec![9],
            purpose: outbox::Purpose::Code,
        };
        let txn = store.db().begin().await.expect("txn");
        let a = outbox::enqueue(&txn, msg("+41000000001"), 10)
            .await
            .expect("enqueue");
        let b = outbox::enqueue(&txn, msg("+41000000002"), 10)
            .await
            .expect("enqueue");
        txn.commit().await.expect("commit");

        let first = outbox::claim_due(store.db(), 10, 30, 10)
            .await
            .expect("claim");
        assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), vec![a, b]);
        assert!(
            outbox::claim_due(store.db(), 20, 30, 10)
                .await
                .expect("claim")
                .is_empty(),
            "leased rows are not claimed twice"
        );

        outbox::mark_delivered(store.db(), a, 1, 21)
            .await
            .expect("delivered");
        outbox::mark_attempt_failed(store.db(), b, 1, Some(50), "gateway said 503")
            .await
            .expect("failed");
        assert!(
            outbox::claim_due(store.db(), 45, 30, 10)
                .await
                .expect("claim")
                .is_empty(),
            "not due yet"
        );
        let again = outbox::claim_due(store.db(), 50, 30, 10)
            .await
            .expect("claim");
        assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b]);
        // A crashed worker's lease runs out and the row comes back.
        let after_crash = outbox::claim_due(store.db(), 81, 30, 10)
            .await
            .expect("claim");
        assert_eq!(
            after_crash.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![b]
        );
        outbox::mark_attempt_failed(store.db(), b, 5, None, "gave up")
            .await
            .expect("give up");
        assert_eq!(outbox::pending_count(store.db()).await.expect("count"), 0);
        assert_eq!(
            outbox::get(store.db(), b)
                .await
                .expect("get")
                .map(|m| m.status),
            Some("failed".into())
        );

        audit::record(
            store.db(),
            audit::AuditEvent {
                tenant_id: Some(t.id),
                event: "test".into(),
                username: None,
                session_ref: None,
                detail: serde_json::json!({"k": 1}),
            },
            5,
        )
        .await
        .expect("audit");
        let rows = audit::export(store.db(), Some(t.id), Some(5))
            .await
            .expect("export");
        assert_eq!(rows.len(), 1);
        assert!(
            audit::export(store.db(), Some(t.id), Some(6))
                .await
                .expect("export")
                .is_empty()
        );
    }
}

#[tokio::test]
async fn emergency_code_uses_are_counted_atomically() {
    for db in databases("codes").await {
        let store = Store::connect(&db.url).await.expect("connect");
        let t = tenants::add(store.db(), tenant(), 1).await.expect("tenant");
        let new = NewUser {
            username: "bob".into(),
            display_name: "Bob".into(),
            phones: vec![],
            emails: vec![],
            questions: vec![],
            totp: None,
        };
        let uid = users::put(store.db(), t.id, new, 1).await.expect("user");
        let limits = ea_core::emergency::CodeLimits {
            max_uses: Some(3),
            valid_from: 100,
            valid_to: Some(200),
        };
        let id = ea_store::emergency::insert(
            store.db(),
            ea_store::emergency::NewCode {
                tenant_id: t.id,
                user_id: uid,
                code_hash: "h1".into(),
                limits,
            },
            100,
        )
        .await
        .expect("insert");
        assert!(matches!(
            ea_store::emergency::insert(
                store.db(),
                ea_store::emergency::NewCode {
                    tenant_id: t.id,
                    user_id: uid,
                    code_hash: "h1".into(),
                    limits
                },
                100
            )
            .await,
            Err(StoreError::Duplicate(_))
        ));
        assert!(
            !ea_store::emergency::consume(store.db(), id, 99)
                .await
                .expect("consume"),
            "not yet valid"
        );
        let mut tasks = Vec::new();
        for _ in 0..12 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                ea_store::emergency::consume(s.db(), id, 150)
                    .await
                    .expect("consume")
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.expect("join"));
        }
        assert_eq!(ok, 3);
        let row = ea_store::emergency::get(store.db(), id)
            .await
            .expect("get")
            .expect("row");
        assert_eq!((row.uses_left, row.uses), (Some(0), 3));

        let dated = ea_core::emergency::CodeLimits {
            max_uses: None,
            valid_from: 100,
            valid_to: Some(200),
        };
        let id2 = ea_store::emergency::insert(
            store.db(),
            ea_store::emergency::NewCode {
                tenant_id: t.id,
                user_id: uid,
                code_hash: "h2".into(),
                limits: dated,
            },
            100,
        )
        .await
        .expect("insert");
        assert!(
            ea_store::emergency::consume(store.db(), id2, 199)
                .await
                .expect("consume")
        );
        assert!(
            !ea_store::emergency::consume(store.db(), id2, 200)
                .await
                .expect("consume"),
            "end is exclusive"
        );
        assert!(
            ea_store::emergency::revoke(store.db(), t.id, id2, 150)
                .await
                .expect("revoke")
        );
        assert!(
            !ea_store::emergency::consume(store.db(), id2, 150)
                .await
                .expect("consume")
        );
    }
}
