//! Day 5 — the manifest: which files make up the AOF, in Redis 7's multi-part layout.
//!
//! Redis 6 kept the AOF in one file and rewrote it by copying: while the rewrite ran, new
//! writes were kept in memory *and* appended to the old file, then copied again onto the
//! new one. Redis 7 splits the AOF into a directory (`appenddirname`) of files listed by a
//! small text *manifest*, `<appendfilename>.manifest`:
//!
//! ```text
//! file appendonly.aof.2.base.aof seq 2 type b
//! file appendonly.aof.3.incr.aof seq 3 type i
//! ```
//!
//! One **base** file (`b`: the data set at some moment, as commands or an RDB image), then
//! the **incremental** files (`i`: the commands since, in order), plus **history** files
//! (`h`: replaced, waiting to be deleted). A rewrite never touches a file that is being
//! written: it writes a new base, and the switch to it is one atomic `rename` of a new
//! manifest over the old one. A crash at any moment leaves either the old list or the new
//! one, both complete.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::AofError;

/// The kind of a file listed by the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// `b`: the data set at the last rewrite.
    Base,
    /// `h`: replaced by a rewrite, to be deleted.
    History,
    /// `i`: commands appended since the base.
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One line of the manifest: a file, its sequence number, its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofInfo {
    /// The file name (never a path: it lives in the AOF directory).
    pub name: String,
    /// Its sequence number (base and incremental files count separately).
    pub seq: u64,
    /// Base, history or incremental.
    pub kind: FileType,
}

/// The list of files that make up the AOF, and the last sequence numbers given out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<AofInfo>,
    /// Files replaced by a rewrite.
    pub history: Vec<AofInfo>,
    /// The incremental files, oldest first: the last one is appended to.
    pub incr: Vec<AofInfo>,
    /// The last base sequence number given out.
    pub base_seq: u64,
    /// The last incremental sequence number given out.
    pub incr_seq: u64,
}

impl Manifest {
    /// The manifest's file name for `appendfilename`.
    pub fn file_name(filename: &str) -> String {
        format!("{filename}.manifest")
    }

