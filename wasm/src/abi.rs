//! The raw ABI for hosts without wasm-bindgen (wasmtime, wasmer, a C embedder):
//!
//! ```text
//! eg_alloc(len: u32) -> u32          a buffer of len bytes in linear memory (0: out of memory)
//! eg_call(ptr: u32, len: u32) -> u64 answers the request in [ptr, ptr+len): (out_ptr << 32) | out_len
//! eg_free(ptr: u32, len: u32)        frees a buffer from eg_alloc or an answer from eg_call
//! ```
//!
//! The host allocates the request, writes its UTF-8 bytes, calls, reads the answer, then frees
//! both buffers. `eg_call` never traps on content: bytes that are not UTF-8 get a `bad_json`
//! answer. The functions exist only when compiled for wasm32, where a pointer is a `u32`.

/// A zeroed buffer of exactly `len` bytes, or `None` when memory cannot grow that far (so a host
/// asking for too much gets 0 instead of a trap).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn buffer(len: usize) -> Option<Box<[u8]>> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).ok()?;
    bytes.resize(len, 0);
    Some(bytes.into_boxed_slice())
}

/// Packs an answer's location as `eg_call` returns it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn packed(ptr: u32, len: u32) -> u64 {
    (u64::from(ptr) << 32) | u64::from(len)
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use super::{buffer, packed};

    /// Allocates `len` bytes for a request; returns 0 when memory is exhausted.
    #[unsafe(no_mangle)]
    pub extern "C" fn eg_alloc(len: u32) -> u32 {
        match buffer(len as usize) {
            Some(bytes) => Box::into_raw(bytes).cast::<u8>() as u32,
            None => 0,
        }
    }

    /// Frees a buffer from `eg_alloc`, or an answer from `eg_call`. `ptr` 0 is ignored.
    ///
    /// # Safety
    ///
    /// `ptr` and `len` must be exactly a pair returned by `eg_alloc(len)` or unpacked from
    /// `eg_call`, not freed before.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn eg_free(ptr: u32, len: u32) {
        if ptr == 0 {
            return;
        }
        let slice = core::ptr::slice_from_raw_parts_mut(ptr as usize as *mut u8, len as usize);
        // SAFETY: by this function's contract the pair came from `Box::<[u8]>::into_raw` of a
        // slice of exactly `len` bytes (eg_alloc or eg_call) and is freed once, so rebuilding
        // the box and dropping it returns that allocation with its original layout.
        drop(unsafe { Box::from_raw(slice) });
    }

    /// Answers the request in `[ptr, ptr + len)` and returns `(out_ptr << 32) | out_len`; the
    /// caller frees the answer with `eg_free(out_ptr, out_len)`. The request stays the caller's.
    ///
    /// # Safety
    ///
    /// `[ptr, ptr + len)` must be readable memory of this instance holding the request (a buffer
    /// from `eg_alloc` of at least `len` bytes), not written during the call.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn eg_call(ptr: u32, len: u32) -> u64 {
        let request: &[u8] = if len == 0 || ptr == 0 {
            // Nothing to read (a null pointer is never a request): the core answers `bad_json`.
            &[]
        } else {
            // SAFETY: the caller guarantees `[ptr, ptr + len)` is an initialised buffer of this
            // instance (from eg_alloc) that nothing writes while we read it; ptr is non-null and
            // u8 needs no alignment.
            unsafe { core::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
        };
        let answer = crate::requests::call_bytes(request).into_bytes().into_boxed_slice();
        let out_len = answer.len() as u32;
        let out_ptr = Box::into_raw(answer).cast::<u8>() as u32;
        packed(out_ptr, out_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_have_exactly_the_asked_length_and_impossible_sizes_are_refused() {
        assert_eq!(buffer(5).as_deref(), Some(&[0u8; 5][..]));
        assert_eq!(buffer(0).map(|b| b.len()), Some(0));
        assert!(buffer(usize::MAX).is_none());
    }

    #[test]
    fn the_answer_location_packs_pointer_high_and_length_low() {
        assert_eq!(packed(0x0010_0000, 42), 0x0010_0000_0000_002a);
        assert_eq!(packed(u32::MAX, u32::MAX), u64::MAX);
    }
}
