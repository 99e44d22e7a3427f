//! The prompt catalog and `recobra prompts render`, on temporary catalog folders.
//!
//! The render tests run the real espeak-ng, which rendering requires
//! (`apt-get install espeak-ng`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use recobra::prompts::render::{MANIFEST_FILE, RenderOptions, render_catalog};
use recobra::prompts::{Catalog, PromptError};

const LOCALE: &str = "es-ES";

/// Creates `prompts/es-ES/` in a temporary folder with the given catalog files.
fn catalog_dir(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let locale_dir = root.path().join(LOCALE);
    fs::create_dir_all(&locale_dir).unwrap();
    for (name, content) in files {
        fs::write(locale_dir.join(name), content).unwrap();
    }
    (root, locale_dir)
}

fn touch(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, b"audio").unwrap();
}

#[test]
fn catalog_merges_files() {
    let (root, _) = catalog_dir(&[
        ("core.toml", "greeting = \"Hola.\"\ngoodbye = \"Adiós.\"\n"),
        ("numbers.toml", "\"num.21\" = \"veintiuno\"\n"),
        ("notes.txt", "ignored = \"no\"\n"),
    ]);

    let catalog = Catalog::load(root.path(), LOCALE).unwrap();

    assert_eq!(catalog.text("greeting"), Some("Hola."));
    assert_eq!(catalog.text("goodbye"), Some("Adiós."));
    assert_eq!(catalog.text("num.21"), Some("veintiuno"));
    assert_eq!(catalog.text("ignored"), None);
    assert_eq!(
        catalog.ids().collect::<Vec<_>>(),
        vec!["goodbye", "greeting", "num.21"]
    );
}

#[test]
fn catalog_rejects_duplicate_id() {
    let (root, locale_dir) = catalog_dir(&[
        ("a.toml", "greeting = \"Hola.\"\n"),
        ("b.toml", "greeting = \"Buenos días.\"\n"),
    ]);

    let error = Catalog::load(root.path(), LOCALE).unwrap_err();

    let PromptError::DuplicateId { id, first, second } = &error else {
        panic!("expected a duplicate id error, got {error}");
    };
    assert_eq!(id, "greeting");
    assert_eq!(first, &locale_dir.join("a.toml"));
    assert_eq!(second, &locale_dir.join("b.toml"));
    let message = error.to_string();
    assert!(message.contains("a.toml"), "{message}");
    assert!(message.contains("b.toml"), "{message}");
}

#[test]
fn catalog_rejects_non_text_value() {
    let (root, _) = catalog_dir(&[("core.toml", "greeting = 3\n")]);

    let error = Catalog::load(root.path(), LOCALE).unwrap_err();

    assert!(
        matches!(&error, PromptError::NotText { id, .. } if id == "greeting"),
        "{error}"
    );
}

#[test]
fn catalog_rejects_path_like_id() {
    let (root, _) = catalog_dir(&[("core.toml", "\"../escape\" = \"Hola.\"\n")]);

    let error = Catalog::load(root.path(), LOCALE).unwrap_err();

    assert!(
        matches!(&error, PromptError::InvalidId { id, .. } if id == "../escape"),
        "{error}"
    );
}

#[test]
fn catalog_reports_invalid_toml() {
    let (root, locale_dir) = catalog_dir(&[("core.toml", "greeting = \"unterminated\n")]);

    let error = Catalog::load(root.path(), LOCALE).unwrap_err();

    assert!(
        matches!(&error, PromptError::Parse { path, .. } if path == &locale_dir.join("core.toml")),
        "{error}"
    );
}

#[test]
fn catalog_reports_missing_locale() {
    let root = tempfile::tempdir().unwrap();

    let error = Catalog::load(root.path(), "fr-FR").unwrap_err();

    assert!(
        matches!(error, PromptError::LocaleNotFound { .. }),
        "{error}"
    );
}

