//! An empty Tauri 2 window, built with the app's release profile: what any Tauri app
//! costs (binary, start, memory) before it does anything. `make bench` compares the app
//! with it (bench/footprint_bench.py).

// As the app: no extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window failed to run");
}
