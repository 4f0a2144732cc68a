//! Desktop end to end: the built app in a real WebKitGTK window (Xvfb), driven over WebDriver
//! (tauri-driver + WebKitWebDriver), against a real `ea-server` process with the demo tenant,
//! whose accounts live in a throw-away OpenLDAP directory (the password reset is checked there
//! with a bind).
//! Codes are read from the server's dev sink; authenticator codes come from the printed secret.
//!
//! Runs under `scripts/test.sh` (which sets EA_DESKTOP_E2E=1 and provides Xvfb). Elsewhere, a
//! missing display or driver skips the test with the reason printed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ea_core::totp::{TotpParams, code_at};
use ea_testkit::{Running, eventually, free_port, which};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEK: &str = "ZGVza3RvcC1lMmUta2V5LWZvci1kZW1vLWRhdGEtMzI=";

fn app_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_emergency-access"))
}

fn server_binary() -> PathBuf {
    app_binary().with_file_name(if cfg!(windows) {
        "ea-server.exe"
    } else {
        "ea-server"
    })
}

/// `Some(reason)` when this machine cannot run the test.
fn missing_prerequisite() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() {
        return Some("no DISPLAY (run under xvfb-run)".into());
    }
    for tool in ["tauri-driver", "WebKitWebDriver"] {
        if which(tool).is_none() {
            return Some(format!("{tool} is not installed"));
        }
    }
    if !server_binary().exists() {
        return Some(format!("{} is not built", server_binary().display()));
    }
    None
}

struct Demo {
    _server: Running,
    /// The demo tenant's directory: alice's password is reset there.
    slapd: ea_testkit::ldap::Slapd,
    url: String,
    sink: PathBuf,
    data: PathBuf,
    alice_totp: Vec<u8>,
    carol_totp: Vec<u8>,
    /// The enrolment code of the demo's invitation for dana.
    dana_code: String,
}

/// The authenticator secret of `user` from the demo command's output.
fn demo_secret(printed: &str, user: &str) -> Vec<u8> {
    let uri = printed
        .lines()
        .find(|l| l.contains(&format!("demo%3A{user}?secret=")))
        .expect("the user's authenticator URI");
    secret_of(uri)
}

/// The secret an `otpauth://` URI carries.
fn secret_of(uri: &str) -> Vec<u8> {
    let secret = uri
        .split("secret=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("secret");
    data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .expect("base32")
}

/// alice's password in the directory before the test resets it.
const ALICE_OLD_PASSWORD: &str = "alice-before-the-test";
const ALICE_NEW_PASSWORD: &str = "violet staple orbit canyon";

async fn start_server(dir: &Path) -> Demo {
    // The demo tenant's accounts live in a real OpenLDAP directory (slapd with ppolicy, TLS).
    let slapd = ea_testkit::ldap::Slapd::start()
        .await
        .expect("slapd (the README test command installs it)");
    slapd
        .add_person(
            "alice",
            ALICE_OLD_PASSWORD,
            Some("+41 79 555 01 01"),
            None,
            None,
        )
        .await;
    let config = dir.join("server.toml");
    std::fs::write(
        &config,
        format!("[directories.demo]\n{}", slapd.config_toml(5)),
    )
    .expect("config");
    let data = dir.join("data");
    let demo = Command::new(server_binary())
        .env("EA_KEK", KEK)
        .args(["--data-dir", &data.display().to_string(), "demo"])
        .output()
        .expect("ea-server demo");
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let printed = String::from_utf8_lossy(&demo.stdout);
    let alice_totp = demo_secret(&printed, "alice");
    let carol_totp = demo_secret(&printed, "carol");
    let dana_code = printed
        .split("enrolment code ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .expect("the demo's invitation for dana")
        .to_owned();
    let sink = dir.join("messages.log");
    let mut child = Command::new(server_binary())
        .env("EA_KEK", KEK)
        .args([
            "--data-dir",
            &data.display().to_string(),
            "--config",
            &config.display().to_string(),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--dev-sink",
            &sink.display().to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("server.log")).expect("log"))
        .spawn()
        .expect("ea-server serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("address")
        .to_owned();
    Demo {
        _server: Running(child),
        slapd,
        url,
        sink,
        data,
        alice_totp,
        carol_totp,
        dana_code,
    }
}

/// Waits up to 20 s for `f` to give a value.
async fn wait_until<T>(what: &str, f: impl AsyncFnMut() -> Option<T>) -> T {
    eventually(what, Duration::from_secs(20), f).await
}

/// How many messages the dev sink holds so far.
fn messages_so_far(sink: &Path) -> usize {
    std::fs::read_to_string(sink)
        .unwrap_or_default()
        .matches("--- message ")
        .count()
}

/// The code of `digits` digits in the first message to `to` after the first `after` messages.
async fn code_sent_to(sink: &Path, to: &str, digits: usize, after: usize) -> String {
    wait_until(&format!("a code for {to}"), async || {
        let log = std::fs::read_to_string(sink).ok()?;
        let block = log.split("--- message ").skip(after + 1).find(|b| {
            b.lines()
                .next()
                .is_some_and(|l| l.ends_with(&format!(" to {to}")))
        })?;
        block
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == digits)
            .map(str::to_owned)
    })
    .await
}

/// The authenticator's current time step.
fn totp_step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
        / 30
}

struct Ui {
    c: Client,
    shots: Option<PathBuf>,
}

impl Ui {
    async fn heading(&self, text: &str) {
        wait_until(&format!("heading {text:?}"), async || {
            let h = self.c.find(Locator::Css("h1")).await.ok()?;
            (h.text().await.ok()? == text).then_some(())
        })
        .await;
    }

    async fn fill(&self, css: &str, value: &str) {
        let e = self
            .c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .expect(css);
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.c
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
    }

    /// The text of the first element matching `css`, once it appears.
    async fn text_of(&self, css: &str) -> String {
        self.text_within(css, Duration::from_secs(20)).await
    }

    /// The text of the first element matching `css`, which must appear within `limit`.
    async fn text_within(&self, css: &str, limit: Duration) -> String {
        eventually(css, limit, async || {
            self.c.find(Locator::Css(css)).await.ok()?.text().await.ok()
        })
        .await
    }

    /// Whether nothing matches `css` right now.
    async fn absent(&self, css: &str) -> bool {
        self.c.find(Locator::Css(css)).await.is_err()
    }

    /// Waits until nothing matches `css`.
    async fn gone(&self, css: &str) {
        wait_until(&format!("{css} to go"), async || {
            self.absent(css).await.then_some(())
        })
        .await;
    }

    async fn error_text(&self) -> String {
        self.text_of("[data-testid=error]").await
    }

    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            let png = self.c.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
        }
    }
}

