//! The wasmtime door: loads the very `.wasm` file the npm package ships (`wasm/pkg/`) and drives
//! its raw ABI (`eg_alloc`, `eg_call`, `eg_free`).
//!
//! ```text
//! emongroups-wasmtime-runner [conformance] [--wasm FILE] [--vectors DIR]
//!     replays every vector; last line `conformance/wasmtime: N passed, M failed`
//! emongroups-wasmtime-runner bench [--wasm FILE] [--iterations N]
//!     median time of one `check` call natively and through wasmtime, and their ratio
//! emongroups-wasmtime-runner replay FILE [--wasm FILE]
//!     answers every line of FILE (one request per line) and prints the answers, one per line:
//!     the door differential of scripts/test-properties.sh
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use wasmtime::{Engine, Instance, Linker, Memory, Module, Store, TypedFunc};

/// One instance of the shipped module and its three ABI functions.
struct Door {
    store: Store<()>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    call: TypedFunc<(u32, u32), u64>,
}

impl Door {
    fn load(wasm: &Path) -> wasmtime::Result<Door> {
        let engine = Engine::default();
        let module = Module::from_file(&engine, wasm)?;
        let mut linker = Linker::new(&engine);
        // The JS glue's imports (wasm-bindgen) are never reached through the raw ABI; if one
        // were, the call traps instead of the module failing to load.
        linker.define_unknown_imports_as_traps(&module)?;
        let mut store = Store::new(&engine, ());
        let instance: Instance = linker.instantiate(&mut store, &module)?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| wasmtime::format_err!("the module exports no `memory`"))?;
        Ok(Door {
            alloc: instance.get_typed_func(&mut store, "eg_alloc")?,
            free: instance.get_typed_func(&mut store, "eg_free")?,
            call: instance.get_typed_func(&mut store, "eg_call")?,
            memory,
            store,
        })
    }

    /// One wire call through the ABI; the bytes need not be UTF-8.
    fn call_bytes(&mut self, request: &[u8]) -> wasmtime::Result<String> {
        let len = u32::try_from(request.len())?;
        let ptr = self.alloc.call(&mut self.store, len)?;
        if ptr == 0 && len > 0 {
            wasmtime::bail!("eg_alloc({len}) returned 0: out of memory");
        }
        self.memory.write(&mut self.store, ptr as usize, request)?;
        let packed = self.call.call(&mut self.store, (ptr, len))?;
        self.free.call(&mut self.store, (ptr, len))?;
        let (out_ptr, out_len) = ((packed >> 32) as u32, packed as u32);
        let mut answer = vec![0; out_len as usize];
        self.memory.read(&self.store, out_ptr as usize, &mut answer)?;
        self.free.call(&mut self.store, (out_ptr, out_len))?;
        Ok(String::from_utf8(answer)?)
    }

    /// A `call` for the replay: a trap or ABI failure becomes a non-JSON answer (a failed step).
    fn call(&mut self, request: &str) -> String {
        self.call_bytes(request.as_bytes()).unwrap_or_else(|e| format!("wasmtime: {e:#}"))
    }
}

struct Options {
    mode: String,
    wasm: PathBuf,
    vectors: PathBuf,
    iterations: usize,
    replay: Option<PathBuf>,
}

