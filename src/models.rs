//! Fetching and checking speech models.
//!
//! `recobra models fetch es` downloads the Spanish Vosk model into `models/`:
//!
//! 1. the archive streams into `models/<name>.zip.part` while its SHA-256 is computed;
//! 2. a digest other than the pinned one deletes the `.part` file and stops;
//! 3. the archive unpacks into a staging folder `models/.<name>.staging/`;
//! 4. the model folder is renamed into place as `models/<name>/`.
//!
//! A failed run therefore never leaves a partial model where the server looks for one.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

/// A speech model that `recobra models fetch` can install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Language code given on the command line.
    pub language: &'static str,
    /// Folder name of the installed model, also the top-level folder inside the archive.
    pub name: &'static str,
    /// Official download address of the zip archive.
    pub url: &'static str,
    /// SHA-256 of the zip archive, in lower-case hex.
    pub sha256: &'static str,
}

/// The models `recobra models fetch` installs, by language.
///
/// NOTE: the Spanish digest comes from several unrelated public projects that pin it together
/// with the archive size of 39,817,833 bytes. It has not yet been checked against a download
/// made by this project.
pub const KNOWN_MODELS: &[ModelSpec] = &[ModelSpec {
    language: "es",
    name: "vosk-model-small-es-0.42",
    url: "https://alphacephei.com/vosk/models/vosk-model-small-es-0.42.zip",
    sha256: "09b239888f633ef2f0b4e09736e3d9936acfd810bc65d53fad45261762c6511f",
}];

/// Files every Vosk model contains; an archive without them is not a model.
const REQUIRED_MODEL_FILES: &[&str] = &["am/final.mdl", "conf/mfcc.conf"];

/// Arguments of `recobra models fetch`.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Language of the model to install (known: es).
    pub language: String,

    /// Download address to use in place of the official one, for a mirror.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Expected SHA-256 of the archive (64 hex digits), in place of the pinned one.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,

    /// Folder that contains the installed models.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models_dir: PathBuf,

    /// Download and reinstall the model even when its folder already exists.
    #[arg(long)]
    pub force: bool,
}

/// Error from `recobra models fetch`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The language has no entry in [`KNOWN_MODELS`].
    #[error("unknown model language {language:?}; known languages: {known}")]
    UnknownLanguage { language: String, known: String },

    /// The `--sha256` value is not a SHA-256 digest in hex.
    #[error("invalid --sha256 value {value:?}: expected 64 hexadecimal digits")]
    InvalidSha256 { value: String },

    /// The server could not be reached or the connection failed.
    #[error(
        "failed to download {url}: {source}; check the network connection, \
         or pass --url with a reachable mirror"
    )]
    Network {
        url: String,
        source: Box<ureq::Transport>,
    },

    /// The server returned a status other than 200.
    #[error("failed to download {url}: HTTP status {status}; check the address or pass --url")]
    HttpStatus { url: String, status: u16 },

    /// The connection closed before the announced Content-Length arrived.
    #[error(
        "download of {url} was truncated after {received} of {expected} bytes; \
         run the command again"
    )]
    Truncated {
        url: String,
        received: u64,
        expected: u64,
    },

    /// Reading the response body failed for a reason other than truncation.
    #[error(
        "failed to read the response from {url} after {received} bytes: {source}; run the command again"
    )]
    Read {
        url: String,
        received: u64,
        source: io::Error,
    },

    /// The archive's digest differs from the expected one.
    #[error(
        "checksum mismatch for {url}: expected SHA-256 {expected}, got {actual}; \
         the download is corrupt or the file changed upstream. Run the command again, and if \
         the digest stays the same, check the archive and pass its digest with --sha256"
    )]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },

    /// The archive is not a readable zip file.
    #[error("invalid zip archive from {url}: {source}; run the command again or pass --url")]
    BadZip {
        url: String,
        source: zip::result::ZipError,
    },

    /// A zip entry names a path outside the model folder (zip-slip).
    #[error("zip entry {entry:?} points outside the model folder; the archive was rejected")]
    UnsafeEntry { entry: String },

    /// The archive unpacked but lacks a file every Vosk model has.
    #[error("archive from {url} is not a Vosk model: {missing} is missing")]
    NotAModel { url: String, missing: String },

    /// A local file operation failed.
    #[error("{action} {path} failed: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl FetchError {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

