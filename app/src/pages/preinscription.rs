//! `/preinscription`: the intro, the six steps of the form, and the confirmation. The rules live in
//! [`crate::preinscription`]; this module only binds them to the page.

use std::hash::{Hash, Hasher};
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{EmbedMessage, PreRegistrationCreated};
use shared::error::FieldErrors;
use shared::nomenclature::{Metier, ModeExercice, Role};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::browser;
use crate::embed::{self, Embedded};
use crate::json;
use crate::preinscription::{
    self as logic, BirthCountry, DocumentChoice, Draft, LAST_STEP, PlaceChoice, SiteChoice,
    field_id,
};

/// Session-storage keys: the draft, and the answer once sent (so that a reload still shows the confirmation).
const DRAFT_KEY: &str = "enrole.preinscription";
const SENT_KEY: &str = "enrole.preinscription.envoyee";
pub(crate) const HEADING_ID: &str = "titre-etape";
pub(crate) const SUMMARY_ID: &str = "erreurs";
/// Search requests wait until typing pauses this long.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Who fills the form: the professional themselves, or a gestionnaire registering them (CAS 1, which reuses these
/// steps with wording about "la personne").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Voice {
    #[default]
    Professionnel,
    Gestionnaire,
}

/// The text for the current [`Voice`].
fn say(professionnel: &'static str, gestionnaire: &'static str) -> &'static str {
    match use_context::<Voice>().unwrap_or_default() {
        Voice::Professionnel => professionnel,
        Voice::Gestionnaire => gestionnaire,
    }
}

/// The state of the form shared by the steps.
#[derive(Clone, Copy)]
pub struct Form {
    pub(crate) draft: RwSignal<Draft>,
    /// The errors of the current step, computed by the shared rules.
    pub(crate) errors: Memo<FieldErrors>,
    /// Errors the server answered (422) or the upload met, until the field is changed.
    pub(crate) server: RwSignal<FieldErrors>,
    /// The fields left at least once (a list: a set type would add its own code to the wasm for a dozen keys).
    touched: RwSignal<Vec<String>>,
    /// "Suivant" was pressed: every error of the step shows.
    pub(crate) show_all: RwSignal<bool>,
}

impl Form {
    /// A form over `draft`, provided as context to the steps rendered below.
    pub(crate) fn provide(draft: RwSignal<Draft>) -> Self {
        let errors = Memo::new(move |_| draft.with(|d| d.step_errors(d.step, browser::today())));
        let form = Self {
            draft,
            errors,
            server: RwSignal::new(FieldErrors::new()),
            touched: RwSignal::new(Vec::new()),
            show_all: RwSignal::new(false),
        };
        provide_context(form);
        form
    }

    /// The message shown under the field `key`, if any.
    fn error(self, key: &str) -> Option<String> {
        if let Some(message) = self
            .server
            .with(|s| s.get(key).and_then(|m| m.first().cloned()))
        {
            return Some(message);
        }
        let visible = self.show_all.get() || self.touched.with(|t| t.iter().any(|k| k == key));
        if !visible {
            return None;
        }
        self.errors
            .with(|e| e.get(key).and_then(|m| m.first().cloned()))
    }

    /// The person left the field: its errors may show.
    fn touch(self, key: &str) {
        if !self.touched.with_untracked(|t| t.iter().any(|k| k == key)) {
            self.touched.update(|t| t.push(key.to_owned()));
        }
    }

    /// The person changed the field: the server's message about it no longer applies.
    pub(crate) fn changed(self, key: &str) {
        if self.server.with_untracked(|s| s.contains(key)) {
            self.server
                .update(|s| *s = logic::keep_errors(s, |k| k != key));
        }
    }

    /// Every error to list in the summary: the step's own and the server's for this step.
    pub(crate) fn visible_errors(self) -> FieldErrors {
        let step = self.draft.with(|d| d.step);
        let mut all = FieldErrors::new();
        for (key, messages) in self.server.get().iter() {
            if logic::step_of_field(key) == step {
                for message in messages {
                    all.add(key, message.clone());
                }
            }
        }
        if self.show_all.get() {
            for (key, messages) in self.errors.get().iter() {
                if !all.contains(key) {
                    for message in messages {
                        all.add(key, message.clone());
                    }
                }
            }
        }
        all
    }

    pub(crate) fn go_to(self, step: u8) {
        self.show_all.set(false);
        self.touched.set(Vec::new());
        self.draft.update(|d| {
            d.step = step;
            if step == 5 {
                d.prefill_exercice();
            }
        });
        request_animation(|| browser::focus(HEADING_ID));
    }
}

/// Runs `f` once the view has been updated.
pub(crate) fn request_animation(f: impl FnOnce() + 'static) {
    set_timeout(f, Duration::from_millis(0));
}

fn load_draft() -> Draft {
    browser::load(DRAFT_KEY)
        .and_then(|json| Draft::from_json(&json))
        .unwrap_or_default()
}

fn load_sent() -> Option<PreRegistrationCreated> {
    browser::load(SENT_KEY).and_then(|text| {
        json::parse(&text)
            .and_then(|v| json::pre_registration_created(&v))
            .ok()
    })
}

/// `/preinscription`. `load_steps` gives the steps' view ([`steps`]): the entry point fetches it from a chunk of
/// its own (`#[lazy]`), so that the first screen (the intro) does not wait for the steps' code.
#[component]
pub fn Preinscription(load_steps: LoadSteps) -> impl IntoView {
    let draft = RwSignal::new(load_draft());
    let sent = RwSignal::new(load_sent());
    let form = Form::provide(draft);

    // Every change is kept at once: a reload or a crash loses nothing.
    Effect::new(move |_| {
        // An empty draft (after sending) is not kept at all.
        match draft.with(|d| (*d != Draft::default()).then(|| d.to_json())) {
            Some(json) => browser::save(DRAFT_KEY, &json),
            None => browser::remove(DRAFT_KEY),
        }
    });
    Effect::new(move |_| {
        let title = match (sent.get().is_some(), draft.with(|d| d.step)) {
            (true, _) => "Demande envoyée".to_owned(),
            // The intro's title is its heading, which `Intro` reads from the page.
            (false, 0) => return,
            (false, step) => format!(
                "{} : {} – Pré-inscription",
                logic::progress(step),
                logic::step_title(step)
            ),
        };
        crate::set_title(&title);
    });

    // `?finess=NNNNNNNNN` pre-selects the establishment.
    let embedded = use_context::<Embedded>();
    if let Some(finess) = browser::query_param("finess").filter(|f| f.trim().len() == 9) {
        let finess = finess.trim().to_owned();
        let known = draft.with_untracked(|d| d.site.clone().filter(|s| s.finess == finess));
        if let Some(site) = known {
            provide_embed_site(embedded.is_some(), Some(site));
        } else {
            let embed_site = provide_embed_site(embedded.is_some(), None);
            spawn_local(async move {
                let hit = api::structures(&finess).await.ok().and_then(|found| {
                    found
                        .into_iter()
                        .find(|h| h.site.finess.as_deref() == Some(&finess))
                });
                if let Some(hit) = hit {
                    let site = site_choice(&hit);
                    if let Some(embed_site) = embed_site {
                        embed_site.set(EmbedSite::Found(site.clone()));
                    }
                    draft.update(|d| {
                        d.site = Some(site);
                        d.site_from_link = true;
                        d.notice_version.clear();
                    });
                } else if let Some(embed_site) = embed_site {
                    embed_site.set(EmbedSite::Unknown);
                }
            });
        }
    } else {
        provide_embed_site(embedded.is_some(), None).inspect(|s| s.set(EmbedSite::Unknown));
    }
    // The steps' code is a WebAssembly chunk of its own (`#[lazy]`, split by xtask): fetched as soon as the app
    // starts, while the intro (static, painted before) is read, so it is there when the person starts.
    let steps = RwSignal::new(None::<StepsView>);
    if let Some(embedded) = embedded {
        embed_events(&embedded, draft, sent, steps);
    }
    // A failed fetch (a phone that lost its connection) is offered again, the draft kept.
    let steps_failed = RwSignal::new(false);
    let fetch_steps = move || {
        steps_failed.set(false);
        spawn_local(async move {
            let loaded = load_steps().await;
            // A step is waiting: the focus the step change put on the loading message goes to what replaces it.
            let refocus = document()
                .active_element()
                .is_some_and(|focused| focused.id() == HEADING_ID);
            match loaded {
                Some(view) => steps.set(Some(view)),
                None => steps_failed.set(true),
            }
            if refocus {
                request_animation(|| browser::focus(HEADING_ID));
            }
        });
    };
    fetch_steps();

    // Only a change of step (or the answer) renders another screen; typing does not.
    let step = Memo::new(move |_| draft.with(|d| d.step));
    view! {
        {move || {
            if let Some(created) = sent.get() {
                view! { <Confirmation created sent draft/> }.into_any()
            } else if step.get() == 0 {
                view! { <Intro form/> }.into_any()
            } else if let Some(view) = steps.get() {
                view(form, sent)
            } else if steps_failed.get() {
                view! {
                    <div class="narrow alert" role="alert">
                        <p id=HEADING_ID tabindex="-1">
                            "Le formulaire n'a pas pu être chargé : vérifiez votre connexion, puis réessayez. Ce que \
                             vous avez saisi est conservé."
                        </p>
                        <button type="button" class="button" on:click=move |_| fetch_steps()>"Réessayer"</button>
                    </div>
                }
                .into_any()
            } else {
                // Only on a slow connection, or when the page opens on a step (reload, embedded form).
                view! {
                    <p class="narrow" id=HEADING_ID tabindex="-1" role="status">"Chargement du formulaire…"</p>
                }
                .into_any()
            }
        }}
    }
}

