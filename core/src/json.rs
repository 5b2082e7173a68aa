//! The JSON values the engine reads and writes.
//!
//! For now the types of serde_json; being replaced by a small implementation of our own (the
//! derived deserialisers and serde_json's generic machinery were most of the .wasm's size).
pub use serde_json::{Map, Number, Value, json};

/// Parses JSON text.
pub fn from_str(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}
