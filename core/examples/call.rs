//! Answers one wire request read from standard input: `cargo run --example call < request.json`.
use std::io::Read;

fn main() {
    let mut request = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut request) {
        eprintln!("cannot read the request: {e}");
        std::process::exit(2);
    }
    println!("{}", emongroups_core::call(&request));
}
