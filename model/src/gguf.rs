//! Opening a GGUF file and checking it before anything heavy happens.
//!
//! candle's reader already bounds-checks what it reads; this module adds the checks that turn
//! a bad download into one clear sentence: the magic, the header, every tensor lying inside the
//! file (a truncated file is caught here, before loading starts), and the metadata we need.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use crate::{Error, Result};

/// A GGUF file whose header has been read and checked.
pub struct GgufFile {
    path: PathBuf,
    content: Content,
    reader: BufReader<File>,
    file_len: u64,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("path", &self.path)
            .field("tensors", &self.content.tensor_infos.len())
            .field("file_len", &self.file_len)
            .finish()
    }
}

impl GgufFile {
    /// Opens `path`, reads the header and checks that every tensor lies inside the file.
    ///
    /// # Errors
    /// [`Error::NotFound`] if the file does not exist; [`Error::InvalidGguf`] if it is not a
    /// GGUF file, its header is corrupted, or it is truncated.
    pub fn open(path: &Path) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidGguf {
            path: path.display().to_string(),
            reason,
        };
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(path.display().to_string()),
            _ => Error::Io(e),
        })?;
        let file_len = file.metadata()?.len();
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let content = Content::read(&mut reader).map_err(|e| {
            invalid(format!(
                "cannot read the GGUF header ({e}); the file is corrupted or not a GGUF model"
            ))
        })?;
        let mut end_of_data = content.tensor_data_offset;
        for (name, info) in &content.tensor_infos {
            let elems = info.shape.elem_count();
            let block = info.ggml_dtype.block_size();
            if block == 0 || elems % block != 0 {
                return Err(invalid(format!(
                    "tensor {name} has {elems} elements, not a multiple of its block size {block}"
                )));
            }
            let bytes = (elems / block * info.ggml_dtype.type_size()) as u64;
            let end = content
                .tensor_data_offset
                .saturating_add(info.offset)
                .saturating_add(bytes);
            end_of_data = end_of_data.max(end);
        }
        if end_of_data > file_len {
            return Err(invalid(format!(
                "truncated: tensor data ends at byte {end_of_data} but the file has {file_len} bytes \
                 (re-run scripts/fetch-model.sh)"
            )));
        }
        Ok(Self {
            path: path.to_path_buf(),
            content,
            reader,
            file_len,
        })
    }

    /// The file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the file in bytes.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// The parsed header (metadata and tensor infos).
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Header and reader, for loading tensors.
    pub(crate) fn parts(&mut self) -> (&Content, &mut BufReader<File>) {
        (&self.content, &mut self.reader)
    }

    /// The metadata value under `key`.
    ///
    /// # Errors
    /// [`Error::InvalidGguf`] if the key is missing.
    pub fn meta(&self, key: &str) -> Result<&Value> {
        self.content
            .metadata
            .get(key)
            .ok_or_else(|| self.invalid(format!("metadata key {key} is missing")))
    }

    /// A string metadata value.
    ///
    /// # Errors
    /// [`Error::InvalidGguf`] if the key is missing or not a string.
    pub fn meta_str(&self, key: &str) -> Result<&str> {
        self.meta(key)?
            .to_string()
            .map(String::as_str)
            .map_err(|e| self.invalid(format!("metadata key {key}: {e}")))
    }

    /// An integer metadata value (any unsigned or signed width that fits `usize`).
    ///
    /// # Errors
    /// [`Error::InvalidGguf`] if the key is missing or not a non-negative integer.
    pub fn meta_usize(&self, key: &str) -> Result<usize> {
        let v = self.meta(key)?;
        let n = match v {
            Value::U8(x) => Some(u64::from(*x)),
            Value::U16(x) => Some(u64::from(*x)),
            Value::U32(x) => Some(u64::from(*x)),
            Value::U64(x) => Some(*x),
            Value::I8(x) => u64::try_from(*x).ok(),
            Value::I16(x) => u64::try_from(*x).ok(),
            Value::I32(x) => u64::try_from(*x).ok(),
            Value::I64(x) => u64::try_from(*x).ok(),
            _ => None,
        };
        n.and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.invalid(format!("metadata key {key} is not a count: {v:?}")))
    }

    /// A float metadata value.
    ///
    /// # Errors
    /// [`Error::InvalidGguf`] if the key is missing or not a number.
    pub fn meta_f32(&self, key: &str) -> Result<f32> {
        let v = self.meta(key)?;
        match v {
            Value::F32(x) => Ok(*x),
            Value::F64(x) => Ok(*x as f32),
            _ => Err(self.invalid(format!("metadata key {key} is not a float: {v:?}"))),
        }
    }

    /// An array metadata value.
    ///
    /// # Errors
    /// [`Error::InvalidGguf`] if the key is missing or not an array.
    pub fn meta_array(&self, key: &str) -> Result<&[Value]> {
        self.meta(key)?
            .to_vec()
            .map(Vec::as_slice)
            .map_err(|e| self.invalid(format!("metadata key {key}: {e}")))
    }

    /// An [`Error::InvalidGguf`] about this file.
    pub(crate) fn invalid(&self, reason: String) -> Error {
        Error::InvalidGguf {
            path: self.path.display().to_string(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn not_a_gguf_is_a_clear_error() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"<html>404 not found</html>").unwrap();
        let err = GgufFile::open(f.path()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("not a GGUF"), "{msg}");
    }

    #[test]
    fn missing_file_is_not_found() {
        let err = GgufFile::open(Path::new("/nonexistent/model.gguf")).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
    }
}