/// Starts tauri-driver with `env` for the apps it starts; returns it and its address.
async fn tauri_driver(env: &[(&str, String)], log: &Path) -> (Running, String) {
    let (port, native) = (free_port(), free_port());
    let driver = Running(
        Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log"))
            .spawn()
            .expect("tauri-driver"),
    );
    wait_until("tauri-driver", async || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    })
    .await;
    (driver, format!("http://127.0.0.1:{port}"))
}

/// Ends a WebDriver session and waits for the app to exit.
async fn close_app(c: Client) {
    let _ = c.close().await;
    eventually("the app to exit", Duration::from_secs(30), async || {
        (!app_running()).then_some(())
    })
    .await;
}

/// A WebDriver session: the app starts with the environment tauri-driver was given, and `args`.
async fn start_app(driver: &str, args: &[&str]) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": app_binary(), "args": args }),
    );
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("WebDriver session")
}

/// Whether a process of the app binary still runs (Linux: `/proc/*/exe`). The next scenario's app
/// must not start while the last one is still shutting down: the single-instance plugin would
/// find it on the session bus and hand its start to a process on its way out.
fn app_running() -> bool {
    let app = app_binary().canonicalize().unwrap_or_else(|_| app_binary());
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .any(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == app))
        })
        .unwrap_or(false)
}

/// Saves a screenshot of the window if the scenario panics.
struct ShotOnFailure {
    client: Client,
    path: PathBuf,
}

impl Drop for ShotOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let client = self.client.clone();
            let png = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(client.screenshot())
            });
            if let Ok(png) = png {
                let _ = std::fs::write(&self.path, png);
                eprintln!("screenshot of the failure: {}", self.path.display());
            }
        }
    }
}

/// The first start with nothing configured: the server's address typed, the organisation picked
/// from the list the server publishes, then the username. Types the username to see it is not kept.
async fn first_run(ui: &Ui, demo: &Demo) {
    ui.heading("Connect to your organisation").await;
    // Enter in the address looks the organisations up; the only one listed is picked.
    ui.fill("#server-url", &format!("{}\u{E007}", demo.url))
        .await;
    ui.c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(
            "[data-testid=listed-tenants] input[value=demo]:checked",
        ))
        .await
        .expect("the only organisation listed is picked");
    let tenant = ui.c.find(Locator::Css("#tenant")).await.expect("tenant");
    assert_eq!(
        tenant.prop("value").await.expect("value").as_deref(),
        Some("demo"),
        "the pick fills the short name"
    );
    ui.shot("first-run").await;
    ui.click("button[type=submit]").await;
    ui.heading("Who are you?").await;
    // A session is started under the name, so there was every chance to keep it.
    ui.fill("#username", "alice").await;
    ui.click("button[type=submit]").await;
    ui.heading("How do you want to prove it is you?").await;
}

