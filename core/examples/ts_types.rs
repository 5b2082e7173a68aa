//! Prints the TypeScript declarations of the wire's typed parts (see `core/src/ts.rs`):
//! `cargo run -p emongroups-core --features ts --example ts_types > wire.d.ts`.

fn main() {
    print!("{}", emongroups_core::ts::declarations());
}