    // ANCHOR: parse
    /// Parses a manifest with Redis's rules: `#` comments, `key value` pairs (quotes
    /// allowed), at least `file`, `seq` and `type`; one base at most; incremental sequence
    /// numbers increasing.
    pub fn parse(text: &str, path: &Path) -> Result<Self, AofError> {
        let error = |line: usize, message: &str| AofError::Manifest {
            path: path.to_owned(),
            line,
            message: message.to_owned(),
        };
        let mut manifest = Manifest::default();
        let mut lines = 0;
        for (n, line) in text.lines().enumerate() {
            let n = n + 1;
            lines += 1;
            if line.starts_with('#') {
                continue;
            }
            let words = crate::resp::parser::split_args(line.trim().as_bytes())
                .map_err(|_| error(n, "Invalid AOF manifest file format"))?;
            if words.len() < 6 || words.len() % 2 != 0 {
                return Err(error(n, "Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks_exact(2) {
                let value = String::from_utf8_lossy(&pair[1]).into_owned();
                match pair[0].to_ascii_lowercase().as_slice() {
                    b"file" => name = Some(value),
                    b"seq" => seq = value.parse::<u64>().ok().filter(|&s| s > 0),
                    b"type" => kind = value.chars().next(),
                    _ => {} // unknown keys are allowed, for forward compatibility
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(error(n, "Invalid AOF manifest file format"));
            };
            if name.is_empty() || name.contains('/') {
                return Err(error(n, "File can't be a path, just a filename"));
            }
            match kind {
                'b' => {
                    if manifest.base.is_some() {
                        return Err(error(n, "Found duplicate base file information"));
                    }
                    manifest.base_seq = seq;
                    manifest.base = Some(AofInfo {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                'h' => manifest.history.push(AofInfo {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                'i' => {
                    if seq <= manifest.incr_seq {
                        return Err(error(n, "Found a non-monotonic sequence number"));
                    }
                    manifest.incr_seq = seq;
                    manifest.incr.push(AofInfo {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return Err(error(n, "Unknown AOF file type")),
            }
        }
        if lines == 0 {
            return Err(error(0, "Found an empty AOF manifest"));
        }
        if manifest.base.is_none() && manifest.incr.is_empty() {
            return Err(error(0, "no base or incremental file listed"));
        }
        Ok(manifest)
    }
    // ANCHOR_END: parse

    /// The manifest's text: base first, then history, then incremental files.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let lines = self.base.iter().chain(&self.history).chain(&self.incr);
        for info in lines {
            let _ = writeln!(
                text,
                "file {} seq {} type {}",
                quote(&info.name),
                info.seq,
                info.kind.letter()
            );
        }
        text
    }

    /// Reads `<appendfilename>.manifest` from the AOF directory; `None` when there is none.
    pub fn read(aof_dir: &Path, filename: &str) -> Result<Option<Self>, AofError> {
        let path = aof_dir.join(Self::file_name(filename));
        match std::fs::read(&path) {
            Ok(bytes) => Self::parse(&String::from_utf8_lossy(&bytes), &path).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(AofError::Io { path, source: err }),
        }
    }

    /// A new base file (the next sequence number); the old base becomes history.
    pub fn next_base(&mut self, filename: &str) -> AofInfo {
        self.base_seq += 1;
        let info = AofInfo {
            name: format!("{filename}.{}.base.aof", self.base_seq),
            seq: self.base_seq,
            kind: FileType::Base,
        };
        if let Some(mut old) = self.base.replace(info.clone()) {
            old.kind = FileType::History;
            self.history.push(old);
        }
        info
    }

    /// A new incremental file (the next sequence number), appended to the list.
    pub fn next_incr(&mut self, filename: &str) -> AofInfo {
        self.incr_seq += 1;
        let info = AofInfo {
            name: format!("{filename}.{}.incr.aof", self.incr_seq),
            seq: self.incr_seq,
            kind: FileType::Incr,
        };
        self.incr.push(info.clone());
        info
    }

    /// The files to replay, in order: the base, then the incremental files.
    pub fn load_order(&self) -> impl Iterator<Item = &AofInfo> {
        self.base.iter().chain(&self.incr)
    }

    // ANCHOR: persist
    /// Writes the manifest atomically: a temporary file, `fsync`, `rename` over the old
    /// one, `fsync` of the directory. A crash leaves the old manifest or the new one.
    pub fn persist(&self, aof_dir: &Path, filename: &str) -> Result<(), AofError> {
        let temp = aof_dir.join(format!("temp-{}", Self::file_name(filename)));
        let target = aof_dir.join(Self::file_name(filename));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(self.render().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)?;
            sync_dir(aof_dir)
        };
        write().map_err(|source| AofError::Io {
            path: target.clone(),
            source,
        })
    }
    // ANCHOR_END: persist
}

/// `fsync` on a directory, so a `rename` or a new file in it survives a crash.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// A file name as the manifest writes it: bare if it has no space, quote or control
/// character, else in double quotes with escapes (what Redis's `sdscatrepr` does).
fn quote(name: &str) -> String {
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        return name.to_owned();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// The path of a file of the AOF directory.
pub fn path_of(aof_dir: &Path, info: &AofInfo) -> PathBuf {
    aof_dir.join(&info.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses_redis_layout() {
        let mut m = Manifest::default();
        m.next_base("appendonly.aof");
        m.next_incr("appendonly.aof");
        let text = m.render();
        assert_eq!(
            text,
            "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        );
        assert_eq!(Manifest::parse(&text, Path::new("m")).unwrap(), m);
    }

    #[test]
    fn rejects_bad_manifests_with_redis_messages() {
        for (text, message) in [
            ("", "empty"),
            ("file a seq 1\n", "Invalid AOF manifest file format"),
            ("file a/b seq 1 type b\n", "can't be a path"),
            (
                "file a seq 1 type b\nfile b seq 2 type b\n",
                "duplicate base",
            ),
            (
                "file a seq 2 type i\nfile b seq 1 type i\n",
                "non-monotonic",
            ),
            ("file a seq 1 type x\n", "Unknown AOF file type"),
        ] {
            let err = Manifest::parse(text, Path::new("m"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(message), "{text:?}: {err}");
        }
    }

    #[test]
    fn quotes_names_with_spaces() {
        let mut m = Manifest::default();
        m.next_incr("my file.aof");
        let text = m.render();
        assert!(
            text.starts_with("file \"my file.aof.1.incr.aof\""),
            "{text}"
        );
        assert_eq!(Manifest::parse(&text, Path::new("m")).unwrap(), m);
    }
}