#[test]
fn catalog_reports_empty_locale() {
    let (root, _) = catalog_dir(&[]);

    let error = Catalog::load(root.path(), LOCALE).unwrap_err();

    assert!(
        matches!(error, PromptError::NoCatalogFiles { .. }),
        "{error}"
    );
}

#[test]
fn recorded_audio_overrides_rendered() {
    let (root, locale_dir) =
        catalog_dir(&[("core.toml", "greeting = \"Hola.\"\ngoodbye = \"Adiós.\"\n")]);
    touch(&locale_dir.join("rendered/greeting.wav"));
    touch(&locale_dir.join("recorded/greeting.flac"));
    touch(&locale_dir.join("rendered/goodbye.wav"));

    let catalog = Catalog::load(root.path(), LOCALE).unwrap();

    assert_eq!(
        catalog.audio_path("greeting"),
        Some(locale_dir.join("recorded/greeting.flac"))
    );
    assert_eq!(
        catalog.audio_path("goodbye"),
        Some(locale_dir.join("rendered/goodbye.wav"))
    );
    assert_eq!(catalog.audio_path("unknown"), None);
}

#[test]
fn missing_audio_lists_ids() {
    let (root, locale_dir) = catalog_dir(&[(
        "core.toml",
        "greeting = \"Hola.\"\ngoodbye = \"Adiós.\"\ntransfer = \"Un momento.\"\n",
    )]);
    touch(&locale_dir.join("recorded/greeting.mp3"));

    let catalog = Catalog::load(root.path(), LOCALE).unwrap();

    assert_eq!(
        catalog.missing_audio(),
        vec!["goodbye".to_owned(), "transfer".to_owned()]
    );
}

/// Fails the calling test with the install hint when espeak-ng cannot run.
fn require_espeak() {
    let probe = Command::new("espeak-ng").arg("--version").output();
    assert!(
        probe.is_ok_and(|output| output.status.success()),
        "espeak-ng is required to render prompts: apt-get install espeak-ng"
    );
}

/// Reads a rendered WAV's sample rate and number of samples.
fn wav_shape(path: &Path) -> (u32, u32) {
    let reader = hound::WavReader::open(path).unwrap();
    (reader.spec().sample_rate, reader.duration())
}

#[test]
fn render_writes_wav_and_manifest() {
    require_espeak();
    let (root, locale_dir) = catalog_dir(&[("core.toml", "greeting = \"Hola.\"\nyes = \"Sí.\"\n")]);
    let catalog = Catalog::load(root.path(), LOCALE).unwrap();

    let report = render_catalog(&catalog, &RenderOptions::default()).unwrap();

    assert_eq!(
        report.rendered,
        vec!["greeting".to_owned(), "yes".to_owned()]
    );
    assert!(report.unchanged.is_empty());
    let (sample_rate, samples) = wav_shape(&locale_dir.join("rendered/greeting.wav"));
    assert_eq!(sample_rate, 22_050);
    assert!(
        samples > 2_205,
        "a spoken word lasts more than 0.1 s, got {samples} samples"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(locale_dir.join("rendered").join(MANIFEST_FILE)).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest.as_object().unwrap().len(), 2);
    assert!(catalog.missing_audio().is_empty());
}

#[test]
fn render_skips_unchanged_and_rerenders_changed() {
    require_espeak();
    let (root, locale_dir) =
        catalog_dir(&[("core.toml", "greeting = \"Hola.\"\ngoodbye = \"Adiós.\"\n")]);
    let first = Catalog::load(root.path(), LOCALE).unwrap();
    render_catalog(&first, &RenderOptions::default()).unwrap();

    let second = render_catalog(&first, &RenderOptions::default()).unwrap();

    assert!(second.rendered.is_empty(), "{second:?}");
    assert_eq!(
        second.unchanged,
        vec!["goodbye".to_owned(), "greeting".to_owned()]
    );

    fs::write(
        locale_dir.join("core.toml"),
        "greeting = \"Buenos días.\"\ngoodbye = \"Adiós.\"\n",
    )
    .unwrap();
    let changed = Catalog::load(root.path(), LOCALE).unwrap();

    let third = render_catalog(&changed, &RenderOptions::default()).unwrap();

    assert_eq!(third.rendered, vec!["greeting".to_owned()]);
    assert_eq!(third.unchanged, vec!["goodbye".to_owned()]);
}