async fn sms_totp_reset_password(ui: &Ui, demo: &Demo) {
    ui.heading("Who are you?").await;
    ui.shot("username").await;
    ui.fill("#username", "alice").await;
    ui.click("button[type=submit]").await;
    ui.heading("How do you want to prove it is you?").await;
    ui.shot("method-choice").await;
    ui.click("[data-flow='sms-totp']").await;
    ui.heading("Where should we send the code?").await;
    ui.fill("#contact-value", "079 555 01 01").await;
    ui.shot("contact").await;
    let sent = messages_so_far(&demo.sink);
    ui.click("button[type=submit]").await;
    ui.heading("Enter the code").await;
    let code = code_sent_to(&demo.sink, "+41795550101", 6, sent).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    // A complete code goes by itself: no click.
    ui.fill("#code", wrong).await;
    let err = ui.error_text().await;
    assert_eq!(
        err.trim(),
        "The code is wrong. Tries left for this code: 2.",
        "translated error with tries left"
    );
    ui.shot("code-wrong").await;
    ui.fill("#code", &code).await;
    ui.heading("Enter the code from your authenticator app")
        .await;
    ui.shot("totp").await;
    ui.fill(
        "#totp",
        &code_at(&demo.alice_totp, TotpParams::default(), totp_step()),
    )
    .await;
    ui.heading("You are verified").await;
    ui.shot("actions").await;
    ui.click("[data-action='reset_password']").await;
    ui.heading("Choose a new password").await;
    ui.fill("#pw1", "alice2024").await;
    ui.fill("#pw2", "alice2024").await;
    ui.shot("password-rules").await;
    ui.fill("#pw1", ALICE_NEW_PASSWORD).await;
    ui.fill("#pw2", ALICE_NEW_PASSWORD).await;
    ui.click("button[type=submit]").await;
    ui.text_of("[data-testid=password-done]").await;
    // The directory holds the new password: a bind with it works, with the old one not.
    let dn = format!("uid=alice,{}", ea_testkit::ldap::PEOPLE);
    assert!(
        demo.slapd.can_bind(&dn, ALICE_NEW_PASSWORD).await,
        "the new password opens the account"
    );
    assert!(
        !demo.slapd.can_bind(&dn, ALICE_OLD_PASSWORD).await,
        "the old one no longer does"
    );
}

/// The authenticator secret in the QR code on the screen: a screenshot of the window, decoded
/// as a camera frame would be, the `otpauth://` URI read back.
async fn secret_from_screen(ui: &Ui) -> Vec<u8> {
    let decoder = ea_scan::decode::QrDecoder;
    let uri = wait_until("a QR code on the screen", async || {
        let png = ui.c.screenshot().await.ok()?;
        let img = ea_scan::files::decode_gray(&png).ok()?;
        decoder.decode_image(&img)
    })
    .await;
    assert!(
        uri.starts_with("otpauth://totp/Emergency%20Access%20Demo:dana?secret="),
        "{uri}"
    );
    secret_of(&uri)
}

