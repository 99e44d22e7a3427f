//! `recobra serve`: loads configuration, storage, the speech model and prompts, then serves
//! calls until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::Config;
use crate::config::DialogueKind;
use crate::dialogue::debt::{DebtDialogue, Grammars, KeypadMap};
use crate::dialogue::demo::{DemoDialogue, YesNoPhrases};
use crate::dialogue::payment::{LinkTemplate, OutboxSender, PaymentLinkSender, WebhookSender};
use crate::dialogue::policy::{Policy, PolicySet};
use crate::dialogue::{CallContext, Dialogue};
use crate::dialogue::debt::Account;
use crate::storage::accounts;
use crate::prompts::library::PromptLibrary;
use crate::recognition::SpeechModel;
use crate::session::call::SessionConfig;
use crate::queue::{HandoffEvent, HandoffRequest, LeaveReason, QueueService};
use crate::session::driver::{CallServices, DialogueFactory, HandoffQueue, PaymentLinks, QueueTicket};
use tokio::sync::mpsc;
use crate::session::listener::ListenerConfig;
use crate::storage::{Journal, Store};
use crate::web::metrics::Metrics;
use crate::web::{AppState, WebSettings, router};

/// Creates the built-in yes/no flow for every call.
struct DemoFactory {
    phrases: YesNoPhrases,
}

impl DialogueFactory for DemoFactory {
    fn create(&self, _context: &CallContext) -> Box<dyn Dialogue> {
        Box::new(DemoDialogue::new(self.phrases.clone()))
    }
}

/// Creates the debt dialogue for the call's account: the one named by the call set-up
/// (outbound calls), else the one whose phone number is calling (inbound calls).
struct DebtFactory {
    store: Store,
    policies: PolicySet,
    /// Policy for accounts whose policy name is unknown (checked at start-up).
    standard_policy: Policy,
    keypad: KeypadMap,
    /// Phrase lists of the closed questions, from the locale's `grammars/debt.toml`.
    grammars: Arc<Grammars>,
}

impl DebtFactory {
    fn find_account(&self, context: &CallContext) -> Option<Account> {
        let lookup = self.store.with_connection(|conn| match (&context.account_id, &context.caller_number) {
            (Some(id), _) => accounts::account_by_id(conn, id),
            (None, Some(phone)) => accounts::account_by_phone(conn, phone),
            (None, None) => Ok(None),
        });
        match lookup {
            Ok(account) => account,
            Err(error) => {
                warn!(call_sid = %context.call_sid, %error, "account lookup failed");
                None
            }
        }
    }
}

impl DialogueFactory for DebtFactory {
    fn create(&self, context: &CallContext) -> Box<dyn Dialogue> {
        let account = self.find_account(context);
        match &account {
            Some(account) => info!(call_sid = %context.call_sid, account = %account.id, "call matched an account"),
            None => warn!(
                call_sid = %context.call_sid,
                account = ?context.account_id,
                caller = ?context.caller_number,
                "no account matches the call"
            ),
        }
        let policy_name = account.as_ref().map_or("standard", |account| account.policy.as_str());
        let policy = match self.policies.get(policy_name) {
            Ok(policy) => policy.clone(),
            Err(error) => {
                warn!(call_sid = %context.call_sid, %error, "unknown policy; using the standard policy");
                self.standard_policy.clone()
            }
        };
        let today = chrono::Local::now().date_naive();
        Box::new(DebtDialogue::new(account, policy, self.keypad.clone(), today).with_grammars(self.grammars.clone()))
    }
}

/// A server bound to its address and ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: watch::Sender<bool>,
}

impl Server {
    /// Prepares everything the server needs and binds the listen address.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        let data_dir = config.data_dir.clone();
        std::fs::create_dir_all(&data_dir).with_context(|| format!("failed to create data dir {}", data_dir.display()))?;

        let database = config.database_path();
        let store = Store::open(&database).with_context(|| format!("failed to open database {}", database.display()))?;
        let ended = store.end_stale_calls("server_restart")?;
        if ended > 0 {
            warn!(calls = ended, "calls left active by a previous run were marked ended");
        }
        let journal = Journal::spawn(&store)?;
        import_demo_accounts_once(&store, &config.demo_accounts)?;

        let model = load_model(&config.model_dir).await;