/// Installs the model for `args.language` into `args.models_dir`, printing progress.
///
/// Returns the model folder. An existing folder is kept (and reported) unless `args.force`.
pub fn run_fetch(args: &FetchArgs) -> Result<PathBuf, FetchError> {
    let spec = find_model(&args.language)?;
    let url = args.url.as_deref().unwrap_or(spec.url);
    let expected = match &args.sha256 {
        Some(value) => parse_sha256(value)?,
        None => spec.sha256.to_owned(),
    };

    let target = args.models_dir.join(spec.name);
    if target.exists() && !args.force {
        println!(
            "{} is already installed at {}; pass --force to download it again",
            spec.name,
            target.display()
        );
        return Ok(target);
    }

    fs::create_dir_all(&args.models_dir).map_err(FetchError::io("creating", &args.models_dir))?;
    let part = args.models_dir.join(format!("{}.zip.part", spec.name));
    let result = download_and_install(url, &expected, &part, spec.name, &target);
    remove_if_present(&part);
    result?;

    println!("installed {} at {}", spec.name, target.display());
    Ok(target)
}

/// Returns the known model for `language`.
pub fn find_model(language: &str) -> Result<&'static ModelSpec, FetchError> {
    KNOWN_MODELS
        .iter()
        .find(|spec| spec.language == language)
        .ok_or_else(|| {
            let known: Vec<&str> = KNOWN_MODELS.iter().map(|spec| spec.language).collect();
            FetchError::UnknownLanguage {
                language: language.to_owned(),
                known: known.join(", "),
            }
        })
}

fn parse_sha256(value: &str) -> Result<String, FetchError> {
    let digest = value.trim().to_ascii_lowercase();
    if digest.len() == 64 && digest.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        Ok(digest)
    } else {
        Err(FetchError::InvalidSha256 {
            value: value.to_owned(),
        })
    }
}

fn download_and_install(
    url: &str,
    expected: &str,
    part: &Path,
    name: &str,
    target: &Path,
) -> Result<(), FetchError> {
    println!("downloading {url}");
    let actual = download(url, part)?;
    if actual != expected {
        return Err(FetchError::ChecksumMismatch {
            url: url.to_owned(),
            expected: expected.to_owned(),
            actual,
        });
    }

    let models_dir = part.parent().unwrap_or(Path::new("."));
    let staging = models_dir.join(format!(".{name}.staging"));
    remove_dir_if_present(&staging)?;
    let result = unpack_and_move(url, part, &staging, name, target);
    remove_dir_if_present(&staging)?;
    result
}

/// Streams `url` into `part` with a progress bar and returns the body's SHA-256 in hex.
fn download(url: &str, part: &Path) -> Result<String, FetchError> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = agent.get(url).call().map_err(|error| match error {
        ureq::Error::Status(status, _) => FetchError::HttpStatus {
            url: url.to_owned(),
            status,
        },
        ureq::Error::Transport(transport) => FetchError::Network {
            url: url.to_owned(),
            source: Box::new(transport),
        },
    })?;
    let content_length: Option<u64> = response
        .header("Content-Length")
        .and_then(|value| value.parse().ok());

    let progress = progress_bar(content_length);
    let file = File::create(part).map_err(FetchError::io("creating", part))?;
    let mut writer = BufWriter::new(file);
    let mut reader = response.into_reader();
    let mut hasher = Sha256::new();
    let mut received: u64 = 0;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let count = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                progress.abandon();
                return Err(read_error(url, received, content_length, error));
            }
        };
        hasher.update(&buffer[..count]);
        writer
            .write_all(&buffer[..count])
            .map_err(FetchError::io("writing", part))?;
        received += count as u64;
        progress.set_position(received);
    }
    writer.flush().map_err(FetchError::io("writing", part))?;
    progress.finish();

    // ureq already reports a short body as UnexpectedEof; this check keeps the guarantee
    // independent of the client's behaviour.
    if let Some(expected) = content_length
        && received < expected
    {
        return Err(FetchError::Truncated {
            url: url.to_owned(),
            received,
            expected,
        });
    }
    Ok(hex(&hasher.finalize()))
}

fn read_error(
    url: &str,
    received: u64,
    content_length: Option<u64>,
    error: io::Error,
) -> FetchError {
    match content_length {
        Some(expected) if error.kind() == io::ErrorKind::UnexpectedEof => FetchError::Truncated {
            url: url.to_owned(),
            received,
            expected,
        },
        _ => FetchError::Read {
            url: url.to_owned(),
            received,
            source: error,
        },
    }
}