/// dana, invited by the demo, opens the invitation's link and enrols: the invited address's code, a phone proven
/// by its code, an authenticator read from the QR code on the screen and confirmed with a code
/// computed from it, two answers (a refused one first); then recovers with the phone and the
/// authenticator.
async fn enrol_then_recover(ui: &Ui, demo: &Demo) {
    ui.heading("Set up account recovery").await;
    let username =
        ui.c.find(Locator::Css("#enrol-username"))
            .await
            .expect("username field")
            .prop("value")
            .await
            .expect("value");
    assert_eq!(username.as_deref(), Some("dana"), "the link's user");
    ui.fill("#enrol-code", &demo.dana_code.to_lowercase()).await;
    ui.shot("enrol-start").await;
    let sent = messages_so_far(&demo.sink);
    ui.click("button[type=submit]").await;
    ui.heading("Confirm your email address").await;
    let code = code_sent_to(&demo.sink, "dana@demo.example", 8, sent).await;
    // Complete codes go by themselves.
    ui.fill("#enrol-address-code", &code).await;
    ui.heading("Your recovery details").await;
    assert_eq!(
        ui.text_of("[data-testid=enrol-progress]").await,
        "1 of 5 required items done",
        "the invited address counts"
    );

    ui.click("[data-testid=add-phone]").await;
    ui.heading("Add a phone number").await;
    ui.fill("#enrol-contact", "079 555 04 04").await;
    let sent = messages_so_far(&demo.sink);
    ui.click("button[type=submit]").await;
    let code = code_sent_to(&demo.sink, "+41795550404", 6, sent).await;
    ui.c.find(Locator::Css("#enrol-contact-code"))
        .await
        .expect("the phone's code field");
    ui.shot("enrol-phone-code").await;
    ui.fill("#enrol-contact-code", &code).await;
    ui.heading("Your recovery details").await;

    ui.click("[data-testid=set-up-authenticator]").await;
    ui.heading("Set up your authenticator app").await;
    ui.shot("enrol-authenticator").await;
    let secret = secret_from_screen(ui).await;
    let printed = ui.text_of("[data-testid=authenticator-secret]").await;
    assert_eq!(
        data_encoding::BASE32_NOPAD
            .decode(printed.replace(' ', "").as_bytes())
            .expect("base32"),
        secret,
        "the key for typing is the one in the QR code"
    );
    let confirmed_step = totp_step();
    ui.fill(
        "#enrol-totp",
        &code_at(&secret, TotpParams::default(), confirmed_step),
    )
    .await;
    ui.heading("Your recovery details").await;

    ui.click("[data-testid=set-answers]").await;
    ui.heading("Security questions").await;
    for (i, q) in [
        "What was the name of your first pet?",
        "In which city were you born?",
    ]
    .iter()
    .enumerate()
    {
        ui.c.find(Locator::Css(&format!("#enrol-q{i}")))
            .await
            .expect("question")
            .select_by_value(q)
            .await
            .expect("select");
    }
    ui.fill("#enrol-a0", "dana").await;
    ui.fill("#enrol-a1", "Lugano").await;
    ui.click("button[type=submit]").await;
    let issue = ui.text_of("[data-testid=answer-issue]").await;
    assert_eq!(issue, "This is your username, which others may know.");
    ui.shot("enrol-answers-refused").await;
    ui.fill("#enrol-a0", "Biscuit").await;
    ui.click("button[type=submit]").await;
    ui.heading("Your recovery details").await;
    ui.text_of("[data-testid=enrol-complete]").await;
    ui.shot("enrol-complete").await;
    ui.click("[data-testid=enrol-finish]").await;
    ui.heading("Who are you?").await;
    ui.text_of("[data-testid=enrol-done]").await;

    // Recovery with what dana enrolled: the phone's code, then the authenticator's code of a
    // later step (the one that confirmed it is not accepted again).
    eventually(
        "the next authenticator step",
        Duration::from_secs(40),
        async || (totp_step() > confirmed_step).then_some(()),
    )
    .await;
    let dana = SmsTotpUser {
        name: "dana",
        phone_typed: "079 555 04 04",
        phone: "+41795550404",
        secret: &secret,
    };
    verify_sms_totp(ui, demo, dana, false, None, "You are verified").await;
}

/// The virtual card in one of vpcd's slots, which the test pulls out and puts back in.
struct CardSlot {
    binary: PathBuf,
    port: u16,
    state: PathBuf,
    reader: String,
    card: Option<Running>,
}

impl CardSlot {
    fn insert(&mut self) {
        let (card, reader) =
            ea_card::testkit::insert_virtual_card(&self.binary, self.port, &self.state, &[])
                .expect("virtual card");
        assert_eq!(reader, self.reader);
        self.card = Some(card);
    }

    async fn pull(&mut self) {
        drop(self.card.take());
        let reader = self.reader.clone();
        eventually(
            "pcscd to see the card go",
            Duration::from_secs(10),
            async || {
                let readers = ea_card::pcsc::readers().ok()?;
                (!readers.iter().any(|r| r.name == reader && r.card_present)).then_some(())
            },
        )
        .await;
    }
}

/// Verifies alice again (the authenticator's last step is used, so the next one asks for a
/// resync), then unblocks the virtual card's blocked PIN through the real PC/SC stack. The card is
/// put in, pulled and put back while the screen is open: the screen follows by itself.
async fn card_pin_unblock(ui: &Ui, demo: &Demo, slot: &mut CardSlot) {
    slot.pull().await;
    ui.heading("Who are you?").await;
    verify_sms_totp(
        ui,
        demo,
        demo.alice(),
        true,
        Some("resync"),
        "You are verified",
    )
    .await;
    ui.click("[data-action='card_pin_unblock']").await;
    ui.heading("Unblock your smart card PIN").await;
    ui.text_of("[data-testid=card-insert]").await;
    assert!(ui.absent("[data-testid=card-status]").await, "no card yet");

    // Put in: the app picks that reader and reads the card, without a click, at once (the screen
    // waits on the service, not on a timer: its own looks end after 10 s).
    slot.insert();
    let status = ui
        .text_within("[data-testid=card-status]", Duration::from_secs(4))
        .await;
    assert!(
        status.contains("EA5EC0DE00000001") && status.contains("The PIN is blocked."),
        "{status}"
    );
    let chosen =
        ui.c.find(Locator::Css("#reader"))
            .await
            .expect("reader list");
    assert_eq!(
        chosen.prop("value").await.expect("value").as_deref(),
        Some(slot.reader.as_str()),
        "the reader the card went into"
    );
    // Pulled: what was read goes; put back: read again.
    slot.pull().await;
    ui.gone("[data-testid=card-status]").await;
    ui.text_of("[data-testid=card-insert]").await;
    slot.insert();
    ui.text_within("[data-testid=card-status]", Duration::from_secs(4))
        .await;

    ui.fill("#new-pin", "246810").await;
    ui.fill("#new-pin-2", "246810").await;
    // Typing lands a little later in WebKit: the shot waits for the rules to agree.
    ui.text_of("[data-rule=match][data-ok=true]").await;
    ui.shot("card").await;
    ui.click("[data-testid=card-submit]").await;
    ui.text_of("[data-testid=card-done]").await;
}