/// Renders the steps: [`steps`], reached through the entry point's lazily loaded chunk.
pub type StepsView = fn(Form, RwSignal<Option<PreRegistrationCreated>>) -> AnyView;

/// Gives the steps' view once its code is there, `None` when it could not be fetched.
pub type LoadSteps =
    fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<StepsView>>>>;

/// The steps' view (see [`Preinscription`]).
pub fn steps(form: Form, sent: RwSignal<Option<PreRegistrationCreated>>) -> AnyView {
    view! { <Steps form sent/> }.into_any()
}

/// The site of the embedded form, as its address names it.
#[derive(Clone, Debug, PartialEq)]
enum EmbedSite {
    Loading,
    Found(SiteChoice),
    /// No site has that FINESS (or the address has none): the form cannot be sent from this frame.
    Unknown,
}

/// In the embedded form, the site is fixed by the address: provides it to the steps (and to a new request).
fn provide_embed_site(embedded: bool, known: Option<SiteChoice>) -> Option<RwSignal<EmbedSite>> {
    embedded.then(|| {
        let site = RwSignal::new(known.map_or(EmbedSite::Loading, EmbedSite::Found));
        provide_context(site);
        site
    })
}

/// The embedded form starts at the first step (the host page introduces it), keeps its site for a new request,
/// and tells the host page the step shown and the reference once sent (never personal data).
fn embed_events(
    embedded: &Embedded,
    draft: RwSignal<Draft>,
    sent: RwSignal<Option<PreRegistrationCreated>>,
    steps: RwSignal<Option<StepsView>>,
) {
    let embed_site = use_context::<RwSignal<EmbedSite>>();
    if sent.with_untracked(Option::is_none) && draft.with_untracked(|d| d.step == 0) {
        draft.update(|d| d.step = 1);
    }
    Effect::new(move |_| {
        let at_intro = sent.with(Option::is_none) && draft.with(|d| d.step == 0);
        if at_intro {
            // Not `Form::go_to`: the focus stays on the host page until the person acts in the form.
            draft.update(|d| {
                d.step = 1;
                if d.site.is_none()
                    && let Some(EmbedSite::Found(site)) = embed_site.map(|s| s.get_untracked())
                {
                    d.site = Some(site);
                    d.site_from_link = true;
                }
            });
        }
    });
    // The host page learns the height once the site's name is shown (the steps' code is there too): the frame
    // keeps its reserved height until then instead of shrinking and growing again.
    let observed = StoredValue::new(false);
    let to_host = embedded.clone();
    Effect::new(move |_| {
        let ready = embed_site.is_none_or(|s| s.with(|s| *s != EmbedSite::Loading))
            && steps.with(Option::is_some);
        if ready && !observed.get_value() {
            observed.set_value(true);
            let to_host = to_host.clone();
            request_animation_frame(move || embed::observe_height(to_host));
        }
    });
    let step = Memo::new(move |_| draft.with(|d| d.step));
    let to_host = embedded.clone();
    Effect::new(move |previous: Option<u8>| {
        let current = step.get();
        // From one step to another: not the jump from the (skipped) introduction to the first step.
        if previous.is_some_and(|p| p > 0 && p != current) && current > 0 {
            embed::post(&to_host, &EmbedMessage::Step { step: current });
        }
        current
    });
    let to_host = embedded.clone();
    Effect::new(move |previous: Option<bool>| {
        let reference = sent.with(|s| s.as_ref().map(|c| c.reference.clone()));
        if previous == Some(false)
            && let Some(reference) = &reference
        {
            embed::post(
                &to_host,
                &EmbedMessage::Submitted {
                    reference: reference.clone(),
                },
            );
        }
        reference.is_some()
    });
}

fn site_choice(hit: &api::StructureMatch) -> SiteChoice {
    SiteChoice {
        id: hit.site.id,
        nom: hit.site.nom.clone(),
        finess: hit.site.finess.clone().unwrap_or_default(),
        commune: hit.site.commune.clone(),
    }
}

/// The id of the intro in the served page (`app/preinscription.html`), kept by the entry point for [`Intro`].
pub const INTRO_ID: &str = "intro";
/// The intro's start button, and its two labels (one hidden): a new request, or a draft to resume.
const START_ID: &str = "commencer";
const START_NEW: &str = ".commencer__nouvelle";
const START_RESUME: &str = ".commencer__reprise";

/// The intro: the served page's own (`app/preinscription.html`, its only copy), painted before the app starts and
/// adopted here, not rendered again. The app only enables its start button (disabled until then, so that a press
/// is never lost) and picks the label.
#[component]
fn Intro(form: Form) -> impl IntoView {
    let resume = form.draft.with_untracked(|d| {
        d.has_rpps.is_some() || !d.nom_naissance.is_empty() || !d.email.is_empty()
    });
    // The title is the intro's heading, read from the page: its text is written once.
    if let Some(heading) = crate::first_paint::kept(INTRO_ID)
        .and_then(|intro| intro.query_selector("h1").ok().flatten())
        .and_then(|h1| h1.text_content())
    {
        crate::set_title(heading.trim());
    }
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let started = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest(&format!("#{START_ID}")).ok().flatten())
            .is_some();
        if started {
            form.go_to(1);
        }
    };
    // A plain container: no box of its own, so the adopted intro lays out exactly as it did in the static page.
    view! { <div on:click=on_click use:adopt_intro=resume></div> }
}

/// Directive: moves the kept intro into `slot`, with the start button's label for a new request or a draft.
fn adopt_intro(slot: web_sys::Element, resume: bool) {
    let Some(intro) = crate::first_paint::adopt(INTRO_ID, &slot) else {
        return;
    };
    let find = |selector: &str| intro.query_selector(selector).ok().flatten();
    for (selector, shown) in [(START_NEW, !resume), (START_RESUME, resume)] {
        if let Some(label) = find(selector) {
            _ = label.toggle_attribute_with_force("hidden", !shown);
        }
    }
    if let Some(button) = find(&format!("#{START_ID}")) {
        _ = button.remove_attribute("disabled");
    }
}