fn options() -> Result<Options, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut options = Options {
        mode: "conformance".into(),
        wasm: root.join("wasm/pkg/emongroups_wasm_bg.wasm"),
        vectors: root.join("host-tests/vectors"),
        iterations: 20_000,
        replay: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{arg}` needs a value"));
        match arg.as_str() {
            "conformance" | "bench" => options.mode = arg.clone(),
            "replay" => {
                options.mode = arg.clone();
                options.replay = Some(value()?.into());
            }
            "--wasm" => options.wasm = value()?.into(),
            "--vectors" => options.vectors = value()?.into(),
            "--iterations" => {
                options.iterations = value()?.parse().map_err(|e| format!("`--iterations`: {e}"))?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("emongroups-wasmtime-runner: {e}");
            return ExitCode::from(2);
        }
    };
    let mut door = match Door::load(&options.wasm) {
        Ok(door) => door,
        Err(e) => {
            eprintln!("cannot load {}: {e:#}", options.wasm.display());
            eprintln!("(build it with scripts/build-wasm.sh)");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match (options.mode.as_str(), &options.replay) {
        ("bench", _) => bench(&mut door, options.iterations),
        ("replay", Some(file)) => replay(&mut door, file),
        _ => conformance(&mut door, &options.vectors),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("emongroups-wasmtime-runner: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn conformance(door: &mut Door, vectors: &Path) -> wasmtime::Result<bool> {
    let abi_ok = abi_checks(door)?;
    let summary = emongroups_host_tests::replay_all(vectors, "wasmtime", &mut |r| door.call(r));
    Ok(abi_ok && summary.failed == 0)
}

/// Answers each line of `file` (the requests' bytes, without the line break) and prints the
/// answers, one per line. A trap is printed as its message, so it shows as a differing line.
fn replay(door: &mut Door, file: &Path) -> wasmtime::Result<bool> {
    let text =
        std::fs::read(file).map_err(|e| wasmtime::format_err!("cannot read {}: {e}", file.display()))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in text.strip_suffix(b"\n").unwrap_or(&text).split(|&b| b == b'\n') {
        let answer = door.call_bytes(line).unwrap_or_else(|e| format!("wasmtime: {e:#}"));
        writeln!(out, "{answer}")?;
    }
    out.flush()?;
    Ok(true)
}

/// What only the raw ABI can be sent: bytes that are not UTF-8, an empty or null request, an
/// impossible allocation. Each must be an answer (or 0), never a trap, and the module must keep
/// answering afterwards.
fn abi_checks(door: &mut Door) -> wasmtime::Result<bool> {
    let code_of = |answer: &str| -> String {
        serde_json::from_str::<serde_json::Value>(answer)
            .ok()
            .and_then(|a| a["error"]["code"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("no error code in {answer}"))
    };
    let mut failures = Vec::new();
    for (what, bytes) in [
        ("a byte that is never UTF-8", &b"{\"v\":1,\"op\":\"\xff\"}"[..]),
        ("a truncated UTF-8 sequence", &b"{\"v\":1,\"op\":\"\xe2\x82\"}"[..]),
        ("an encoded surrogate", &b"{\"v\":1,\"op\":\"\xed\xa0\x80\"}"[..]),
        ("an empty request", &b""[..]),
    ] {
        let code = code_of(&door.call_bytes(bytes)?);
        if code != "bad_json" {
            failures.push(format!("{what}: expected a `bad_json` answer, got {code}"));
        }
    }
    let packed = door.call.call(&mut door.store, (0, 0))?;
    let (ptr, len) = ((packed >> 32) as u32, packed as u32);
    let mut answer = vec![0; len as usize];
    door.memory.read(&door.store, ptr as usize, &mut answer)?;
    door.free.call(&mut door.store, (ptr, len))?;
    let code = code_of(&String::from_utf8_lossy(&answer));
    if code != "bad_json" {
        failures.push(format!("eg_call(0, 0): expected a `bad_json` answer, got {code}"));
    }
    let huge = door.alloc.call(&mut door.store, u32::MAX)?;
    if huge != 0 {
        failures.push(format!("eg_alloc(u32::MAX) returned {huge}, expected 0"));
    }
    door.free.call(&mut door.store, (0, 123))?;
    let version = door.call(r#"{"v":1,"op":"version"}"#);
    if !version.starts_with(r#"{"ok":true"#) {
        failures.push(format!("the module stopped answering: {version}"));
    }
    for failure in &failures {
        println!("FAIL raw ABI: {failure}");
    }
    Ok(failures.is_empty())
}

/// A state of `groups` groups of ten members (the first an administrator), three feeds each.
fn bench_state(groups: u64) -> serde_json::Value {
    use serde_json::json;
    let (mut group_rows, mut memberships, mut users, mut feeds) = (vec![], vec![], vec![], vec![]);
    for g in 1..=groups {
        group_rows.push(json!({"id": g, "name": format!("group {g}")}));
        for m in 0..10 {
            let user = g * 10 + m;
            let role = if m == 0 { 1 } else { 3 };
            memberships.push(json!({"groupid": g, "userid": user, "role": role, "admin_rights": "full"}));
            users.push(json!({"id": user, "username": format!("user{user}"), "admin": false}));
            for f in 0..3 {
                feeds.push(json!({"id": user * 10 + f, "userid": user, "name": "power", "public": false}));
            }
        }
    }
    json!({"groups": group_rows, "memberships": memberships, "users": users, "feeds": feeds})
}

fn median_ns(iterations: usize, mut f: impl FnMut()) -> f64 {
    const BATCHES: usize = 21;
    let per_batch = (iterations / BATCHES).max(1);
    for _ in 0..per_batch {
        f();
    }
    let mut samples: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            start.elapsed().as_nanos() as f64 / per_batch as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[BATCHES / 2]
}

/// The same `check` request (state included, as the ABI has no held engine) natively and through
/// wasmtime.
fn bench(door: &mut Door, iterations: usize) -> wasmtime::Result<bool> {
    let request = serde_json::json!({
        "v": 1, "op": "check", "actor": 10, "action": "feed.read", "feed": 110, "state": bench_state(2),
    })
    .to_string();
    let native_answer = emongroups_core::call(&request);
    let wasm_answer = door.call(&request);
    if native_answer != wasm_answer {
        wasmtime::bail!("the doors disagree:\n native:   {native_answer}\n wasmtime: {wasm_answer}");
    }
    println!("check request: {} bytes; answer: {native_answer}", request.len());
    let native = median_ns(iterations, || {
        std::hint::black_box(emongroups_core::call(std::hint::black_box(&request)));
    });
    let mut failed = None;
    let wasm = median_ns(iterations, || {
        if let Err(e) = door.call_bytes(std::hint::black_box(request.as_bytes())) {
            failed = Some(e);
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    println!("bench/native:   check via call   median {native:.0} ns");
    println!("bench/wasmtime: check via eg_call median {wasm:.0} ns");
    println!("bench/ratio:    wasmtime / native = {:.2} (target <= 2)", wasm / native);
    Ok(true)
}