async fn email_questions_emergency_code(ui: &Ui, demo: &Demo) {
    ui.heading("Who are you?").await;
    ui.fill("#username", "alice").await;
    ui.click("button[type=submit]").await;
    ui.click("[data-flow='email-questions']").await;
    ui.fill("#contact-value", "Alice@Demo.example").await;
    let sent = messages_so_far(&demo.sink);
    ui.click("button[type=submit]").await;
    ui.heading("Enter the code").await;
    let code = code_sent_to(&demo.sink, "alice@demo.example", 8, sent).await;
    ui.fill("#code", &code).await;
    ui.heading("Answer your security questions").await;
    let answers = [
        ("first pet", "rex"),
        ("born", "ZÜRICH"),
        ("school", "Hillside"),
    ];
    for label in
        ui.c.find_all(Locator::Css("form label"))
            .await
            .expect("labels")
    {
        let text = label.text().await.expect("label text");
        let id = label
            .attr("for")
            .await
            .expect("for")
            .expect("for attribute");
        let answer = answers
            .iter()
            .find(|(k, _)| text.contains(k))
            .map(|(_, a)| *a)
            .expect("a known question");
        ui.fill(&format!("#{id}"), answer).await;
    }
    ui.shot("questions").await;
    ui.click("button[type=submit]").await;
    ui.heading("You are verified").await;
    ui.click("[data-action='emergency_code']").await;
    ui.heading("Emergency access code").await;
    ui.fill("#ec-uses", "2").await;
    ui.click("button[type=submit]").await;
    let shown = ui.text_of("[data-testid=emergency-code]").await;
    let code = shown.replace('-', "");
    assert_eq!(code.len(), 10, "{shown}");
    assert!(
        code.chars()
            .all(|c| "34679ACDEFGHJKMNPQRTUVWXY".contains(c)),
        "{shown}"
    );
    ui.shot("emergency-code").await;
}

/// carol's card (demo): in no reader; its serial and challenges reach the app as vSEC:CMS links.
const QR_SERIAL: &str = "EA5EC0DE00000003";
const QR_KEY: &str = "606162636465666768696A6B6C6D6E6F";

struct QrInputs {
    first_link: String,
    second_challenge: [u8; 16],
    camera_challenge: [u8; 16],
    /// Frames of the image "camera": empty scenes, then the code.
    camera_dir: PathBuf,
    shown: std::sync::Mutex<Vec<String>>,
}

fn link(challenge: &[u8]) -> String {
    format!(
        "vsec-ea://card-unblock?serial={QR_SERIAL}&challenge={}&alg=aes&tenant=demo",
        hex::encode_upper(challenge)
    )
}

impl QrInputs {
    fn new(dir: &Path) -> QrInputs {
        let fresh = || rand::random::<[u8; 16]>();
        let camera_challenge = fresh();
        let camera_dir = dir.join("camera");
        std::fs::create_dir_all(&camera_dir).expect("camera dir");
        // Empty scenes, then a QR code that is no card request (the screen says so and goes
        // on), then the code of carol's card.
        let not_a_card = "https://cms.example.org/card-unblock?serial=EA5EC0DE00000003";
        // At the image source's 30 frames/s: 0.5 s, 3 s, then the code.
        for i in 0..111u64 {
            let frame = match i {
                0..15 => ea_scan::testkit::empty_frame(640, 480, i),
                15..105 => ea_scan::testkit::code_frame(640, 480, not_a_card, i),
                _ => ea_scan::testkit::code_frame(640, 480, &link(&camera_challenge), i),
            };
            frame
                .save(camera_dir.join(format!("{i:03}.png")))
                .expect("frame");
        }
        QrInputs {
            first_link: link(&fresh()),
            second_challenge: fresh(),
            camera_challenge,
            camera_dir,
            shown: Default::default(),
        }
    }
}

