// emongroups for browsers and Node: load the WebAssembly module once with `await init()`, then
// use `call` (the wire, JSON text in and out) or the `Engine` class. Types: types.d.ts.
import initWasm, { initSync as initWasmSync, call, version, Engine } from "./emongroups_wasm.js";

export { call, version, Engine };

let loading = null;

/**
 * Loads and instantiates the module; later calls return the same promise.
 * `source` (optional): the .wasm as bytes, a Response, a URL or a WebAssembly.Module. Without it,
 * Node reads the file next to this one and a browser fetches it.
 */
export function init(source) {
  if (loading === null) {
    loading = instantiate(source).catch((error) => {
      loading = null; // let a later call try again
      throw error;
    });
  }
  return loading;
}

async function instantiate(source) {
  if (source === undefined) {
    const url = new URL("./emongroups_wasm_bg.wasm", import.meta.url);
    if (url.protocol === "file:") {
      // Node (and Deno, Bun): fetch() cannot read file: URLs there, so read the bytes.
      const { readFile } = await import("node:fs/promises");
      source = await readFile(url);
    } else {
      source = url;
    }
  }
  await initWasm({ module_or_path: source });
}

/** Synchronous loading from bytes or a compiled WebAssembly.Module (Node, workers). */
export function initSync(bytesOrModule) {
  initWasmSync({ module: bytesOrModule });
  loading = Promise.resolve();
}