#[component]
fn Steps(form: Form, sent: RwSignal<Option<PreRegistrationCreated>>) -> impl IntoView {
    let draft = form.draft;
    let step = Memo::new(move |_| draft.with(|d| d.step));
    let sending = RwSignal::new(false);
    let general_error = RwSignal::new(None::<String>);

    let next = move |_| {
        let current = step.get_untracked();
        if form.errors.with_untracked(FieldErrors::is_empty)
            && !form
                .server
                .with_untracked(|s| s.iter().any(|(k, _)| logic::step_of_field(k) == current))
        {
            form.go_to(current + 1);
        } else {
            form.show_all.set(true);
            request_animation(|| browser::focus(SUMMARY_ID));
        }
    };
    let previous = move |_| form.go_to(step.get_untracked().saturating_sub(1));
    let submit = move |_| {
        if sending.get_untracked() {
            return;
        }
        general_error.set(None);
        let all = draft.with_untracked(|d| d.errors(browser::today()));
        if let Some(first) = Draft::first_step_in_error(&all) {
            if first != step.get_untracked() {
                form.go_to(first);
            }
            form.show_all.set(true);
            request_animation(|| browser::focus(SUMMARY_ID));
            return;
        }
        sending.set(true);
        spawn_local(send(form, sent, sending, general_error));
    };

    let summary = move || view! { <StepErrorSummary form/> };

    view! {
        <div class="form-page">
            <p class="progress-label" id="progression">{move || logic::progress(step.get())}</p>
            <progress class="progress-bar" max=LAST_STEP value=move || step.get().to_string() aria-labelledby="progression"></progress>
            <h1 id=HEADING_ID tabindex="-1">{move || logic::step_title(step.get()).to_owned()}</h1>
            {summary}
            <form class="step-form" novalidate on:submit=move |ev| ev.prevent_default()>
                {move || match step.get() {
                    1 => view! { <StepSite/> }.into_any(),
                    2 => view! { <StepNotice/> }.into_any(),
                    3 => view! { <StepEtatCivil/> }.into_any(),
                    4 => view! { <StepContact/> }.into_any(),
                    5 => view! { <StepSituation/> }.into_any(),
                    _ => view! { <StepDocument/> }.into_any(),
                }}
                {move || general_error.get().map(|message| view! {
                    <div class="alert" role="alert"><p>{message}</p></div>
                })}
                <div class="form-actions">
                    {move || if step.get() < LAST_STEP {
                        view! { <button type="submit" class="button" on:click=next>"Suivant"</button> }.into_any()
                    } else {
                        view! {
                            <button type="submit" class="button" on:click=submit aria-disabled=move || aria_true(sending.get())>
                                {move || if sending.get() { "Envoi en cours…" } else { "Envoyer ma demande" }.to_owned()}
                            </button>
                        }.into_any()
                    }}
                    <button type="button" class="button button--secondary" on:click=previous>"Précédent"</button>
                </div>
            </form>
        </div>
    }
}