/// E_K(challenge) with AES-128, computed here with the cipher alone (not the server's code).
fn expected_response(challenge: &[u8; 16]) -> String {
    use aes::cipher::{BlockEncrypt, KeyInit};
    let key = hex::decode(QR_KEY).expect("key");
    let cipher = aes::Aes128::new_from_slice(&key).expect("AES-128 key");
    let mut block = aes::Block::clone_from_slice(challenge);
    cipher.encrypt_block(&mut block);
    hex::encode_upper(block)
}

/// The challenge checksum the app shows: the first two bytes of SHA-256, hex.
fn checksum(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode_upper(&sha2::Sha256::digest(bytes)[..2])
}

/// Someone who verifies with "Text message and authenticator app".
struct SmsTotpUser<'a> {
    name: &'a str,
    /// As typed on the contact screen, and as the server normalises it.
    phone_typed: &'a str,
    phone: &'a str,
    secret: &'a [u8],
}

impl Demo {
    fn alice(&self) -> SmsTotpUser<'_> {
        SmsTotpUser {
            name: "alice",
            phone_typed: "+41795550101",
            phone: "+41795550101",
            secret: &self.alice_totp,
        }
    }

    fn carol(&self) -> SmsTotpUser<'_> {
        SmsTotpUser {
            name: "carol",
            phone_typed: "+41 79 555 03 03",
            phone: "+41795550303",
            secret: &self.carol_totp,
        }
    }
}

