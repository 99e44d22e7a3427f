//! Rendering catalog prompts to WAV with espeak-ng.
//!
//! ```text
//! recobra prompts render [--prompts-dir DIR] [--locale es-ES] [--force]
//! ```
//!
//! For every catalog id whose `rendered/<id>.wav` is missing, or whose text or voice settings
//! changed since it was rendered, the command runs
//! `espeak-ng -v es -s 150 -w rendered/<id>.wav -- TEXT` (22050 Hz mono PCM; the server
//! resamples prompts to 8 kHz when it loads them). `rendered/manifest.json` maps each id to
//! the SHA-256 of its text and voice settings, which is how a changed text is detected.
//! Rendered files whose id left the catalog are removed. `--force` renders every id again.
//!
//! espeak-ng is needed only here, not by the server: `apt-get install espeak-ng`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{Catalog, PromptError};

/// File name of the render manifest inside the `rendered/` folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Arguments of `recobra prompts render`.
#[derive(Debug, Clone, clap::Args)]
pub struct RenderArgs {
    /// Folder that contains one catalog folder per locale.
    #[arg(long, value_name = "DIR", default_value = "prompts")]
    pub prompts_dir: PathBuf,

    /// Locale whose catalog to render.
    #[arg(long, default_value = "es-ES")]
    pub locale: String,

    /// Render every prompt again, even when its text is unchanged.
    #[arg(long)]
    pub force: bool,
}

/// espeak-ng voice settings, part of each prompt's manifest digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// espeak-ng voice name (`-v`).
    pub name: String,
    /// Speaking rate in words per minute (`-s`).
    pub words_per_minute: u32,
}

impl Default for Voice {
    fn default() -> Self {
        Self {
            name: "es".to_owned(),
            words_per_minute: 150,
        }
    }
}

/// Settings of [`render_catalog`].
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The espeak-ng program, a name looked up in `PATH` or a path.
    pub espeak_program: PathBuf,
    /// Voice settings passed to espeak-ng.
    pub voice: Voice,
    /// Render every prompt, ignoring the manifest.
    pub force: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            espeak_program: PathBuf::from("espeak-ng"),
            voice: Voice::default(),
            force: false,
        }
    }
}

/// Outcome of [`render_catalog`], with ids sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderReport {
    /// Ids rendered in this run.
    pub rendered: Vec<String>,
    /// Ids whose rendered WAV was deleted because they left the catalog.
    pub removed: Vec<String>,
    /// Ids whose rendered WAV was already current.
    pub unchanged: Vec<String>,
}

/// Renders the catalog of `args.locale` and prints what was rendered, removed and unchanged.
pub fn run_render(args: &RenderArgs) -> Result<RenderReport, PromptError> {
    let catalog = Catalog::load(&args.prompts_dir, &args.locale)?;
    let options = RenderOptions {
        force: args.force,
        ..RenderOptions::default()
    };
    let report = render_catalog(&catalog, &options)?;

    for id in &report.rendered {
        println!("rendered  {id}");
    }
    for id in &report.removed {
        println!("removed   {id}");
    }
    println!(
        "{}: {} rendered, {} removed, {} unchanged",
        catalog.locale(),
        report.rendered.len(),
        report.removed.len(),
        report.unchanged.len()
    );
    Ok(report)
}

/// Brings `catalog`'s `rendered/` folder up to date with its texts.
///
/// The manifest is saved after every rendered prompt, so an interrupted run keeps the work
/// already done.
pub fn render_catalog(
    catalog: &Catalog,
    options: &RenderOptions,
) -> Result<RenderReport, PromptError> {
    let rendered_dir = catalog.rendered_dir();
    fs::create_dir_all(&rendered_dir).map_err(PromptError::io("creating", &rendered_dir))?;
    let manifest_path = rendered_dir.join(MANIFEST_FILE);
    let mut manifest = read_manifest(&manifest_path)?;
    let mut report = RenderReport::default();

    for id in catalog.ids() {
        let text = catalog.text(id).unwrap_or_default();
        let digest = render_digest(text, &options.voice);
        let output = catalog.rendered_path(id);
        let current = manifest.get(id) == Some(&digest) && output.is_file();
        if current && !options.force {
            report.unchanged.push(id.to_owned());
            continue;
        }

        run_espeak(id, text, &output, options)?;
        manifest.insert(id.to_owned(), digest);
        write_manifest(&manifest_path, &manifest)?;
        report.rendered.push(id.to_owned());
    }

    report.removed = remove_stale(catalog, &rendered_dir)?;
    manifest.retain(|id, _| catalog.text(id).is_some());
    write_manifest(&manifest_path, &manifest)?;
    Ok(report)
}