/// The errors of the current step, linked to their fields (id [`SUMMARY_ID`], focused by the caller).
#[component]
pub(crate) fn StepErrorSummary(form: Form) -> impl IntoView {
    move || {
        let list = logic::summary(&form.visible_errors());
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .map(|(_, id, message)| {
                    let target = id.clone();
                    view! {
                        <li>
                            <a href=format!("#{id}") on:click=move |ev| {
                                ev.prevent_default();
                                browser::focus(&target);
                            }>{message}</a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="error-summary" id=SUMMARY_ID tabindex="-1" aria-labelledby="erreurs-titre">
                    <h2 id="erreurs-titre">"Il y a un problème"</h2>
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}

fn body_hash(draft: &Draft) -> u64 {
    let json = json::write_pre_registration_request(&draft.to_request());
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    json.hash(&mut hasher);
    hasher.finish()
}

/// Sends the request: one idempotency key per body, kept in the draft, so that a retry after a timeout or a lost
/// answer is recognised by the server and creates nothing twice.
async fn send(
    form: Form,
    sent: RwSignal<Option<PreRegistrationCreated>>,
    sending: RwSignal<bool>,
    general_error: RwSignal<Option<String>>,
) {
    let draft = form.draft;
    let hash = draft.with_untracked(body_hash);
    draft.update(|d| {
        if d.idempotency_key.is_none() || d.idempotency_for != hash {
            d.idempotency_key = Some(browser::random_uuid());
            d.idempotency_for = hash;
        }
    });
    let key = draft.with_untracked(|d| d.idempotency_key.clone().unwrap_or_default());
    let request = draft.with_untracked(Draft::to_request);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let answer = api::submit(&request, &key).await;
        match answer.result {
            Ok(created) => {
                browser::save(SENT_KEY, &json::write_pre_registration_created(&created));
                browser::remove(DRAFT_KEY);
                sent.set(Some(created));
                draft.set(Draft::default());
                browser::remove(DRAFT_KEY);
                request_animation(|| browser::focus(HEADING_ID));
                break;
            }
            // The first request with this key is still running: wait as asked, then ask again.
            Err(ApiError::Server { status: 409, .. }) if attempts < 4 => {
                let wait = answer.retry_after.unwrap_or(2).clamp(1, 10);
                sleep(Duration::from_secs(u64::from(wait))).await;
            }
            Err(ApiError::Server {
                status: 422,
                envelope,
            }) if !envelope.error.fields.is_empty() => {
                let fields = envelope.error.fields;
                let first = Draft::first_step_in_error(&fields).unwrap_or(LAST_STEP);
                form.server.set(fields);
                if first != draft.with_untracked(|d| d.step) {
                    form.go_to(first);
                }
                form.show_all.set(true);
                request_animation(|| browser::focus(SUMMARY_ID));
                break;
            }
            Err(error) => {
                let mut message = error.to_string();
                if let Some(seconds) = answer.retry_after {
                    message.push_str(&format!(
                        " Réessayez dans {} minute(s).",
                        seconds.div_ceil(60).max(1)
                    ));
                }
                message.push_str(" Vos réponses sont conservées.");
                general_error.set(Some(message));
                break;
            }
        }
    }
    sending.set(false);
}

async fn sleep(duration: Duration) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(
            move || {
                _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            },
            duration,
        );
    });
    _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

// ---------------------------------------------------------------------------------------------------------------
// Field building blocks.

fn form() -> Form {
    expect_context::<Form>()
}

/// `aria-invalid` or `aria-disabled`: "true", or no attribute. A `String`, as the other reactive attributes and
/// texts of the form: each value type brings its own rendering code into the wasm.
fn aria_true(on: bool) -> Option<String> {
    on.then(|| "true".to_owned())
}

/// `aria-describedby` of a field: its hint, then its error when shown.
fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{id}-aide"));
    }
    if error {
        ids.push(format!("{id}-erreur"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

#[component]
fn ErrorText(#[prop(into)] key: String) -> impl IntoView {
    let form = form();
    let id = format!("{}-erreur", field_id(&key));
    move || {
        form.error(&key).map(|message| {
            view! { <p class="field-error" id=id.clone()><span class="visually-hidden">"Erreur : "</span>{message}</p> }
        })
    }
}

/// A text field bound to the draft.
#[component]
pub(crate) fn TextField(
    #[prop(into)] key: String,
    #[prop(into)] label: String,
    #[prop(default = None, into)] hint: Option<&'static str>,
    field: Bind,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    let form = form();
    let id = field_id(&key);
    let has_hint = hint.is_some();
    let (key_error, key_blur, key_input) = (key.clone(), key.clone(), key.clone());
    let invalid = Memo::new(move |_| form.error(&key_error).is_some());
    let describe_id = id.clone();
    view! {
        <div class="field" class:field--error=move || invalid.get()>
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-aide")>{hint}</p> })}
            <ErrorText key=key.clone()/>
            <input
                id=id.clone()
                name=key.clone()
                type=kind
                class=class
                autocomplete=autocomplete
                inputmode=inputmode
                spellcheck="false"
                aria-invalid=move || aria_true(invalid.get())
                aria-describedby=move || described_by(&describe_id, has_hint, invalid.get())
                prop:value=move || field.get(form.draft)
                on:input=move |ev| {
                    field.set(form.draft, event_target_value(&ev));
                    form.changed(&key_input);
                }
                on:blur=move |_| form.touch(&key_blur)
            />
        </div>
    }
}

/// Radio buttons bound to the draft: `(value, label, description)`.
#[component]
pub(crate) fn RadioGroup(
    #[prop(into)] key: String,
    #[prop(into)] legend: String,
    #[prop(default = None, into)] hint: Option<&'static str>,
    options: Vec<(String, String, Option<String>)>,
    field: Bind,
    /// Replaces the field's own write: the gestionnaire's site, which needs the sites loaded.
    #[prop(optional)]
    set: Option<Callback<String>>,
) -> impl IntoView {
    let form = form();
    let id = field_id(&key);
    let has_hint = hint.is_some();
    let key_error = key.clone();
    let invalid = Memo::new(move |_| form.error(&key_error).is_some());
    let describe_id = id.clone();
    let radios = options
        .into_iter()
        .enumerate()
        .map(|(index, (option, label, description))| {
            let input_id = if index == 0 { id.clone() } else { format!("{id}-{index}") };
            let description_id = format!("{input_id}-description");
            let (checked_value, set_value) = (option.clone(), option.clone());
            let (key_change, key_blur) = (key.clone(), key.clone());
            view! {
                <div class="radio">
                    <input
                        type="radio"
                        id=input_id.clone()
                        name=id.clone()
                        value=option
                        aria-invalid=move || aria_true(invalid.get())
                        aria-describedby=description.is_some().then(|| description_id.clone())
                        prop:checked=move || field.get(form.draft) == checked_value
                        on:change=move |_| {
                            match set {
                                Some(set) => set.run(set_value.clone()),
                                None => field.set(form.draft, set_value.clone()),
                            }
                            form.changed(&key_change);
                        }
                        on:blur=move |_| form.touch(&key_blur)
                    />
                    <label for=input_id>{label}</label>
                    {description.map(|d| view! { <p class="radio__description" id=description_id>{d}</p> })}
                </div>
            }
        })
        .collect_view();
    view! {
        <fieldset class="field" class:field--error=move || invalid.get() aria-describedby=move || described_by(&describe_id, has_hint, invalid.get())>
            <legend>{legend}</legend>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-aide")>{hint}</p> })}
            <ErrorText key=key.clone()/>
            <div class="radios">{radios}</div>
        </fieldset>
    }
}

/// A date typed as three numeric fields (jour, mois, année).
#[component]
fn DateField(
    #[prop(into)] key: String,
    #[prop(into)] legend: String,
    #[prop(into)] hint: String,
    day: Bind,
    month: Bind,
    year: Bind,
) -> impl IntoView {
    let form = form();
    let id = field_id(&key);
    let key_error = key.clone();
    let invalid = Memo::new(move |_| form.error(&key_error).is_some());
    let describe_id = id.clone();
    let hint_id = format!("{id}-aide");
    let error_key = key.clone();
    let part = move |suffix: &'static str, label: &'static str, field: Bind, size: &'static str| {
        let input_id = if suffix.is_empty() {
            id.clone()
        } else {
            format!("{id}-{suffix}")
        };
        let (key_input, key_blur) = (key.clone(), key.clone());
        let describe_id = describe_id.clone();
        view! {
            <div class="date-part">
                <label for=input_id.clone()>{label}</label>
                <input
                    id=input_id
                    class=size
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    maxlength=if size == "date-year" { "4" } else { "2" }
                    aria-invalid=move || aria_true(invalid.get())
                    aria-describedby=move || described_by(&describe_id, true, invalid.get())
                    prop:value=move || field.get(form.draft)
                    on:input=move |ev| {
                        field.set(form.draft, event_target_value(&ev));
                        form.changed(&key_input);
                    }
                    on:blur=move |_| form.touch(&key_blur)
                />
            </div>
        }
    };
    let parts = view! {
        {part("", "Jour", day, "date-day")}
        {part("mois", "Mois", month, "date-month")}
        {part("annee", "Année", year, "date-year")}
    };
    view! {
        <fieldset class="field" class:field--error=move || invalid.get()>
            <legend>{legend}</legend>
            <p class="hint" id=hint_id>{hint}</p>
            <ErrorText key=error_key/>
            <div class="date-fields">{parts}</div>
        </fieldset>
    }
}

/// One result of a search the person can pick.
#[derive(Clone, Debug, PartialEq)]
struct Choice {
    value: String,
    label: String,
    detail: Option<String>,
    /// The site behind a result of the establishment search.
    site: Option<SiteChoice>,
}

/// A search field with its results as buttons; once a result is picked, it shows it with "Modifier".
#[component]
fn Picker(
    #[prop(into)] key: String,
    #[prop(into)] label: String,
    #[prop(into)] hint: String,
    query: RwSignal<String>,
    results: RwSignal<Vec<Choice>>,
    status: RwSignal<String>,
    /// The label of the choice in the draft, if any (plain functions over the draft, like [`Bind`]).
    chosen: fn(&Draft) -> Option<String>,
    pick: Callback<Choice>,
    clear: fn(&mut Draft),
    #[prop(into)] change_label: String,
) -> impl IntoView {
    let form = form();
    let id = field_id(&key);
    let key_error = key.clone();
    let invalid = Memo::new(move |_| form.error(&key_error).is_some());
    let (describe_id, status_id) = (id.clone(), format!("{id}-statut"));
    let (key_pick, key_blur) = (key.clone(), key.clone());
    let after_clear_id = id.clone();
    let draft = form.draft;
    let chosen_view = move || {
        draft.with(chosen).map(|label| {
            let after_clear_id = after_clear_id.clone();
            let chosen_id = format!("{after_clear_id}-choisi");
            let change_label = change_label.clone();
            view! {
                <p class="chosen" id=chosen_id>
                    <span class="chosen__label">{label}</span>
                    " "
                    <button type="button" class="link-button" on:click=move |_| {
                        draft.update(clear);
                        let id = after_clear_id.clone();
                        request_animation(move || browser::focus(&id));
                    }>{change_label.clone()}</button>
                </p>
            }
        })
    };
    let list = move || {
        results
            .get()
            .into_iter()
            .map(|choice| {
                let key_pick = key_pick.clone();
                let picked = choice.clone();
                view! {
                    <li>
                        // Pressing a result must not blur the search field first: the blur shows the field's error
                        // above the list, which moves the result away before the press ends and the tap is lost.
                        <button type="button" class="result" on:mousedown=|ev| ev.prevent_default() on:click=move |_| {
                            pick.run(picked.clone());
                            form.changed(&key_pick);
                            query.set(String::new());
                        }>
                            <span class="result__label">{choice.label}</span>
                            {choice.detail.map(|d| view! { <span class="result__detail">{d}</span> })}
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <div class="field" class:field--error=move || invalid.get()>
            {chosen_view}
            <Show when=move || draft.with(|d| chosen(d).is_none())>
                <label for=id.clone()>{label.clone()}</label>
                <p class="hint" id=format!("{}-aide", id.clone())>{hint.clone()}</p>
                <ErrorText key=key.clone()/>
                <input
                    id=id.clone()
                    type="search"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || aria_true(invalid.get())
                    aria-describedby={
                        let describe_id = describe_id.clone();
                        let status_id = status_id.clone();
                        move || {
                            let mut ids = described_by(&describe_id, true, invalid.get()).unwrap_or_default();
                            ids.push(' ');
                            ids.push_str(&status_id);
                            // An option, as every other field's: one attribute type less in the wasm.
                            Some(ids)
                        }
                    }
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                    on:blur={
                        let key_blur = key_blur.clone();
                        move |_| form.touch(&key_blur)
                    }
                />
                <p class="search-summary" id=status_id.clone() role="status">{move || status.get()}</p>
                <ul class="results">{list.clone()}</ul>
            </Show>
        </div>
    }
}

/// What a search answers, as results to pick.
type Found = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Choice>, ApiError>>>>;

/// Searches the API as the person types, after a short pause; answers that arrive late are dropped. Not generic:
/// the establishment, commune and country searches share its code (`search` is a plain function).
fn remote_search(
    query: RwSignal<String>,
    min_chars: usize,
    search: fn(String) -> Found,
) -> (RwSignal<Vec<Choice>>, RwSignal<String>) {
    let results = RwSignal::new(Vec::<Choice>::new());
    let status = RwSignal::new(String::new());
    Effect::new(move |_| {
        let typed = query.get();
        let trimmed = typed.trim().to_owned();
        if trimmed.chars().count() < min_chars {
            results.set(Vec::new());
            status.set(if trimmed.is_empty() {
                String::new()
            } else {
                format!("Saisissez au moins {min_chars} caractères.")
            });
            return;
        }
        set_timeout(
            move || {
                if query.get_untracked() != typed {
                    return;
                }
                status.set("Recherche…".to_owned());
                spawn_local(async move {
                    let answer = search(trimmed).await;
                    if query.get_untracked() != typed {
                        return;
                    }
                    match answer {
                        Ok(found) => {
                            status.set(match found.len() {
                                0 => "Aucun résultat.".to_owned(),
                                1 => "1 résultat.".to_owned(),
                                n => format!("{n} résultats."),
                            });
                            results.set(found);
                        }
                        Err(error) => {
                            results.set(Vec::new());
                            status.set(error.to_string());
                        }
                    }
                });
            },
            DEBOUNCE,
        );
    });
    (results, status)
}

/// A text member of the draft as its field shows it: `bind!(email)`.
macro_rules! bind {
    ($field:ident) => {
        Bind::new(|d, _| d.$field.clone(), |d, _, value| d.$field = value)
    };
}

/// How a field reads and writes its text in the draft, as plain function pointers: one type and one copy of the
/// field code for every field, instead of a derived signal and a callback (and their generic code) per field.
#[derive(Clone, Copy)]
pub struct Bind {
    read: fn(&Draft, usize) -> String,
    write: fn(&mut Draft, usize, String),
    /// Which prénom, for the prénom fields (0 elsewhere).
    index: usize,
}

impl Bind {
    pub(crate) fn new(
        read: fn(&Draft, usize) -> String,
        write: fn(&mut Draft, usize, String),
    ) -> Self {
        Self {
            read,
            write,
            index: 0,
        }
    }

    fn at(self, index: usize) -> Self {
        Self { index, ..self }
    }

    fn get(self, draft: RwSignal<Draft>) -> String {
        draft.with(|d| (self.read)(d, self.index))
    }

    fn set(self, draft: RwSignal<Draft>, value: String) {
        draft.update(|d| (self.write)(d, self.index, value));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The steps.

#[component]
fn StepSite() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let query = RwSignal::new(String::new());
    let (results, status) = remote_search(query, 2, |q| {
        Box::pin(async move {
            api::structures(&q).await.map(|found| {
                found
                    .iter()
                    .map(|hit| Choice {
                        value: hit.site.id.to_string(),
                        label: hit.site.nom.clone(),
                        detail: Some(
                            [
                                hit.site.commune.clone(),
                                hit.site.finess.as_ref().map(|f| format!("FINESS {f}")),
                                Some(hit.entite_juridique.nom.clone()),
                            ]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" · "),
                        ),
                        site: Some(site_choice(hit)),
                    })
                    .collect()
            })
        })
    });
    let chosen = |d: &Draft| {
        d.site.as_ref().map(|s| {
            let mut label = s.nom.clone();
            if let Some(commune) = &s.commune {
                label.push_str(&format!(", {commune}"));
            }
            label.push_str(&format!(" (FINESS {})", s.finess));
            label
        })
    };
    let pick = Callback::new(move |choice: Choice| {
        if let Some(site) = choice.site {
            draft.update(|d| {
                d.site = Some(site);
                d.site_from_link = false;
                d.notice_version.clear();
            });
        }
    });
    let clear = |d: &mut Draft| d.site = None;
    let has_rpps = Bind::new(
        |d, _| match d.has_rpps {
            Some(true) => "oui".to_owned(),
            Some(false) => "non".to_owned(),
            None => String::new(),
        },
        |d, _, v| d.has_rpps = Some(v == "oui"),
    );
    let embed_site = use_context::<RwSignal<EmbedSite>>();
    let site_choice_view = move || {
        match embed_site {
        // Embedded: the intranet page is the establishment's own; no other site may be chosen there.
        Some(site) => view! { <EmbedSiteView site/> }.into_any(),
        None => view! {
            <p>"Choisissez l'établissement ou le service où vous exercez. C'est son gestionnaire RPPS+ qui recevra votre demande."</p>
        {move || draft.with(|d| d.site_from_link).then(|| view! {
            <p class="notice">"Votre établissement a été choisi par le lien que vous avez reçu."</p>
        })}
        <Picker
            key="site_id"
            label="Votre établissement"
            hint="Son nom, sa commune ou son numéro FINESS (9 caractères), par exemple « Tilleuls » ou « Toulouse »."
            query
            results
            status
            chosen
            pick
            clear
            change_label="Changer d'établissement"
        />
        }.into_any(),
    }
    };
    view! {
        {site_choice_view}
        <RadioGroup
            key="has_rpps"
            legend="Avez-vous déjà un numéro RPPS ?"
            hint="Attribué par un Ordre, l'ARS ou un autre employeur. Si oui, votre demande ajoute une situation d'exercice à ce numéro au lieu d'en créer un nouveau."
            options=vec![
                ("non".to_owned(), "Non".to_owned(), None),
                ("oui".to_owned(), "Oui".to_owned(), None),
            ]
            field=has_rpps
        />
        <Show when=move || draft.with(|d| d.has_rpps == Some(true))>
            <TextField
                key="rpps_existant"
                label="Votre numéro RPPS"
                hint="11 chiffres, par exemple 10001234567. Il figure sur votre carte CPS ou e-CPS."
                field=bind!(rpps)
                inputmode="numeric"
                class="input--medium"
            />
        </Show>
    }
}

/// The site of the embedded form, fixed.
#[component]
fn EmbedSiteView(site: RwSignal<EmbedSite>) -> impl IntoView {
    move || {
        match site.get() {
        // The same box as once loaded: the frame's height does not change when the name arrives.
        EmbedSite::Loading => view! {
            <div class="embed-site">
                <p class="embed-site__label">"Votre établissement"</p>
                <p class="embed-site__name">"Chargement…"</p>
                <p class="hint">"Son gestionnaire RPPS+ recevra votre demande."</p>
            </div>
        }.into_any(),
        EmbedSite::Found(s) => {
            let mut label = s.nom.clone();
            if let Some(commune) = &s.commune {
                label.push_str(&format!(", {commune}"));
            }
            view! {
                <div class="embed-site" id=field_id("site_id")>
                    <p class="embed-site__label">"Votre établissement"</p>
                    <p class="embed-site__name">{label}" "<span class="embed-site__finess">{format!("(FINESS {})", s.finess)}</span></p>
                    <p class="hint">"Son gestionnaire RPPS+ recevra votre demande."</p>
                </div>
            }.into_any()
        }
        EmbedSite::Unknown => view! {
            <div class="error-summary" role="alert">
                <p>
                    "Ce formulaire n'est relié à aucun établissement connu d'Enrôle : le numéro FINESS de la page \
                     est absent ou inconnu. Signalez-le au service qui publie cette page."
                </p>
            </div>
        }.into_any(),
    }
    }
}

/// The notice of step 2 as loaded.
#[derive(Clone)]
enum NoticeState {
    Loading,
    Loaded(shared::api::Notice),
    /// The message of the [`ApiError`].
    Failed(String),
}

/// Step 2. The notice is loaded by a task into a signal rather than read from a `LocalResource` under
/// `<Transition>` and `<ErrorBoundary>`: that async machinery (async derived signals, suspense, error boundary,
/// their locks and event listeners), used by this step alone, weighed about 30 kB of the form's wasm. The screens
/// are the same: the loading line, then the notice, or the alert with "Réessayer" (kept while the retry runs).
#[component]
pub(crate) fn StepNotice() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let site_id = draft
        .with_untracked(|d| d.site.as_ref().map(|s| s.id))
        .unwrap_or_default();
    let notice = RwSignal::new(NoticeState::Loading);
    let load = move || {
        spawn_local(async move {
            let state = match api::notice(site_id).await {
                Ok(loaded) => NoticeState::Loaded(loaded),
                Err(error) => NoticeState::Failed(error.to_string()),
            };
            // The step may have been left meanwhile: its signal is gone, and so is the answer.
            _ = notice.try_set(state);
        });
    };
    load();
    let checked_key = "notice_version";
    let invalid = Memo::new(move |_| form.error(checked_key).is_some());
    move || {
        match notice.get() {
        NoticeState::Loading => {
            view! { <p class="loading">"Chargement de la notice…"</p> }.into_any()
        }
        NoticeState::Failed(message) => view! {
            <div class="alert" role="alert">
                <p><strong>"La notice d'information n'a pas pu être chargée."</strong></p>
                <p>{message}</p>
                <button type="button" class="button button--secondary" on:click=move |_| load()>"Réessayer"</button>
            </div>
        }
        .into_any(),
        NoticeState::Loaded(notice) => {
            let version = notice.version.clone();
            let sections = notice
                .sections
                .into_iter()
                .map(|s| view! {
                    <section class="notice-section">
                        <h2>{s.heading}</h2>
                        {s.paragraphs.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                    </section>
                })
                .collect_view();
            let checked_version = version.clone();
            view! {
                <div class="notice-text">
                    <p class="lead">{notice.title}</p>
                    {sections}
                    <p class="hint">"Version "{version.clone()}</p>
                </div>
                <div class="field checkbox" class:field--error=move || invalid.get()>
                    <ErrorText key=checked_key/>
                    <input
                        type="checkbox"
                        id="notice_version"
                        aria-invalid=move || aria_true(invalid.get())
                        aria-describedby=move || described_by("notice_version", false, invalid.get())
                        prop:checked=move || draft.with(|d| d.notice_version == checked_version)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let version = version.clone();
                            draft.update(|d| d.notice_version = if on { version } else { String::new() });
                            form.changed(checked_key);
                        }
                        on:blur=move |_| form.touch(checked_key)
                    />
                    <label for="notice_version">{say("J'ai lu la notice d'information sur mes données.", "J'ai remis cette notice d'information à la personne (article 13 du RGPD).")}</label>
                </div>
            }
            .into_any()
        }
    }
    }
}

fn ordinal(index: usize) -> String {
    const ORDINALS: [&str; 8] = [
        "Premier",
        "Deuxième",
        "Troisième",
        "Quatrième",
        "Cinquième",
        "Sixième",
        "Septième",
        "Huitième",
    ];
    ORDINALS
        .get(index)
        .map_or_else(|| format!("{}e", index + 1), |o| (*o).to_owned())
}

#[component]
pub(crate) fn StepEtatCivil() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let count = Memo::new(move |_| draft.with(|d| d.prenom_fields().len()));
    let prenoms = move || {
        (0..count.get())
            .map(|index| {
                let field = Bind::new(
                    |d, index| d.prenom_fields().get(index).cloned().unwrap_or_default(),
                    |d, index, v| {
                        let mut list = d.prenom_fields();
                        if let Some(slot) = list.get_mut(index) {
                            *slot = v;
                        }
                        d.prenoms = list;
                    },
                )
                .at(index);
                let label = format!("{} prénom", ordinal(index));
                let remove = (index > 0).then(|| {
                    // The ordinals begin with an ASCII capital (no Unicode case tables for this).
                    let mut ordinal = ordinal(index);
                    if let Some(first) = ordinal.get_mut(..1) {
                        first.make_ascii_lowercase();
                    }
                    let label = format!("Retirer le {ordinal} prénom");
                    view! {
                        <button type="button" class="link-button" on:click=move |_| {
                            draft.update(|d| {
                                let mut list = d.prenom_fields();
                                if index < list.len() {
                                    list.remove(index);
                                }
                                d.prenoms = list;
                            });
                            request_animation(|| browser::focus("ajouter-prenom"));
                        }>{label}</button>
                    }
                });
                view! {
                    <div class="prenom">
                        <TextField
                            key=format!("prenoms.{index}")
                            label
                            hint=(index == 0).then_some(say("Tous vos prénoms, dans l'ordre de votre pièce d'identité : un prénom par champ.", "Tous ses prénoms, dans l'ordre de sa pièce d'identité : un prénom par champ."))
                            field
                            autocomplete=if index == 0 { "given-name" } else { "additional-name" }
                        />
                        {remove}
                    </div>
                }
            })
            .collect_view()
    };
    let add = move |_| {
        draft.update(|d| {
            let mut list = d.prenom_fields();
            list.push(String::new());
            d.prenoms = list;
        });
        let last = draft
            .with_untracked(|d| d.prenom_fields().len())
            .saturating_sub(1);
        let id = field_id(&format!("prenoms.{last}"));
        request_animation(move || browser::focus(&id));
    };

    let country = Bind::new(
        |d, _| match d.birth_country {
            BirthCountry::France => "france".to_owned(),
            BirthCountry::Abroad => "etranger".to_owned(),
            BirthCountry::Unknown => String::new(),
        },
        |d, _, v| {
            d.birth_country = if v == "etranger" {
                BirthCountry::Abroad
            } else {
                BirthCountry::France
            }
        },
    );
    view! {
        <p>{say("Recopiez votre état civil tel qu'il figure sur votre pièce d'identité.", "Recopiez l'état civil de la personne tel qu'il figure sur sa pièce d'identité.")}</p>
        <RadioGroup
            key="civilite"
            legend="Civilité"
            options=shared::civilite::Civilite::ALL.iter().map(|c| (c.code().to_owned(), c.label().to_owned(), None)).collect()
            field=bind!(civilite)
        />
        <TextField key="nom_naissance" label="Nom de naissance" hint=say("Le nom inscrit sur votre acte de naissance, par exemple N'Diaye.", "Le nom inscrit sur son acte de naissance, par exemple N'Diaye.") field=bind!(nom_naissance) autocomplete="family-name"/>
        <fieldset class="field">
            <legend>"Prénoms"</legend>
            <ErrorText key="prenoms"/>
            {prenoms}
            <button type="button" id="ajouter-prenom" class="button button--secondary button--small" on:click=add>"Ajouter un prénom"</button>
        </fieldset>
        <DateField
            key="date_naissance"
            legend="Date de naissance"
            hint="Par exemple 23 4 1985."
            day=bind!(naissance_jour)
            month=bind!(naissance_mois)
            year=bind!(naissance_annee)
        />
        <RadioGroup
            key="lieu_naissance"
            legend="Lieu de naissance"
            options=vec![
                ("france".to_owned(), "En France (métropole ou outre-mer)".to_owned(), None),
                ("etranger".to_owned(), "À l'étranger".to_owned(), None),
            ]
            field=country
        />
        {move || match draft.with(|d| d.birth_country) {
            BirthCountry::France => view! { <BirthCommune/> }.into_any(),
            BirthCountry::Abroad => view! { <BirthAbroad/> }.into_any(),
            BirthCountry::Unknown => ().into_any(),
        }}
    }
}

#[component]
fn BirthCommune() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let query = RwSignal::new(String::new());
    let (results, status) = remote_search(query, 2, |q| {
        Box::pin(async move {
            api::communes(&q).await.map(|found| {
                found
                    .iter()
                    .map(|c| Choice {
                        value: c.code.clone(),
                        label: c.label(),
                        detail: None,
                        site: None,
                    })
                    .collect()
            })
        })
    });
    let chosen = |d: &Draft| d.commune.as_ref().map(|c| c.label.clone());
    let pick = Callback::new(move |choice: Choice| {
        draft.update(|d| {
            d.commune = Some(PlaceChoice {
                code: choice.value,
                label: choice.label,
            });
        });
        form.changed("lieu_naissance");
        form.changed("lieu_naissance.commune_cog");
    });
    let clear = |d: &mut Draft| d.commune = None;
    view! {
        <Show when=move || draft.with(|d| !d.commune_introuvable)>
            <Picker
                key="lieu_naissance.commune_cog"
                label="Commune de naissance"
                hint="Son nom ou son code postal, par exemple Montréjeau ou 31210. Les anciennes communes sont aussi proposées."
                query
                results
                status
                chosen
                pick
                clear
                change_label="Changer de commune"
            />
        </Show>
        <div class="field checkbox">
            <input
                type="checkbox"
                id="commune-introuvable"
                prop:checked=move || draft.with(|d| d.commune_introuvable)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    draft.update(|d| d.commune_introuvable = on);
                }
            />
            <label for="commune-introuvable">"Je ne trouve pas ma commune dans la liste"</label>
        </div>
        <Show when=move || draft.with(|d| d.commune_introuvable)>
            <p class="hint">"Votre gestionnaire vérifiera la commune saisie."</p>
            <TextField key="lieu_naissance.commune_libre.nom" label="Nom de la commune de naissance" hint="Tel qu'il figure sur votre pièce d'identité." field=bind!(commune_libre_nom)/>
            <TextField key="lieu_naissance.commune_libre.departement" label="Département de naissance" hint="2 chiffres (2A ou 2B pour la Corse), 3 chiffres outre-mer, par exemple 31 ou 971." field=bind!(commune_libre_departement) class="input--short"/>
        </Show>
    }
}

#[component]
fn BirthAbroad() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let query = RwSignal::new(String::new());
    let (results, status) = remote_search(query, 2, |q| {
        Box::pin(async move {
            api::pays(&q).await.map(|found| {
                found
                    .into_iter()
                    .map(|p| Choice {
                        value: p.code,
                        label: p.name,
                        detail: None,
                        site: None,
                    })
                    .collect()
            })
        })
    });
    let chosen = |d: &Draft| d.pays.as_ref().map(|p| p.label.clone());
    let pick = Callback::new(move |choice: Choice| {
        draft.update(|d| {
            d.pays = Some(PlaceChoice {
                code: choice.value,
                label: choice.label,
            })
        });
        form.changed("lieu_naissance");
        form.changed("lieu_naissance.pays_cog");
    });
    let clear = |d: &mut Draft| d.pays = None;
    view! {
        <Picker
            key="lieu_naissance.pays_cog"
            label="Pays de naissance"
            hint="Son nom en français, par exemple Maroc."
            query
            results
            status
            chosen
            pick
            clear
            change_label="Changer de pays"
        />
        <ErrorText key="lieu_naissance"/>
        <TextField key="lieu_naissance.ville_etrangere" label="Ville de naissance" hint="Telle qu'elle figure sur votre pièce d'identité, par exemple Rabat." field=bind!(ville_etrangere)/>
    }
}