/// Verifies `user` through SMS and authenticator, from the username screen to `then`.
/// `drifted` makes the authenticator a step ahead, so the resync screen asks for two codes (the
/// user's last step may be used by an earlier scenario); `resync_shot` names its screenshot.
async fn verify_sms_totp(
    ui: &Ui,
    demo: &Demo,
    user: SmsTotpUser<'_>,
    drifted: bool,
    resync_shot: Option<&str>,
    then: &str,
) {
    ui.fill("#username", user.name).await;
    ui.click("button[type=submit]").await;
    // From a vSEC:CMS QR code only the ways that unblock cards are offered: the demo has one, so
    // the choice is skipped.
    let first = wait_until("the method choice or the contact step", async || {
        let h =
            ui.c.find(Locator::Css("h1"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
        [
            "How do you want to prove it is you?",
            "Where should we send the code?",
        ]
        .contains(&h.as_str())
        .then_some(h)
    })
    .await;
    if first == "How do you want to prove it is you?" {
        ui.click("[data-flow='sms-totp']").await;
    }
    ui.fill("#contact-value", user.phone_typed).await;
    let sent = messages_so_far(&demo.sink);
    ui.click("button[type=submit]").await;
    ui.heading("Enter the code").await;
    let code = code_sent_to(&demo.sink, user.phone, 6, sent).await;
    ui.fill("#code", &code).await;
    ui.heading("Enter the code from your authenticator app")
        .await;
    let step = totp_step();
    let at = |s| code_at(user.secret, TotpParams::default(), s);
    if drifted {
        ui.fill("#totp", &at(step + 1)).await;
        ui.heading("Your authenticator’s clock is off").await;
        if let Some(name) = resync_shot {
            ui.shot(name).await;
        }
        ui.fill("#totp-1", &at(step + 1)).await;
        // The pair goes by itself once both codes are complete: no click.
        ui.fill("#totp-2", &at(step + 2)).await;
    } else {
        // A complete authenticator code goes by itself.
        ui.fill("#totp", &at(step)).await;
    }
    ui.heading(then).await;
}

/// Asks for the response, reads it off the screen and checks it against the card key.
async fn response_shown_for(ui: &Ui, qr: &QrInputs, challenge: &[u8; 16]) {
    let card = ui.text_of("[data-testid=qr-card]").await;
    assert!(
        card.contains(&checksum(challenge)),
        "compared before it is shown: {card}"
    );
    ui.click("[data-testid=qr-show]").await;
    let shown: String = ui
        .text_of("[data-testid=qr-cryptogram]")
        .await
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(
        shown,
        expected_response(challenge),
        "the displayed response"
    );
    let label =
        ui.c.find(Locator::Css("[data-testid=qr-cryptogram]"))
            .await
            .expect("response")
            .attr("aria-label")
            .await
            .expect("label")
            .expect("an aria-label for screen readers");
    assert!(
        label.contains(
            &shown[..4]
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        ),
        "{label}"
    );
    ui.c.find(Locator::Css(".qr-img svg"))
        .await
        .expect("the response as a QR code");
    qr.shown.lock().expect("shown").push(shown);
}

/// Opened with a vSEC:CMS link; a second link opened while it runs goes to this window (the
/// second process exits); carol verifies and the response to the second challenge is shown.
async fn qr_deep_link(ui: &Ui, demo: &Demo, qr: &QrInputs) {
    ui.heading("Who are you?").await;
    let summary = ui.text_of("[data-testid=scanned-summary]").await;
    assert!(summary.contains(QR_SERIAL), "{summary}");

    let second = link(&qr.second_challenge);
    let want = checksum(&qr.second_challenge);
    let mut other = Command::new(app_binary())
        .arg(&second)
        .env("EA_SERVER_URL", &demo.url)
        .env("EA_TENANT", "demo")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("second instance");
    let status = wait_until("the second instance to hand over and exit", async || {
        other.try_wait().ok().flatten()
    })
    .await;
    assert!(status.success(), "second instance: {status}");
    // The card already kept is not swapped without asking.
    ui.click("[data-testid=incoming-use]").await;
    wait_until("the running window to take the second link", async || {
        let s = ui.text_of("[data-testid=scanned-summary]").await;
        s.contains(&want).then_some(())
    })
    .await;
    assert_eq!(
        ui.c.windows().await.expect("windows").len(),
        1,
        "no second window"
    );
    verify_sms_totp(
        ui,
        demo,
        demo.carol(),
        false,
        None,
        "Response for your smart card",
    )
    .await;
    response_shown_for(ui, qr, &qr.second_challenge).await;
    ui.shot("qr-cryptogram").await;
    ui.click("[data-testid=qr-accepted]").await;
    ui.text_of("[data-testid=qr-done]").await;
}

/// The camera screen fed by the image source: empty frames, then the code.
async fn qr_camera(ui: &Ui, demo: &Demo, qr: &QrInputs) {
    ui.heading("Who are you?").await;
    ui.click("[data-testid=scan-start]").await;
    ui.heading("Scan the QR code from vSEC:CMS").await;
    wait_until("the other QR code to be refused", async || {
        let s =
            ui.c.find(Locator::Css("[data-testid=scan-status]"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
        (s.contains("This is not the QR code for unblocking a card.")
            && s.contains("Reason: The link lacks “challenge”."))
        .then_some(())
    })
    .await;
    let frames = async || -> u32 {
        let el =
            ui.c.find(Locator::Css("[data-testid=preview]"))
                .await
                .expect("preview");
        el.attr("data-frames")
            .await
            .expect("attr")
            .expect("frames")
            .parse()
            .expect("n")
    };
    let (f0, t0) = (frames().await, Instant::now());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (f1, t1) = (frames().await, Instant::now());
    let fps = f64::from(f1 - f0) / (t1 - t0).as_secs_f64();
    println!("camera preview in the app: {fps:.1} frames/s at 640x480");
    assert!(f1 > f0, "the preview is live");
    ui.shot("scan").await;
    ui.heading("Who are you?").await;
    let summary = ui.text_of("[data-testid=scanned-summary]").await;
    assert!(
        summary.contains(QR_SERIAL) && summary.contains(&checksum(&qr.camera_challenge)),
        "{summary}"
    );
    verify_sms_totp(
        ui,
        demo,
        demo.carol(),
        true,
        None,
        "Response for your smart card",
    )
    .await;
    response_shown_for(ui, qr, &qr.camera_challenge).await;
    ui.click("[data-testid=qr-discard]").await;
    ui.click("[data-testid=qr-discard-yes]").await;
    ui.heading("You are verified").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_app_completes_the_flows() {
    if let Some(reason) = missing_prerequisite() {
        assert!(
            std::env::var_os("EA_DESKTOP_E2E").is_none(),
            "desktop E2E required but {reason}"
        );
        eprintln!("skipping the desktop end-to-end test: {reason}");
        return;
    }
    emergency_access::client::install_crypto();
    let tmp = tempfile::tempdir().expect("tempdir");
    let demo = start_server(tmp.path()).await;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/desktop-e2e");
    std::fs::create_dir_all(&out).expect("out dir");

    // A real pcscd with the virtual card, its PIN blocked, in vpcd's second slot.
    let pcscd = ea_card::testkit::ensure_pcscd();
    let card_state = tmp.path().join("card.json");
    let virtual_card = app_binary().with_file_name("ea-virtual-card");
    let mut card = match &pcscd {
        Ok(_) => {
            let (running, reader) = ea_card::testkit::insert_virtual_card(
                &virtual_card,
                35964,
                &card_state,
                &["--pin-tries", "0"],
            )
            .expect("virtual card");
            Some(CardSlot {
                binary: virtual_card.clone(),
                port: 35964,
                state: card_state.clone(),
                reader,
                card: Some(running),
            })
        }
        Err(reason) => {
            assert!(
                std::env::var_os("EA_CARD_E2E").is_none(),
                "card test required but {reason}"
            );
            eprintln!("skipping the card part: {reason}");
            None
        }
    };

    let qr = QrInputs::new(tmp.path());
    let (driver, url) = tauri_driver(
        &[
            ("EA_SERVER_URL", demo.url.clone()),
            ("EA_TENANT", "demo".into()),
            (
                "EA_CONFIG_DIR",
                tmp.path().join("config").display().to_string(),
            ),
            ("EA_CAMERA", format!("file:{}", qr.camera_dir.display())),
            // No release endpoint to ask from here.
            ("EA_NO_UPDATE_CHECK", "1".into()),
        ],
        &out.join("tauri-driver.log"),
    )
    .await;
    let shots = std::env::var_os("EA_SCREENSHOTS").map(PathBuf::from);

    let mut scenarios = vec![
        "qr-deep-link",
        "qr-camera",
        "sms-totp-reset-password",
        "email-questions-emergency-code",
        "enrol-then-recover",
    ];
    if card.is_some() {
        scenarios.push("card-pin-unblock");
    }
    for name in scenarios {
        let args: Vec<&str> = match name {
            "qr-deep-link" => vec![qr.first_link.as_str()],
            // The invitation's link: the app opens at enrolment, for dana.
            "enrol-then-recover" => vec!["emergency-access://enrol?tenant=demo&username=dana"],
            _ => vec![],
        };
        let c = start_app(&url, &args).await;
        let guard = ShotOnFailure {
            client: c.clone(),
            path: out.join(format!("{name}-failure.png")),
        };
        let ui = Ui {
            c: c.clone(),
            shots: shots.clone(),
        };
        match name {
            "sms-totp-reset-password" => sms_totp_reset_password(&ui, &demo).await,
            "card-pin-unblock" => card_pin_unblock(&ui, &demo, card.as_mut().expect("card")).await,
            "qr-deep-link" => qr_deep_link(&ui, &demo, &qr).await,
            "qr-camera" => qr_camera(&ui, &demo, &qr).await,
            "enrol-then-recover" => enrol_then_recover(&ui, &demo).await,
            _ => email_questions_emergency_code(&ui, &demo).await,
        }
        drop(guard);
        close_app(c).await;
    }
    drop(driver);

    // A colleague's machine, nothing configured: the organisation is picked from the server's
    // list and kept for the next start; the username is not.
    let fresh = tmp.path().join("fresh-config");
    let (driver, url) = tauri_driver(
        &[
            ("EA_CONFIG_DIR", fresh.display().to_string()),
            ("EA_NO_UPDATE_CHECK", "1".into()),
        ],
        &out.join("tauri-driver-first-run.log"),
    )
    .await;
    let c = start_app(&url, &[]).await;
    let guard = ShotOnFailure {
        client: c.clone(),
        path: out.join("first-run-failure.png"),
    };
    let ui = Ui {
        c: c.clone(),
        shots: shots.clone(),
    };
    first_run(&ui, &demo).await;
    drop(guard);
    close_app(c).await;
    for entry in std::fs::read_dir(&fresh).expect("config dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read(&path).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains("alice"),
            "{} holds the username",
            path.display()
        );
    }
    let c = start_app(&url, &[]).await;
    let ui = Ui {
        c: c.clone(),
        shots: None,
    };
    ui.heading("Who are you?").await;
    let typed =
        ui.c.find(Locator::Css("#username"))
            .await
            .expect("username");
    assert_eq!(
        typed.prop("value").await.expect("value").as_deref(),
        Some(""),
        "the username is not kept"
    );
    close_app(c).await;
    drop(driver);

    // The audit log says the response was shown, twice, and never holds its value.
    let audit = Command::new(server_binary())
        .env("EA_KEK", KEK)
        .args([
            "--data-dir",
            &demo.data.display().to_string(),
            "audit",
            "export",
            "--tenant",
            "demo",
        ])
        .output()
        .expect("audit export");
    let log = String::from_utf8_lossy(&audit.stdout);
    assert_eq!(log.matches("\"card_cryptogram_shown\"").count(), 2, "{log}");
    for c in qr.shown.lock().expect("shown").iter() {
        assert!(!log.contains(c.as_str()), "a cryptogram in the audit log");
    }

    // The card now holds the new PIN: check it on the card itself, through PC/SC.
    if let Some(slot) = &card {
        let profile = ea_card::Profile::iso7816();
        let pin = ea_card::Pin::new("246810", &profile.pin).expect("pin");
        let mut c = ea_card::pcsc::connect(&slot.reader).expect("connect");
        let mut s = ea_card::CardSession::open(&mut c, profile).expect("select");
        assert_eq!(
            s.pin_status(),
            Ok(ea_card::PinStatus::TriesLeft(3)),
            "no longer blocked"
        );
        s.verify_pin(&pin)
            .expect("the new PIN verifies on the card");
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&card_state).expect("state"))
                .expect("json");
        assert_eq!(state["pin"], "246810");
    }
    drop(pcscd);
}
