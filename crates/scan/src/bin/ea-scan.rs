//! `ea-scan`: decodes QR codes in images and prints the card-unblock request each carries, or
//! why it is refused. For helpdesk scripts, the benchmark, and for making test codes.

use ea_scan::{QrDecoder, files, parse_card_url, qr};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: ea-scan [--json] IMAGE...      decode PNG/JPEG images
       ea-scan --make LINK OUT.png        write a QR code of LINK (checked first)

Prints one line per image: the card serial, challenge and algorithm, or the reason the image
holds no card-unblock link. Exit status: 0 when every image holds one, 1 otherwise, 2 on bad
usage.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    if args[0] == "--make" {
        let [_, link, out] = args.as_slice() else {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        };
        if let Err(e) = parse_card_url(link) {
            eprintln!("error: the link is refused: {e} ({})", e.code().as_str());
            return ExitCode::FAILURE;
        }
        return match qr::write_png(link, 8, &PathBuf::from(out)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {out}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let json = args[0] == "--json";
    let paths = if json { &args[1..] } else { &args[..] };
    let decoder = QrDecoder;
    let mut all_ok = true;
    for p in paths {
        let result = files::load_gray(&PathBuf::from(p))
            .map_err(|e| (e.code().as_str(), e.to_string()))
            .and_then(|img| {
                decoder.decode_image(&img).ok_or((
                    ea_api::ErrorCode::QrNone {}.as_str(),
                    "no QR code found".to_owned(),
                ))
            })
            .and_then(|text| parse_card_url(&text).map_err(|e| (e.code().as_str(), e.to_string())));
        all_ok &= result.is_ok();
        match (json, result) {
            (true, Ok(r)) => println!("{}", serde_json::json!({"file": p, "card": r})),
            (true, Err((code, msg))) => {
                println!(
                    "{}",
                    serde_json::json!({"file": p, "error": code, "message": msg})
                )
            }
            (false, Ok(r)) => println!("{p}: {r}"),
            (false, Err((code, msg))) => println!("{p}: refused: {msg} ({code})"),
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