#[component]
pub(crate) fn StepContact() -> impl IntoView {
    view! {
        <p>{say("Vos coordonnées ne sont pas publiées. Elles servent à vous tenir informé(e) et à activer votre e-CPS.", "Les coordonnées personnelles de la personne ne sont pas publiées. Elles servent à lui envoyer son numéro RPPS et à activer sa e-CPS.")}</p>
        <TextField key="email" label="Adresse email" hint=say("Par exemple prenom.nom@exemple.fr. Vous y recevrez un lien pour la confirmer, puis votre numéro RPPS.", "Par exemple prenom.nom@exemple.fr. La personne y recevra son numéro RPPS et le lien d'activation de sa e-CPS.") field=bind!(email) kind="email" autocomplete="email"/>
        <TextField key="email_confirmation" label="Confirmez l'adresse email" hint="Saisissez-la une deuxième fois, sans copier-coller." field=bind!(email_confirmation) kind="email" autocomplete="off"/>
        <TextField key="mobile" label="Téléphone mobile" hint=say("Par exemple 06 12 34 56 78, ou +262 692 12 34 56 outre-mer. Il recevra le SMS d'activation de votre e-CPS.", "Par exemple 06 12 34 56 78, ou +262 692 12 34 56 outre-mer. Il recevra le SMS d'activation de sa e-CPS.") field=bind!(mobile) kind="tel" autocomplete="tel"/>
    }
}