fn progress_bar(content_length: Option<u64>) -> ProgressBar {
    match content_length {
        Some(length) => {
            let bar = ProgressBar::new(length);
            let template = "{bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        }
        None => {
            let spinner = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {bytes} ({bytes_per_sec})") {
                spinner.set_style(style);
            }
            spinner
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Unpacks the archive into `staging` and renames the model folder to `target`.
fn unpack_and_move(
    url: &str,
    archive_path: &Path,
    staging: &Path,
    name: &str,
    target: &Path,
) -> Result<(), FetchError> {
    fs::create_dir_all(staging).map_err(FetchError::io("creating", staging))?;
    unpack(url, archive_path, staging)?;

    // The official archives contain one top-level folder named after the model. A mirror's
    // archive may contain the model files directly, so the staging folder itself is the model.
    let nested = staging.join(name);
    let model_root = if nested.is_dir() {
        nested
    } else {
        staging.to_owned()
    };
    for required in REQUIRED_MODEL_FILES {
        if !model_root.join(required).is_file() {
            return Err(FetchError::NotAModel {
                url: url.to_owned(),
                missing: (*required).to_owned(),
            });
        }
    }

    replace_dir(&model_root, target)
}

/// Moves `source` to `target`, keeping an existing `target` until the move has succeeded.
fn replace_dir(source: &Path, target: &Path) -> Result<(), FetchError> {
    if !target.exists() {
        return fs::rename(source, target).map_err(FetchError::io("moving the model to", target));
    }

    let mut backup_name = target.as_os_str().to_owned();
    backup_name.push(".old");
    let backup = PathBuf::from(backup_name);
    remove_dir_if_present(&backup)?;
    fs::rename(target, &backup).map_err(FetchError::io("moving the old model to", &backup))?;

    if let Err(source_error) = fs::rename(source, target) {
        // Put the old model back, so a failed reinstall leaves the previous one usable.
        if let Err(error) = fs::rename(&backup, target) {
            tracing::error!(backup = %backup.display(), %error, "failed to restore the previous model");
        }
        return Err(FetchError::Io {
            action: "moving the model to",
            path: target.to_owned(),
            source: source_error,
        });
    }
    remove_dir_if_present(&backup)
}

fn unpack(url: &str, archive_path: &Path, destination: &Path) -> Result<(), FetchError> {
    let bad_zip = |source| FetchError::BadZip {
        url: url.to_owned(),
        source,
    };
    let file = File::open(archive_path).map_err(FetchError::io("opening", archive_path))?;
    let mut archive = zip::ZipArchive::new(file).map_err(bad_zip)?;

    // Every entry is checked before anything is written, so a rejected archive leaves
    // nothing behind even in the staging folder.
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(bad_zip)?;
        if entry.enclosed_name().is_none() {
            return Err(FetchError::UnsafeEntry {
                entry: entry.name().to_owned(),
            });
        }
    }

    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(bad_zip)?;
        let Some(relative) = entry.enclosed_name() else {
            return Err(FetchError::UnsafeEntry {
                entry: entry.name().to_owned(),
            });
        };
        let path = destination.join(relative);
        if entry.is_dir() {
            fs::create_dir_all(&path).map_err(FetchError::io("creating", &path))?;
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(FetchError::io("creating", parent))?;
        }
        let mut output = File::create(&path).map_err(FetchError::io("creating", &path))?;
        io::copy(&mut entry, &mut output).map_err(|source| match source.kind() {
            io::ErrorKind::InvalidData => FetchError::BadZip {
                url: url.to_owned(),
                source: source.into(),
            },
            _ => FetchError::Io {
                action: "writing",
                path: path.clone(),
                source,
            },
        })?;
    }
    Ok(())
}

fn remove_if_present(path: &Path) {
    if let Err(error) = fs::remove_file(path)
        && error.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), %error, "failed to remove a partial download");
    }
}

fn remove_dir_if_present(path: &Path) -> Result<(), FetchError> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(FetchError::Io {
            action: "removing",
            path: path.to_owned(),
            source: error,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_model_lists_known_languages() {
        let error = find_model("xx").unwrap_err();

        let message = error.to_string();
        assert!(message.contains("\"xx\""), "{message}");
        assert!(message.contains("es"), "{message}");
    }

    #[test]
    fn parse_sha256_accepts_upper_case() {
        let digest = "AB".repeat(32);

        assert_eq!(parse_sha256(&digest).unwrap(), "ab".repeat(32));
    }

    #[test]
    fn parse_sha256_rejects_short_value() {
        assert!(matches!(
            parse_sha256("abc"),
            Err(FetchError::InvalidSha256 { .. })
        ));
    }

    #[test]
    fn parse_sha256_rejects_non_hex() {
        let digest = "g".repeat(64);

        assert!(matches!(
            parse_sha256(&digest),
            Err(FetchError::InvalidSha256 { .. })
        ));
    }

    #[test]
    fn known_digests_are_valid() {
        for spec in KNOWN_MODELS {
            assert_eq!(
                parse_sha256(spec.sha256).unwrap(),
                spec.sha256,
                "{}",
                spec.language
            );
        }
    }
}
