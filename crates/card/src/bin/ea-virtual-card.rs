//! `ea-virtual-card`: a virtual smart card implementing the `iso7816` profile, connected to
//! pcscd through vsmartcard's vpcd driver. Its state (serial, key, PIN, tries) comes from flags or
//! a JSON state file, and is written back to that file after every command, so tests and the
//! demo can start it with a blocked PIN and check what the card holds afterwards.

use ea_card::virtual_card::{VirtualCard, VirtualCardConfig};
use ea_card::vpcd::{VpcdCard, serve};
use ea_core::cryptogram::CardAlgorithm;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const HELP: &str = "\
ea-virtual-card: a virtual smart card for pcscd (vsmartcard vpcd)

USAGE: ea-virtual-card [OPTIONS]

  --vpcd HOST:PORT     vpcd to connect to [default: 127.0.0.1:35963]
  --state FILE         JSON state file: read at start (if it exists), written after each command
  --serial HEX         card serial, 8 bytes [default: EA5EC0DE00000001, the demo card]
  --key HEX            admin key [default: the demo card's AES-128 key]
  --algorithm ALG      3des, aes128, aes192 or aes256 [default: aes128]
  --profile NAME       iso7816 or iso7816-legacy [default: iso7816]
  --pin PIN            the PIN [default: 123456]
  --pin-tries N        PIN tries left; 0 starts the card blocked [default: 0]
  --once               exit when pcscd disconnects instead of reconnecting
  --delay-ms N         answer every APDU N milliseconds late (to test timeouts)
  -h, --help           this text
";

struct Card {
    inner: VirtualCard,
    state_file: Option<PathBuf>,
    delay: Duration,
}

impl Card {
    fn save(&self) {
        if let Some(f) = &self.state_file {
            let tmp = f.with_extension("tmp");
            let json = serde_json::to_vec_pretty(&self.inner.state).unwrap_or_default();
            if std::fs::write(&tmp, json)
                .and_then(|()| std::fs::rename(&tmp, f))
                .is_err()
            {
                eprintln!("ea-virtual-card: cannot write {}", f.display());
            }
        }
    }
}

impl VpcdCard for Card {
    fn power_off(&mut self) {
        self.inner.reset();
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn atr(&self) -> Vec<u8> {
        VirtualCard::atr()
    }
    fn apdu(&mut self, command: &[u8]) -> Vec<u8> {
        std::thread::sleep(self.delay);
        let r = self.inner.process(command);
        self.save();
        r
    }
}

type Options = (VirtualCardConfig, String, Option<PathBuf>, bool, Duration);

fn parse() -> Result<Options, String> {
    let mut cfg = VirtualCardConfig::demo();
    let mut vpcd = "127.0.0.1:35963".to_owned();
    let mut state_file = None;
    let mut once = false;
    let mut delay = Duration::ZERO;
    let mut explicit = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--vpcd" => vpcd = value("--vpcd")?,
            "--state" => state_file = Some(PathBuf::from(value("--state")?)),
            "--once" => once = true,
            "--delay-ms" => {
                delay = Duration::from_millis(
                    value("--delay-ms")?
                        .parse()
                        .map_err(|_| "--delay-ms must be a number".to_owned())?,
                )
            }
            flag @ ("--serial" | "--key" | "--algorithm" | "--profile" | "--pin"
            | "--pin-tries") => explicit.push((flag.to_owned(), value(flag)?)),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if let Some(f) = &state_file
        && f.exists()
    {
        let text =
            std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        cfg = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
    }
    for (flag, v) in explicit {
        match flag.as_str() {
            "--serial" => {
                let b = hex::decode(&v).map_err(|_| "--serial must be hex".to_owned())?;
                if b.len() != 8 {
                    return Err("--serial must be 8 bytes".into());
                }
                cfg.serial = hex::encode_upper(b);
            }
            "--key" => {
                cfg.admin_key = hex::decode(&v).map_err(|_| "--key must be hex".to_owned())?
            }
            "--algorithm" => {
                cfg.algorithm = CardAlgorithm::parse(&v)
                    .ok_or("--algorithm must be 3des, aes128, aes192 or aes256")?
            }
            "--profile" => {
                ea_card::Profile::named(&v).ok_or("--profile must be iso7816 or iso7816-legacy")?;
                cfg.profile = v;
            }
            "--pin" => cfg.pin = v,
            _ => {
                cfg.pin_tries_left = v
                    .parse()
                    .map_err(|_| "--pin-tries must be a number".to_owned())?
            }
        }
    }
    if cfg.admin_key.len() != cfg.algorithm.key_len() {
        return Err(format!(
            "--key must be {} bytes for {}",
            cfg.algorithm.key_len(),
            cfg.algorithm.as_str()
        ));
    }
    Ok((cfg, vpcd, state_file, once, delay))
}

fn main() -> ExitCode {
    let (cfg, vpcd, state_file, once, delay) = match parse() {
        Ok(v) => v,
        Err(e) if e.is_empty() => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let mut card = Card {
        inner: VirtualCard::new(cfg),
        state_file,
        delay,
    };
    card.save();
    loop {
        match TcpStream::connect(&vpcd) {
            Ok(mut stream) => {
                let _ = stream.set_nodelay(true);
                eprintln!(
                    "ea-virtual-card: card {} inserted at {vpcd}",
                    card.inner.state.serial
                );
                if let Err(e) = serve(&mut stream, &mut card) {
                    eprintln!("ea-virtual-card: connection lost: {e}");
                }
                card.inner.reset();
                if once {
                    return ExitCode::SUCCESS;
                }
            }
            Err(e) if once => {
                eprintln!(
                    "error: cannot reach vpcd at {vpcd}: {e} (is pcscd with vsmartcard-vpcd running?)"
                );
                return ExitCode::FAILURE;
            }
            Err(_) => {}
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
