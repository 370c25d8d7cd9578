//! MD5 as S3 Inventory uses it: `manifest.checksum` and `MD5checksum`.

use std::io::Read;
use std::sync::{Arc, Mutex};

use md5::{Digest, Md5};

/// Lower-case hex MD5 of `bytes`: the content of `manifest.checksum` (for
/// the manifest's bytes) and each file's `MD5checksum`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A reader that hashes everything read through it.
///
/// It exists so a streamed CSV data file can be verified against its
/// `MD5checksum` without holding the file in memory: wrap the download,
/// hand the wrapper to the report reader, and check [`Md5Handle::hex`]
/// once every batch has been read.
pub struct Md5Reader<R> {
    inner: R,
    state: Arc<Mutex<Md5>>,
}

/// Shared access to the running digest of an [`Md5Reader`].
#[derive(Clone)]
pub struct Md5Handle {
    state: Arc<Mutex<Md5>>,
}

impl<R: Read> Md5Reader<R> {
    /// Wraps `inner`; the handle reads the digest later.
    pub fn new(inner: R) -> (Self, Md5Handle) {
        let state = Arc::new(Mutex::new(Md5::new()));
        let handle = Md5Handle {
            state: Arc::clone(&state),
        };
        (Md5Reader { inner, state }, handle)
    }
}

impl<R: Read> Read for Md5Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.update(&buf[..n]);
        Ok(n)
    }
}

impl Md5Handle {
    /// Lower-case hex MD5 of the bytes read so far. Call it after the reader
    /// reached end of file (e.g. after the last batch).
    pub fn hex(&self) -> String {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        hex::encode(state.clone().finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn reader_hashes_what_passes() {
        let (mut reader, handle) = Md5Reader::new(&b"abc"[..]);
        let mut sink = Vec::new();
        assert_eq!(reader.read_to_end(&mut sink).ok(), Some(3));
        assert_eq!(handle.hex(), md5_hex(b"abc"));
    }
}