#[component]
pub(crate) fn StepSituation() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let query = RwSignal::new(String::new());
    // Searched here, as typed: signals of the same types as the remote searches', so that the picker has one copy.
    let (results, status) = (RwSignal::new(Vec::new()), RwSignal::new(String::new()));
    Effect::new(move |_| {
        let q = query.get();
        let found = crate::metiers::search(&q)
            .into_iter()
            .map(|m| Choice {
                value: m.code.to_owned(),
                label: m.label.to_owned(),
                detail: crate::metiers::other_names(m),
                site: None,
            })
            .collect::<Vec<_>>();
        status.set(if q.trim().is_empty() {
            String::new()
        } else {
            crate::metiers::summary(&q, found.len())
        });
        results.set(found);
    });
    let chosen = |d: &Draft| Metier::parse(&d.metier).ok().map(|m| m.label().to_owned());
    let pick = Callback::new(move |choice: Choice| draft.update(|d| d.metier = choice.value));
    let clear = |d: &mut Draft| d.metier.clear();
    view! {
        <Picker
            key="situation.metier"
            label=say("Votre métier", "Métier")
            hint="Son nom ou son abréviation usuelle, par exemple AMP, éducateur spécialisé, secrétaire médicale."
            query
            results
            status
            chosen
            pick
            clear
            change_label="Changer de métier"
        />
        <RadioGroup
            key="situation.role"
            legend=say("Votre rôle", "Rôle")
            hint=say("C'est le rôle, et non le métier, qui décide de vos accès au DMP : choisissez ce que vous faites au quotidien.", "C'est le rôle, et non le métier, qui décide des accès au DMP : choisissez ce que la personne fait au quotidien.")
            options=Role::ALL.iter().map(|r| (r.code().to_owned(), r.label().to_owned(), Some(r.description().to_owned()))).collect()
            field=bind!(role)
        />
        <RadioGroup
            key="situation.mode_exercice"
            legend="Mode d'exercice"
            options=ModeExercice::ALL.iter().map(|m| (m.code().to_owned(), m.label().to_owned(), Some(m.description().to_owned()))).collect()
            field=bind!(mode_exercice)
        />
        <DateField
            key="situation.date_prise_fonction"
            legend="Date de prise de fonction"
            hint="Le premier jour dans ce poste, par exemple 1 9 2024. Elle peut être à venir."
            day=bind!(prise_jour)
            month=bind!(prise_mois)
            year=bind!(prise_annee)
        />
        <TextField key="situation.nom_exercice" label="Nom d'exercice" hint=say("Le nom sous lequel vous exercez et qui sera publié dans l'Annuaire Santé, par exemple votre nom d'usage.", "Le nom sous lequel la personne exerce et qui sera publié dans l'Annuaire Santé, par exemple son nom d'usage.") field=bind!(nom_exercice) autocomplete="family-name"/>
        <TextField key="situation.prenom_exercice" label="Prénom d'exercice" hint="Le prénom publié dans l'Annuaire Santé." field=bind!(prenom_exercice) autocomplete="given-name"/>
    }
}