        let locale_dir = config.prompts_dir.join(&config.locale);
        let prompts_dir = config.prompts_dir.clone();
        let locale = config.locale.clone();
        let speech_cache = config.cache_dir().join("speech");
        let prompts = tokio::task::spawn_blocking(move || PromptLibrary::load(&prompts_dir, &locale, Some(speech_cache)))
            .await?
            .context("failed to load prompts")?;
        let dialogues: Arc<dyn DialogueFactory> = match config.dialogue {
            DialogueKind::Demo => Arc::new(DemoFactory { phrases: YesNoPhrases::load(&locale_dir.join("grammars").join("yes-no.toml"))? }),
            DialogueKind::Debt => {
                let policies = PolicySet::load(&config.policies_file)?;
                let standard_policy = policies.get("standard").context("the policies file must define the policy \"standard\"")?.clone();
                let grammars = Arc::new(Grammars::load(&locale_dir.join("grammars").join("debt.toml"))?);
                Arc::new(DebtFactory { store: store.clone(), policies, standard_policy, keypad: KeypadMap::load(&config.keypad_file)?, grammars })
            }
        };
        let payment_links = payment_links(&config, &database)?;
        let queue = (config.handoff.mode == crate::config::HandoffMode::Queue).then(|| QueueService::start(store.clone(), config.queue.clone()));

        let (shutdown, shutdown_receiver) = watch::channel(false);
        let audio = &config.audio;
        let services = CallServices {
            session: SessionConfig {
                playback_lead_ms: u64::from(audio.playback_lead_ms),
                listener: ListenerConfig {
                    trailing_silence_ms: u64::from(audio.trailing_silence_ms),
                    barge_in_min_speech_ms: u64::from(audio.barge_in_min_speech_ms),
                },
                barge_in_threshold_boost_db: audio.barge_in_threshold_boost_db,
                vad: Default::default(),
                speech_available: model.is_some(),
                queue_phrases: Arc::new(load_queue_phrases(&locale_dir.join("grammars").join("queue.toml"))),
            },
            journal,
            metrics: Arc::new(Metrics::new()),
            model,
            prompts: Arc::new(prompts),
            dialogues,
            payment_links: Some(payment_links),
            handoff_queue: handoff_queue(&config, queue.as_ref()),
            language: config.locale.split('-').next().unwrap_or("es").to_owned(),
            recordings_dir: config.recording.enabled.then(|| config.recordings_dir()),
            media_timeout: Duration::from_millis(u64::from(config.session.media_timeout_ms)),
            ping_interval: Duration::from_millis(u64::from(config.session.ping_interval_ms)),
            shutdown: shutdown_receiver,
        };

        let settings = WebSettings {
            public_base_url: config.public_base_url.clone(),
            twilio_auth_token: if config.twilio.danger_disable_signature_check {
                None
            } else {
                config.twilio.auth_token.as_ref().map(|token| token.expose().to_owned())
            },
            trust_forwarded_headers: config.twilio.trust_forwarded_headers,
            api_bearer_token: config.api.bearer_token.as_ref().map(|token| token.expose().to_owned()),
            max_message_bytes: config.session.max_message_bytes,
            max_concurrent_calls: config.session.max_concurrent_calls,
            model_dir: config.model_dir.display().to_string(),
        };
        if config.twilio.danger_disable_signature_check {
            warn!("DANGER: Twilio signature checks are disabled; anyone who reaches this server can open calls");
        }

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("failed to listen on {}", config.listen))?;
        let state = AppState { settings: Arc::new(settings), services: Arc::new(services), store, open_calls: Arc::new(AtomicUsize::new(0)), queue };
        Ok(Self { listener, state, shutdown })
    }

    /// Returns the built-in agent queue, when handoffs go to it (the console and tests
    /// drive the agent side through it).
    pub fn queue(&self) -> Option<QueueService> {
        self.state.queue.clone()
    }

    /// Returns the address the server listens on.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` resolves, then ends every call and flushes the journal.
    pub async fn run(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { listener, state, shutdown } = self;
        info!(address = %listener.local_addr()?, "listening");
        let journal = state.services.journal.clone();
        let open_calls = state.open_calls.clone();
        let queue = state.queue.clone();
        let console = console_router(&state)?;

        axum::serve(listener, router(state).merge(console))
            .with_graceful_shutdown(async move {
                stop.await;
                info!("shutting down: ending active calls");
                let _ = shutdown.send(true);
            })
            .await?;

        // axum does not wait for upgraded sockets, so wait for the call tasks here.
        for _ in 0..100 {
            if open_calls.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        journal.flush().await;
        if let Some(queue) = queue {
            queue.flush().await;
        }
        info!("stopped");
        Ok(())
    }
}

/// Builds the agent console's routes on the server's database and agent queue.
fn console_router(state: &AppState) -> anyhow::Result<axum::Router> {
    let secure_cookie = state.settings.public_base_url.as_deref().is_some_and(|url| url.starts_with("https://"));
    let settings = crate::web::console::ConsoleSettings { secure_cookie, ..Default::default() };
    let mut console = crate::web::console::ConsoleState::new(state.store.clone(), settings)?;
    if let Some(queue) = &state.queue {
        console = console.with_queue(queue.clone());
    }
    Ok(crate::web::console::router(console))
}

