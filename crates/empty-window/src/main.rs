//! An empty Tauri 2 window with one field, built in the same run as the desktop app: the
//! reference for its cold start (the same "first screen interactive" signal), memory and size.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

struct Started(Instant, AtomicBool);

#[tauri::command]
fn first_screen(started: tauri::State<'_, Started>) {
    if !started.1.swap(true, Ordering::SeqCst) {
        let ms = started.0.elapsed().as_millis();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "first screen interactive since_start_ms={ms}");
        let _ = out.flush();
    }
}

fn main() {
    let started = Started(Instant::now(), AtomicBool::new(false));
    if let Err(e) = tauri::Builder::default()
        .manage(started)
        .invoke_handler(tauri::generate_handler![first_screen])
        .run(tauri::generate_context!())
    {
        eprintln!("empty window: {e}");
        std::process::exit(1);
    }
}