#[component]
pub(crate) fn StepDocument() -> impl IntoView {
    let form = form();
    let draft = form.draft;
    let upload_status = RwSignal::new(String::new());
    let uploading = RwSignal::new(false);
    let key = "document_id";
    let invalid = Memo::new(move |_| form.error(key).is_some());
    let on_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        let name = file.name();
        let kind = file.type_();
        form.changed(key);
        if !matches!(
            kind.as_str(),
            "application/pdf" | "image/jpeg" | "image/png"
        ) {
            form.server
                .update(|s| s.add(key, "Choisissez un fichier PDF, JPEG ou PNG."));
            return;
        }
        uploading.set(true);
        upload_status.set(format!("Préparation de « {name} »…"));
        spawn_local(async move {
            let prepared = browser::prepare_document(&file)
                .await
                .unwrap_or_else(|_| file.clone().into());
            upload_status.set(format!(
                "Envoi de « {name} » ({})…",
                logic::human_size(prepared.size() as u64)
            ));
            match api::upload_document(&prepared).await {
                Ok(uploaded) => {
                    draft.update(|d| {
                        d.document = Some(DocumentChoice {
                            id: uploaded.id,
                            file_name: name.clone(),
                            content_type: uploaded.content_type,
                            size: uploaded.size,
                        });
                    });
                    upload_status.set(format!("« {name} » est bien joint."));
                }
                Err(error) => {
                    let message = match &error {
                        ApiError::Server { status: 413, .. } => {
                            "Ce fichier dépasse 5 Mo : choisissez une photo ou un PDF plus léger."
                                .to_owned()
                        }
                        ApiError::Server { envelope, .. } => envelope
                            .error
                            .fields
                            .get("document")
                            .and_then(|m| m.first().cloned())
                            .unwrap_or_else(|| error.to_string()),
                        _ => error.to_string(),
                    };
                    upload_status.set(String::new());
                    form.server.update(|s| s.add(key, message));
                }
            }
            uploading.set(false);
        });
    };
    let current = move || {
        draft.with(|d| {
            d.document.as_ref().map(|doc| {
                format!(
                    "Document joint : {} ({})",
                    doc.file_name,
                    logic::human_size(doc.size)
                )
            })
        })
    };
    view! {
        <div class="field" class:field--error=move || invalid.get()>
            <label for="document_id">
                {move || if draft.with(|d| d.document.is_some()) { "Remplacer la pièce d'identité" } else { say("Copie de votre pièce d'identité", "Copie de la pièce d'identité de la personne") }.to_owned()}
            </label>
            <p class="hint" id="document_id-aide">
                "Carte d'identité, passeport ou titre de séjour : une photo (JPEG, PNG) ou un PDF, 5 Mo au plus. \
                 Les grandes photos sont réduites avant l'envoi. Le document est envoyé dès que vous le choisissez."
            </p>
            <ErrorText key=key/>
            <input
                type="file"
                id="document_id"
                accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
                aria-invalid=move || aria_true(invalid.get())
                aria-describedby=move || described_by("document_id", true, invalid.get())
                on:change=on_change
                on:blur=move |_| form.touch(key)
            />
            <p class="upload-status" role="status">
                {move || if uploading.get() { upload_status.get() } else { current().unwrap_or_else(|| upload_status.get()) }}
            </p>
        </div>
        <Review/>
    }
}

/// The summary of everything, with a way back to each section.
#[component]
fn Review() -> impl IntoView {
    let form = form();
    // Read in place: cloning the whole draft would add its clone code to the wasm.
    form.draft.with_untracked(|d| review_view(form, d))
}