/// Returns the SHA-256 (hex) of everything that shapes a prompt's audio.
fn render_digest(text: &str, voice: &Voice) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "espeak-ng\nvoice={}\nwpm={}\n",
        voice.name, voice.words_per_minute
    ));
    hasher.update(text.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Runs espeak-ng into a `.part` file and renames it, so a failure keeps the old WAV.
fn run_espeak(
    id: &str,
    text: &str,
    output: &Path,
    options: &RenderOptions,
) -> Result<(), PromptError> {
    let mut part_name = OsString::from(output.as_os_str());
    part_name.push(".part");
    let part = PathBuf::from(part_name);

    // `--` ends espeak-ng's options, so a text starting with '-' is spoken, not parsed.
    let result = Command::new(&options.espeak_program)
        .arg("-v")
        .arg(&options.voice.name)
        .arg("-s")
        .arg(options.voice.words_per_minute.to_string())
        .arg("-w")
        .arg(&part)
        .arg("--")
        .arg(text)
        .output();
    let finished = match result {
        Ok(finished) => finished,
        Err(source) if source.kind() == io::ErrorKind::NotFound => {
            return Err(PromptError::EspeakMissing {
                program: options.espeak_program.clone(),
                source,
            });
        }
        Err(source) => {
            return Err(PromptError::Io {
                action: "running",
                path: options.espeak_program.clone(),
                source,
            });
        }
    };

    let written = fs::metadata(&part)
        .map(|metadata| metadata.len() > 0)
        .unwrap_or(false);
    if !finished.status.success() || !written {
        let _ = fs::remove_file(&part);
        return Err(PromptError::EspeakFailed {
            id: id.to_owned(),
            status: finished.status.to_string(),
            stderr: String::from_utf8_lossy(&finished.stderr).trim().to_owned(),
        });
    }
    fs::rename(&part, output).map_err(PromptError::io("renaming to", output))
}

/// Deletes `rendered/*.wav` files whose id is not in the catalog and returns those ids.
fn remove_stale(catalog: &Catalog, rendered_dir: &Path) -> Result<Vec<String>, PromptError> {
    let entries = fs::read_dir(rendered_dir).map_err(PromptError::io("reading", rendered_dir))?;
    let mut removed = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(PromptError::io("reading", rendered_dir))?
            .path();
        if path.extension().is_none_or(|extension| extension != "wav") {
            continue;
        }
        let Some(id) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        if catalog.text(id).is_none() {
            fs::remove_file(&path).map_err(PromptError::io("removing", &path))?;
            removed.push(id.to_owned());
        }
    }
    removed.sort();
    Ok(removed)
}

fn read_manifest(path: &Path) -> Result<BTreeMap<String, String>, PromptError> {
    match fs::read_to_string(path) {
        Ok(content) => serde_json::from_str(&content).map_err(|source| PromptError::Manifest {
            path: path.to_owned(),
            source,
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(source) => Err(PromptError::Io {
            action: "reading",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes the manifest through a temporary file, so a crash never leaves it half written.
fn write_manifest(path: &Path, manifest: &BTreeMap<String, String>) -> Result<(), PromptError> {
    let mut content =
        serde_json::to_string_pretty(manifest).map_err(|source| PromptError::Manifest {
            path: path.to_owned(),
            source,
        })?;
    content.push('\n');

    let temporary = path.with_extension("json.part");
    fs::write(&temporary, content).map_err(PromptError::io("writing", &temporary))?;
    fs::rename(&temporary, path).map_err(PromptError::io("renaming to", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_changes_with_text() {
        let voice = Voice::default();

        assert_ne!(
            render_digest("Hola.", &voice),
            render_digest("Adiós.", &voice)
        );
    }

    #[test]
    fn digest_changes_with_voice() {
        let slow = Voice {
            words_per_minute: 120,
            ..Voice::default()
        };

        assert_ne!(
            render_digest("Hola.", &Voice::default()),
            render_digest("Hola.", &slow)
        );
    }
}