/// The built-in agent queue as the sessions see it, with the priority from the queue
/// settings.
struct BuiltInQueue {
    service: QueueService,
    config: crate::queue::QueueConfig,
}

impl HandoffQueue for BuiltInQueue {
    fn enqueue(&self, mut request: HandoffRequest) -> Result<(Box<dyn QueueTicket>, mpsc::UnboundedReceiver<HandoffEvent>), String> {
        request.priority = self.config.priority_for(&request.context);
        let (ticket, events) = self.service.enqueue(request).map_err(|error| error.to_string())?;
        Ok((Box::new(ticket), events))
    }
}

impl QueueTicket for crate::queue::Ticket {
    fn leave(self: Box<Self>, reason: LeaveReason) {
        crate::queue::Ticket::leave(*self, reason);
    }
}

/// Builds the handoff path the configuration selects.
fn handoff_queue(config: &Config, queue: Option<&QueueService>) -> Option<Arc<dyn HandoffQueue>> {
    use crate::config::HandoffMode;
    use crate::queue::redirect::{RedirectSettings, TwilioRedirect};
    use crate::transport::twilio::twiml::DialTarget;

    match config.handoff.mode {
        HandoffMode::Queue => {
            queue.map(|service| Arc::new(BuiltInQueue { service: service.clone(), config: config.queue.clone() }) as Arc<dyn HandoffQueue>)
        }
        HandoffMode::TwilioRedirect => {
            let handoff = &config.handoff;
            // Validation guarantees the SID, the token and exactly one target.
            let target = match (&handoff.dial_number, &handoff.dial_sip) {
                (Some(number), _) => DialTarget::Number(number.clone()),
                (None, Some(sip)) => DialTarget::Sip(sip.clone()),
                (None, None) => return None,
            };
            let settings = RedirectSettings {
                api_base_url: handoff.twilio_api_base_url.clone(),
                account_sid: handoff.twilio_account_sid.clone().unwrap_or_default(),
                auth_token: config.twilio.auth_token.as_ref().map(|token| token.expose().to_owned()).unwrap_or_default(),
                target,
                caller_id: handoff.caller_id.clone(),
            };
            Some(Arc::new(Arc::new(TwilioRedirect::new(settings))))
        }
    }
}

/// Loads the voice answers for callers waiting in the queue; without the file only keys work.
fn load_queue_phrases(path: &Path) -> crate::session::call::QueuePhrases {
    match crate::session::call::QueuePhrases::load(path) {
        Ok(phrases) => phrases,
        Err(error) => {
            warn!(%error, "queue phrases not loaded; callers in the queue can use the keypad only");
            crate::session::call::QueuePhrases::default()
        }
    }
}

/// Imports the demo accounts when the database has no account yet (the first run).
fn import_demo_accounts_once(store: &Store, csv: &Path) -> anyhow::Result<()> {
    let count = store.with_connection(accounts::count_accounts)?;
    if count > 0 {
        return Ok(());
    }
    if !csv.is_file() {
        warn!(file = %csv.display(), "no accounts in the database and no demo accounts file; import accounts with `recobra accounts import`");
        return Ok(());
    }
    let report = store.with_connection(|conn| Ok(accounts::import_accounts_csv(conn, csv)))??;
    info!(imported = report.imported, rejected = report.rejected.len(), file = %csv.display(), "demo accounts imported on first run");
    Ok(())
}

/// Builds the payment link sender: a webhook when configured, else the outbox table.
fn payment_links(config: &Config, database: &Path) -> anyhow::Result<PaymentLinks> {
    let sender: Arc<dyn PaymentLinkSender> = match &config.payments.webhook_url {
        Some(url) => Arc::new(WebhookSender::new(url, Duration::from_secs(10))),
        None => {
            let conn = rusqlite::Connection::open(database).with_context(|| format!("failed to open database {}", database.display()))?;
            conn.busy_timeout(Duration::from_secs(5))?;
            Arc::new(OutboxSender::new(conn))
        }
    };
    Ok(PaymentLinks { template: LinkTemplate::new(&config.payments.link_template), sender })
}

/// Loads the speech model, or returns `None` with one warning saying how to fetch it.
async fn load_model(dir: &Path) -> Option<SpeechModel> {
    let path = dir.to_path_buf();
    match tokio::task::spawn_blocking(move || SpeechModel::load(&path)).await {
        Ok(Ok(model)) => {
            info!(model = %dir.display(), sample_rate = model.sample_rate(), "speech model loaded");
            Some(model)
        }
        Ok(Err(error)) => {
            warn!(
                model = %dir.display(),
                %error,
                "speech recognition unavailable; serving calls keypad-only. Fetch the Spanish model with `recobra models fetch es`"
            );
            None
        }
        Err(error) => {
            warn!(%error, "loading the speech model panicked; serving calls keypad-only");
            None
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