fn review_view(form: Form, d: &Draft) -> impl IntoView + use<> {
    let section = move |step: u8, title: &'static str, rows: Vec<(&'static str, String)>| {
        let rows = rows
            .into_iter()
            .map(|(term, value)| {
                let value = if value.trim().is_empty() {
                    "Non renseigné".to_owned()
                } else {
                    value
                };
                view! { <div class="review__row"><dt>{term}</dt><dd>{value}</dd></div> }
            })
            .collect_view();
        view! {
            <section class="review" aria-labelledby=format!("recap-{step}")>
                <div class="review__head">
                    <h3 id=format!("recap-{step}")>{title}</h3>
                    <button type="button" class="link-button" on:click=move |_| form.go_to(step)>
                        "Modifier"<span class="visually-hidden">" : "{title}</span>
                    </button>
                </div>
                <dl>{rows}</dl>
            </section>
        }
    };
    let lieu = match d.birth_country {
        BirthCountry::France if d.commune_introuvable => {
            format!(
                "{} ({}), saisie libre",
                d.commune_libre_nom.trim(),
                d.commune_libre_departement.trim()
            )
        }
        BirthCountry::France => d
            .commune
            .as_ref()
            .map(|c| c.label.clone())
            .unwrap_or_default(),
        BirthCountry::Abroad => format!(
            "{}, {}",
            d.ville_etrangere.trim(),
            d.pays.as_ref().map(|p| p.label.clone()).unwrap_or_default()
        ),
        BirthCountry::Unknown => String::new(),
    };
    let date = |day: &str, month: &str, year: &str| {
        shared::date::CalendarDate::parse_iso(&logic::iso_date(day, month, year))
            .map(|date| date.to_french())
            .unwrap_or_default()
    };
    let label_of = |code: &str, all: &[(&str, &str)]| {
        all.iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| (*l).to_owned())
            .unwrap_or_default()
    };
    let roles: Vec<(&str, &str)> = Role::ALL.iter().map(|r| (r.code(), r.label())).collect();
    let modes: Vec<(&str, &str)> = ModeExercice::ALL
        .iter()
        .map(|m| (m.code(), m.label()))
        .collect();
    let civilites: Vec<(&str, &str)> = shared::civilite::Civilite::ALL
        .iter()
        .map(|c| (c.code(), c.label()))
        .collect();
    view! {
        <h2 class="review-title">{say("Vérifiez votre demande", "Vérifiez l'enregistrement")}</h2>
        {section(1, "Établissement", vec![
            ("Établissement", d.site.as_ref().map(|s| s.nom.clone()).unwrap_or_default()),
            ("Numéro RPPS", if d.has_rpps == Some(true) { d.rpps.clone() } else { say("Pas encore de numéro", "Attribué à l'enregistrement").to_owned() }),
        ])}
        {section(2, say("Information sur vos données", "Information de la personne"), vec![
            ("Notice", if d.notice_version.is_empty() { String::new() } else { format!("{} (version {})", say("Lue", "Remise"), d.notice_version) }),
        ])}
        {section(3, "État civil", vec![
            ("Civilité", label_of(&d.civilite, &civilites)),
            ("Nom de naissance", d.nom_naissance.clone()),
            ("Prénoms", d.prenoms.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(", ")),
            ("Date de naissance", date(&d.naissance_jour, &d.naissance_mois, &d.naissance_annee)),
            ("Lieu de naissance", lieu),
        ])}
        {section(4, "Coordonnées", vec![
            ("Email", d.email.clone()),
            ("Téléphone mobile", d.mobile.clone()),
        ])}
        {section(5, "Situation d'exercice", vec![
            ("Métier", Metier::parse(&d.metier).map(|m| m.label().to_owned()).unwrap_or_default()),
            ("Rôle", label_of(&d.role, &roles)),
            ("Mode d'exercice", label_of(&d.mode_exercice, &modes)),
            ("Prise de fonction", date(&d.prise_jour, &d.prise_mois, &d.prise_annee)),
            ("Nom et prénom d'exercice", format!("{} {}", d.prenom_exercice.trim(), d.nom_exercice.trim())),
        ])}
    }
}

#[component]
fn Confirmation(
    created: PreRegistrationCreated,
    sent: RwSignal<Option<PreRegistrationCreated>>,
    draft: RwSignal<Draft>,
) -> impl IntoView {
    let again = move |_| {
        browser::remove(SENT_KEY);
        sent.set(None);
        draft.set(Draft::default());
    };
    view! {
        <div class="narrow">
            <h1 id=HEADING_ID tabindex="-1">"Demande envoyée"</h1>
            <div class="success">
                <p class="lead">"Votre demande de pré-inscription est bien enregistrée."</p>
                <p>"Sa référence : "<strong class="reference">{created.reference}</strong></p>
            </div>
            <section class="section" aria-labelledby="la-suite">
                <h2 id="la-suite">"Et maintenant ?"</h2>
                <ol class="steps">
                    <li>
                        <strong>"Confirmez votre adresse email"</strong>
                        " : vous venez de recevoir un email avec un lien de confirmation et le lien de suivi de \
                         votre demande."
                    </li>
                    <li>
                        <strong>"Votre gestionnaire RPPS+ vérifie"</strong>
                        " votre identité et votre situation, puis valide votre demande. Il peut vous demander un \
                         complément."
                    </li>
                    <li>
                        <strong>"Vous recevez votre numéro RPPS par email"</strong>
                        ", puis un SMS pour activer votre e-CPS."
                    </li>
                </ol>
                {if use_context::<Embedded>().is_some() {
                    // A link would open the status page inside the intranet's frame, which it refuses.
                    view! { <p>"Le lien pour suivre votre demande est dans l'email que vous venez de recevoir."</p> }.into_any()
                } else {
                    view! { <p><a href=created.status_url>"Suivre ma demande"</a></p> }.into_any()
                }}
                <p>
                    <button type="button" class="link-button" on:click=again>"Faire une autre demande"</button>
                </p>
            </section>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Space;

    /// The served page of the form (the intro's only copy), as xtask turns it into `dist/preinscription.html`.
    const PAGE: &str = include_str!("../../preinscription.html");

    fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
        let from = text.find(start).map_or(text.len(), |i| i + start.len());
        let rest = &text[from..];
        &rest[..rest.find(end).unwrap_or(rest.len())]
    }

    #[test]
    fn the_served_intro_has_what_the_app_wires() {
        let intro = between(PAGE, &format!("<div id=\"{INTRO_ID}\">"), "</main>");
        assert!(!intro.is_empty(), "no #{INTRO_ID} in the page");
        // `Form::go_to(0)` focuses the heading of the step shown, the intro's too.
        assert!(intro.contains(&format!("<h1 id=\"{HEADING_ID}\" tabindex=\"-1\">")));
        let button = between(intro, &format!("id=\"{START_ID}\""), "</button>");
        assert!(
            button.starts_with(" disabled>"),
            "the start button waits for the app"
        );
        for label in [START_NEW, START_RESUME] {
            assert!(
                button.contains(&format!("class=\"{}\"", &label[1..])),
                "{label}"
            );
        }
        let steps = between(intro, "<ol class=\"steps\">", "</ol>");
        assert_eq!(steps.matches("<li>").count(), usize::from(LAST_STEP));
    }

    #[test]
    fn the_served_page_has_the_title_and_navigation_the_app_gives_it() {
        let heading = between(
            PAGE,
            &format!("<h1 id=\"{HEADING_ID}\" tabindex=\"-1\">"),
            "</h1>",
        );
        assert_eq!(
            between(PAGE, "<title>", "</title>"),
            crate::page_title(heading)
        );
        // As `PageShell` renders it: the header must not change height when the app replaces it.
        let nav = Space::Preinscription
            .nav()
            .into_iter()
            .map(|item| {
                let rel = if item.external {
                    " rel=\"external\""
                } else {
                    ""
                };
                let current = if item.href == crate::routes::PREINSCRIPTION {
                    " aria-current=\"page\""
                } else {
                    ""
                };
                format!(
                    "<li><a href=\"{}\"{rel}{current}>{}</a></li>",
                    item.href, item.label
                )
            })
            .collect::<String>();
        assert_eq!(
            between(
                PAGE,
                "<nav class=\"site-nav\" aria-label=\"Navigation principale\">\n        <ul>",
                "</ul>"
            ),
            nav
        );
    }
}