#[test]
fn render_restores_deleted_wav() {
    require_espeak();
    let (root, locale_dir) = catalog_dir(&[("core.toml", "greeting = \"Hola.\"\n")]);
    let catalog = Catalog::load(root.path(), LOCALE).unwrap();
    render_catalog(&catalog, &RenderOptions::default()).unwrap();
    fs::remove_file(locale_dir.join("rendered/greeting.wav")).unwrap();

    let report = render_catalog(&catalog, &RenderOptions::default()).unwrap();

    assert_eq!(report.rendered, vec!["greeting".to_owned()]);
    assert!(locale_dir.join("rendered/greeting.wav").is_file());
}

#[test]
fn render_force_rerenders_everything() {
    require_espeak();
    let (root, _) = catalog_dir(&[("core.toml", "greeting = \"Hola.\"\n")]);
    let catalog = Catalog::load(root.path(), LOCALE).unwrap();
    render_catalog(&catalog, &RenderOptions::default()).unwrap();

    let options = RenderOptions {
        force: true,
        ..RenderOptions::default()
    };
    let report = render_catalog(&catalog, &options).unwrap();

    assert_eq!(report.rendered, vec!["greeting".to_owned()]);
}

#[test]
fn render_removes_stale_wav() {
    require_espeak();
    let (root, locale_dir) =
        catalog_dir(&[("core.toml", "greeting = \"Hola.\"\nold = \"Viejo.\"\n")]);
    render_catalog(
        &Catalog::load(root.path(), LOCALE).unwrap(),
        &RenderOptions::default(),
    )
    .unwrap();
    fs::write(locale_dir.join("core.toml"), "greeting = \"Hola.\"\n").unwrap();

    let catalog = Catalog::load(root.path(), LOCALE).unwrap();
    let report = render_catalog(&catalog, &RenderOptions::default()).unwrap();

    assert_eq!(report.removed, vec!["old".to_owned()]);
    assert!(!locale_dir.join("rendered/old.wav").exists());
    let manifest = fs::read_to_string(locale_dir.join("rendered").join(MANIFEST_FILE)).unwrap();
    assert!(!manifest.contains("\"old\""), "{manifest}");
}

#[test]
fn render_reports_missing_espeak() {
    let (root, _) = catalog_dir(&[("core.toml", "greeting = \"Hola.\"\n")]);
    let catalog = Catalog::load(root.path(), LOCALE).unwrap();
    let options = RenderOptions {
        espeak_program: root.path().join("no-such-espeak-ng"),
        ..RenderOptions::default()
    };

    let error = render_catalog(&catalog, &options).unwrap_err();

    assert!(
        matches!(error, PromptError::EspeakMissing { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("apt-get install espeak-ng"),
        "{error}"
    );
}

#[test]
fn cli_render_prints_summary() {
    require_espeak();
    let (root, locale_dir) = catalog_dir(&[("core.toml", "greeting = \"Hola.\"\n")]);

    let output = Command::new(env!("CARGO_BIN_EXE_recobra"))
        .args(["prompts", "render", "--locale", LOCALE, "--prompts-dir"])
        .arg(root.path())
        .output()
        .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("rendered  greeting"), "{stdout}");
    assert!(
        stdout.contains("es-ES: 1 rendered, 0 removed, 0 unchanged"),
        "{stdout}"
    );
    assert!(locale_dir.join("rendered/greeting.wav").is_file());
}
