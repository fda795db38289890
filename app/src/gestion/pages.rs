//! The pages of the gestionnaire space: thin components over [`super`]'s logic and `crate::api`.

use std::time::Duration;

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use shared::api::{
    DecisionResult, DemandeDetail, Me, PreRegistrationStatusCode, QueueRow, SetPasswordRequest,
    SignInRequest, StatusCounts,
};
use shared::nomenclature::{Metier, Role};
use wasm_bindgen::JsCast;

use super::{
    AGE_CHOICES, CONNEXION, CORRECTABLE_FIELDS, DEMANDES, FieldError, PASSWORD_POLICY, QueueFilter,
    REJECT_REASONS, RowMove, Tab,
};
use crate::api::{self, ApiError};
use crate::browser;

/// Remembers (in session storage) that this tab signed in, so that signed-out visitors are not sent to the API
/// (whose 401 would only fill the console).
const SIGNED_IN_KEY: &str = "enrole.gestion.connecte";

/// What the app knows of the session.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    Unknown,
    SignedOut,
    SignedIn(Box<Me>),
}

/// The session, provided by the entry point to every page.
#[derive(Clone, Copy)]
pub struct Session(pub RwSignal<SessionState>);

impl Session {
    fn signed_in(self, me: Me) {
        browser::save(SIGNED_IN_KEY, "1");
        self.0.set(SessionState::SignedIn(Box::new(me)));
    }

    fn signed_out(self) {
        browser::remove(SIGNED_IN_KEY);
        self.0.set(SessionState::SignedOut);
    }

    pub(crate) fn me(self) -> Option<Me> {
        match self.0.get() {
            SessionState::SignedIn(me) => Some(*me),
            _ => None,
        }
    }

    pub(crate) fn me_untracked(self) -> Option<Me> {
        match self.0.get_untracked() {
            SessionState::SignedIn(me) => Some(*me),
            _ => None,
        }
    }
}

/// Provides the [`Session`], asking the server who is signed in when this tab signed in before.
pub fn provide_session() {
    let session = Session(RwSignal::new(SessionState::Unknown));
    provide_context(session);
    if browser::load(SIGNED_IN_KEY).is_some() {
        spawn_local(async move {
            match api::gestion_me().await {
                Ok(me) => session.signed_in(me),
                Err(_) => session.signed_out(),
            }
        });
    } else {
        session.0.set(SessionState::SignedOut);
    }
}

pub(crate) fn session() -> Session {
    expect_context::<Session>()
}

/// Runs `f` once the view has been updated.
pub(crate) fn after_render(f: impl FnOnce() + 'static) {
    set_timeout(f, Duration::from_millis(0));
}

/// Signals that the session is over (401 from the API): [`RequireSession`] then leads to the sign-in page.
pub(crate) fn expired(session: Session) {
    session.signed_out();
}

/// The session bar at the top of every gestionnaire page: who is signed in, and the sign-out button.
#[component]
pub fn SessionBar() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            _ = api::gestion_sign_out().await;
            session.signed_out();
            navigate(
                &format!("{CONNEXION}?deconnecte=1"),
                NavigateOptions::default(),
            );
        });
    };
    move || {
        session.me().map(|me| {
            let sign_out = sign_out.clone();
            view! {
                <div class="session-bar">
                    <p>"Connecté : " <strong>{me.gestionnaire.nom.clone()}</strong></p>
                    <A href=DEMANDES>"Demandes"</A>
                    <A href=super::integration::INTEGRATION>"Intégration"</A>
                    <A href=super::annuaire::PROFESSIONNELS>"Professionnels"</A>
                    <A href=super::annuaire::ENREGISTRER>"Enregistrer une personne"</A>
                    <button type="button" class="button button--secondary button--small" on:click=sign_out>
                        "Se déconnecter"
                    </button>
                </div>
            }
        })
    }
}

/// Renders `children` only for a signed-in gestionnaire; sends anyone else to the sign-in page.
#[component]
pub fn RequireSession(children: ChildrenFn) -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.0.get() == SessionState::SignedOut {
            navigate(CONNEXION, NavigateOptions::default());
        }
    });
    move || match session.0.get() {
        SessionState::SignedIn(_) => children().into_any(),
        SessionState::Unknown => view! { <p class="loading">"Chargement…"</p> }.into_any(),
        SessionState::SignedOut => view! { <p class="loading">"Connexion requise…"</p> }.into_any(),
    }
}

/// The error summary of a form: linked to its fields, focused when shown.
#[component]
fn ErrorSummary(errors: RwSignal<Vec<FieldError>>) -> impl IntoView {
    move || {
        let list = errors.get();
        (!list.is_empty()).then(|| {
            let items = list
                .into_iter()
                .map(|e| {
                    let target = e.field.to_owned();
                    view! {
                        <li>
                            <a href=format!("#{}", e.field) on:click=move |ev| {
                                ev.prevent_default();
                                browser::focus(&target);
                            }>{e.message}</a>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <div class="error-summary" id="erreurs" tabindex="-1" aria-labelledby="erreurs-titre">
                    <h2 id="erreurs-titre">"Il y a un problème"</h2>
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}

fn error_of(errors: RwSignal<Vec<FieldError>>, field: &'static str) -> Option<String> {
    errors.with(|list| {
        list.iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    })
}

/// A labelled input whose error shows above it.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let invalid = move || error_of(errors, id).is_some();
    let described = move || {
        let mut ids = Vec::new();
        if hint.is_some() {
            ids.push(format!("{id}-aide"));
        }
        if invalid() {
            ids.push(format!("{id}-erreur"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    view! {
        <div class="field" class:field--error=invalid>
            <label for=id>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=format!("{id}-aide")>{hint}</p> })}
            {move || error_of(errors, id).map(|message| view! {
                <p class="field-error" id=format!("{id}-erreur")>
                    <span class="visually-hidden">"Erreur : "</span>{message}
                </p>
            })}
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                spellcheck="false"
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

/// Field errors from the server's envelope, for the fields of this form.
fn server_field_errors(error: &ApiError, fields: &[&'static str]) -> Vec<FieldError> {
    let ApiError::Server { envelope, .. } = error else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|field| {
            envelope
                .error
                .fields
                .get(field)
                .and_then(|messages| messages.first())
                .map(|message| FieldError {
                    field,
                    message: message.clone(),
                })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Landing, sign-in, password.

/// `/gestion`: what the space holds, and the way in.
#[component]
pub fn GestionAccueil() -> impl IntoView {
    crate::set_title("Espace gestionnaire");
    let session = session();
    view! {
        <div class="hero">
            <h1>"Espace gestionnaire"</h1>
            <p class="lead">
                "L'espace des gestionnaires RPPS+ : les personnes que leur établissement a habilitées à \
                 enregistrer ses professionnels à rôle."
            </p>
        </div>
        {move || match session.0.get() {
            SessionState::SignedIn(me) => view! {
                <p class="notice">
                    "Bonjour " {me.gestionnaire.nom.clone()} ". "
                    <A href=DEMANDES>"Voir les demandes à traiter"</A>
                </p>
            }.into_any(),
            _ => view! {
                <p class="notice">
                    "Vous êtes gestionnaire ? "
                    <A href=CONNEXION>"Se connecter"</A>
                    ". Vous êtes un professionnel ? "
                    <a href=crate::routes::HOME rel="external">"Retour à l'accueil"</a>
                </p>
            }.into_any(),
        }}
        <section class="section" aria-labelledby="gestion-contenu">
            <h2 id="gestion-contenu">"Ce que vous ferez ici"</h2>
            <ul class="feature-list">
                <li><strong>"Instruire les pré-inscriptions"</strong>
                    " : vérifier l'identité et la situation d'exercice, puis valider, refuser ou renvoyer la demande."</li>
                <li><strong>"Éviter les doublons"</strong>
                    " : avant tout enregistrement, vérifier que la personne n'a pas déjà un numéro RPPS."</li>
            </ul>
        </section>
        <section class="section" aria-labelledby="gestion-acces">
            <h2 id="gestion-acces">"Qui peut y accéder ?"</h2>
            <p>
                "Les gestionnaires désignés par le représentant légal de leur établissement. Votre accès vous \
                 est envoyé par email : un lien à usage unique pour choisir votre mot de passe."
            </p>
        </section>
    }
}

/// `/gestion/connexion`.
#[component]
pub fn Connexion() -> impl IntoView {
    crate::set_title("Connexion");
    let session = session();
    let query = use_query_map();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let alert = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    // Already signed in: straight to the queue.
    let to_queue = navigate.clone();
    Effect::new(move |_| {
        if matches!(session.0.get(), SessionState::SignedIn(_)) && !busy.get_untracked() {
            to_queue(DEMANDES, NavigateOptions::default());
        }
    });

    let info = move || {
        query.with(|q| {
            if q.get("mot-de-passe").is_some() {
                Some("Votre mot de passe est enregistré. Connectez-vous avec votre adresse email.")
            } else if q.get("deconnecte").is_some() {
                Some("Vous êtes déconnecté.")
            } else {
                None
            }
        })
    };

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        alert.set(None);
        let (mail, secret) = (email.get_untracked(), password.get_untracked());
        let found = super::check_sign_in(&mail, &secret);
        if !found.is_empty() {
            errors.set(found);
            after_render(|| browser::focus("erreurs"));
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let answer = api::gestion_sign_in(&SignInRequest {
                email: mail.trim().to_owned(),
                password: secret,
            })
            .await;
            // The page was left while waiting.
            if busy.is_disposed() {
                return;
            }
            match answer.result {
                Ok(me) => {
                    session.signed_in(me);
                    navigate(DEMANDES, NavigateOptions::default());
                    return;
                }
                Err(ApiError::Server { status: 429, .. }) => {
                    alert.set(Some(super::lockout_message(answer.retry_after)));
                }
                Err(error @ ApiError::Server { status: 422, .. }) => {
                    let found = server_field_errors(&error, &["email", "password"]);
                    if found.is_empty() {
                        alert.set(Some(error.to_string()));
                    } else {
                        errors.set(found);
                    }
                }
                Err(error) => alert.set(Some(error.to_string())),
            }
            busy.set(false);
            after_render(move || {
                if alert.try_get_untracked().flatten().is_some() {
                    browser::focus("connexion-alerte");
                } else {
                    browser::focus("erreurs");
                }
            });
        });
    };

    view! {
        <div class="narrow">
            <h1>"Connexion à l'espace gestionnaire"</h1>
            {move || info().map(|text| view! { <p class="success" role="status">{text}</p> })}
            {move || alert.get().map(|text| view! {
                <div class="alert" id="connexion-alerte" tabindex="-1" role="alert"><p>{text}</p></div>
            })}
            <ErrorSummary errors/>
            <form novalidate on:submit=submit>
                <Field id="email" label="Adresse email" kind="email" value=email errors autocomplete="username"/>
                <Field id="password" label="Mot de passe" kind="password" value=password errors
                    autocomplete="current-password"/>
                <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                    {move || if busy.get() { "Connexion…" } else { "Se connecter" }}
                </button>
            </form>
            <p class="hint">
                "Mot de passe oublié ou lien expiré ? Demandez un nouveau lien à l'administrateur de votre établissement."
            </p>
        </div>
    }
}

/// `/gestion/mot-de-passe/:token`: the password chosen from the one-time link.
#[component]
pub fn MotDePasse() -> impl IntoView {
    crate::set_title("Choisir votre mot de passe");
    let params = use_params_map();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let alert = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        alert.set(None);
        let (secret, again) = (password.get_untracked(), confirmation.get_untracked());
        let found = super::check_new_password(&secret, &again);
        if !found.is_empty() {
            errors.set(found);
            after_render(|| browser::focus("erreurs"));
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = api::gestion_set_password(&SetPasswordRequest {
                token,
                password: secret,
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match result {
                Ok(()) => {
                    navigate(
                        &format!("{CONNEXION}?mot-de-passe=choisi"),
                        NavigateOptions::default(),
                    );
                    return;
                }
                Err(error @ ApiError::Server { status: 422, .. }) => {
                    let found = server_field_errors(&error, &["password"]);
                    if found.is_empty() {
                        alert.set(Some(error.to_string()));
                    } else {
                        errors.set(found);
                    }
                }
                Err(error @ ApiError::Server { status: 409, .. }) => alert.set(Some(format!(
                    "{error} Demandez un nouveau lien à l'administrateur de votre établissement."
                ))),
                Err(error) => alert.set(Some(error.to_string())),
            }
            after_render(move || {
                if alert.try_get_untracked().flatten().is_some() {
                    browser::focus("mdp-alerte");
                } else {
                    browser::focus("erreurs");
                }
            });
        });
    };

    view! {
        <div class="narrow">
            <h1>"Choisir votre mot de passe"</h1>
            <p>"Ce lien ne sert qu'une fois. Votre mot de passe protège les données des professionnels : choisissez-le long."</p>
            {move || alert.get().map(|text| view! {
                <div class="alert" id="mdp-alerte" tabindex="-1" role="alert">
                    <p>{text}</p>
                    <p><A href=CONNEXION>"Aller à la connexion"</A></p>
                </div>
            })}
            <ErrorSummary errors/>
            <form novalidate on:submit=submit>
                <Field id="password" label="Nouveau mot de passe" kind="password" value=password errors
                    autocomplete="new-password" hint=PASSWORD_POLICY/>
                <Field id="confirmation" label="Confirmez le mot de passe" kind="password" value=confirmation
                    errors autocomplete="new-password"/>
                <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                    "Enregistrer le mot de passe"
                </button>
            </form>
        </div>
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The queue.

/// `/gestion/demandes`.
#[component]
pub fn Demandes() -> impl IntoView {
    view! { <RequireSession><Queue/></RequireSession> }
}

#[component]
fn Queue() -> impl IntoView {
    crate::set_title("Demandes");
    let session = session();
    let sites = session
        .me_untracked()
        .map(|me| me.sites)
        .unwrap_or_default();
    let filter = RwSignal::new(QueueFilter::default());
    let rows = RwSignal::new(Vec::<QueueRow>::new());
    let cursor = RwSignal::new(None::<String>);
    let counts = RwSignal::new(StatusCounts::default());
    let loading = RwSignal::new(true);
    let failure = RwSignal::new(None::<String>);
    let focused = RwSignal::new(None::<usize>);
    // Answers to an older filter are dropped.
    let generation = StoredValue::new(0_u32);

    let load = move |more: bool| {
        let current = filter.get_untracked();
        let after = if more { cursor.get_untracked() } else { None };
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        loading.set(true);
        spawn_local(async move {
            let answer = api::gestion_queue(&current.query(after.as_deref())).await;
            if rows.is_disposed() || generation.get_value() != mine {
                return;
            }
            loading.set(false);
            match answer {
                Ok(page) => {
                    failure.set(None);
                    counts.set(page.counts);
                    cursor.set(page.next_cursor);
                    let first_new = rows.with_untracked(Vec::len);
                    if more {
                        let added = !page.demandes.is_empty();
                        rows.update(|r| r.extend(page.demandes));
                        if added {
                            after_render(move || browser::focus(&super::row_link_id(first_new)));
                        }
                    } else {
                        rows.set(page.demandes);
                        focused.set(None);
                    }
                }
                Err(ApiError::Server { status: 401, .. }) => expired(session),
                Err(error) => failure.set(Some(error.to_string())),
            }
        });
    };
    Effect::new(move |_| {
        filter.track();
        load(false);
    });

    // j / k (anywhere but a form field) and ↓ / ↑ (on a row) move the focus through the rows.
    let handle = window_event_listener(leptos::ev::keydown, move |ev: KeyboardEvent| {
        if ev.ctrl_key() || ev.alt_key() || ev.meta_key() {
            return;
        }
        let in_field = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if in_field {
            return;
        }
        let key = ev.key();
        let Some(movement) = RowMove::of_key(&key) else {
            return;
        };
        let current = focused.get_untracked();
        if key.starts_with("Arrow") && current.is_none() {
            return;
        }
        let len = rows.with_untracked(Vec::len);
        if let Some(target) = movement.target(current, len) {
            ev.prevent_default();
            browser::focus(&super::row_link_id(target));
        }
    });
    on_cleanup(move || handle.remove());

    let tabs = Tab::ALL
        .into_iter()
        .map(|tab| {
            view! {
                <li>
                    <button
                        type="button"
                        class="queue-tab"
                        aria-pressed=move || if filter.with(|f| f.tab == tab) { "true" } else { "false" }
                        on:click=move |_| filter.update(|f| f.tab = tab)
                    >
                        {tab.label()} " " <span class="queue-tab__count">"(" {move || counts.with(|c| tab.count(c))} ")"</span>
                    </button>
                </li>
            }
        })
        .collect_view();

    let site_options = sites
        .iter()
        .map(|s| view! { <option value=s.id.to_string()>{s.nom.clone()}</option> })
        .collect_view();
    let role_options = Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.code()>{r.label()}</option> })
        .collect_view();
    let metier_options = Metier::all()
        .map(|m| view! { <option value=m.code()>{m.label()}</option> })
        .collect_view();
    let age_options = AGE_CHOICES
        .into_iter()
        .map(|(days, label)| view! { <option value=days.to_string()>{label}</option> })
        .collect_view();
    let show_sites = sites.len() > 1;

    view! {
        <h1 id="titre-demandes" tabindex="-1">"Demandes de pré-inscription"</h1>
        <p class="hint">
            "Astuce clavier : " <kbd>"j"</kbd> " et " <kbd>"k"</kbd>
            " (ou les flèches) passent d'une demande à l'autre, Entrée l'ouvre."
        </p>
        <nav aria-label="Statut des demandes">
            <ul class="queue-tabs">{tabs}</ul>
        </nav>
        <fieldset class="queue-filters">
            <legend>"Filtrer"</legend>
            {show_sites.then(|| view! {
                <div class="field">
                    <label for="filtre-site">"Établissement"</label>
                    <select id="filtre-site" on:change=move |ev| {
                        let value = event_target_value(&ev);
                        filter.update(|f| f.site_id = value.parse().ok());
                    }>
                        <option value="">"Tous mes établissements"</option>
                        {site_options}
                    </select>
                </div>
            })}
            <div class="field">
                <label for="filtre-role">"Rôle"</label>
                <select id="filtre-role" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    filter.update(|f| f.role = value);
                }>
                    <option value="">"Tous les rôles"</option>
                    {role_options}
                </select>
            </div>
            <div class="field">
                <label for="filtre-metier">"Métier"</label>
                <select id="filtre-metier" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    filter.update(|f| f.metier = value);
                }>
                    <option value="">"Tous les métiers"</option>
                    {metier_options}
                </select>
            </div>
            <div class="field">
                <label for="filtre-age">"Ancienneté"</label>
                <select id="filtre-age" on:change=move |ev| {
                    let value = event_target_value(&ev);
                    filter.update(|f| f.older_than_days = value.parse().ok());
                }>
                    <option value="">"Toutes"</option>
                    {age_options}
                </select>
            </div>
        </fieldset>
        <p class="visually-hidden" role="status">
            {move || if loading.get() { "Chargement des demandes…".to_owned() }
                else { format!("{} demande(s) affichée(s).", rows.with(Vec::len)) }}
        </p>
        {move || failure.get().map(|text| view! {
            <div class="alert" role="alert">
                <p>{text}</p>
                <button type="button" class="button button--secondary" on:click=move |_| load(false)>"Réessayer"</button>
            </div>
        })}
        {move || (!loading.get() && rows.with(Vec::is_empty) && failure.with(Option::is_none)).then(|| view! {
            <p class="notice">"Aucune demande ne correspond à ces critères."</p>
        })}
        <div class="table-scroll" role="region" aria-labelledby="titre-demandes" tabindex="0">
            <table class="queue">
                <thead>
                    <tr>
                        <th scope="col">"Référence"</th>
                        <th scope="col">"Nom"</th>
                        <th scope="col">"Établissement"</th>
                        <th scope="col">"Métier"</th>
                        <th scope="col">"Rôle"</th>
                        <th scope="col">"Âge"</th>
                        <th scope="col">"Signalements"</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get().into_iter().enumerate()
                        key=|(_, row)| row.id
                        children=move |(index, row)| view! { <QueueLine index row focused/> }
                    />
                </tbody>
            </table>
        </div>
        {move || cursor.get().map(|_| view! {
            <button type="button" class="button button--secondary" on:click=move |_| load(true)
                aria-disabled=move || loading.get().then_some("true")>
                "Charger plus"
            </button>
        })}
    }
}

#[component]
fn QueueLine(index: usize, row: QueueRow, focused: RwSignal<Option<usize>>) -> impl IntoView {
    let badges = super::badges(&row.flags)
        .into_iter()
        .map(|b| view! { <span class="badge">{b}</span> })
        .collect_view();
    let names = format!(
        "{} {} (naissance : {} {})",
        row.prenom_exercice,
        row.nom_exercice,
        row.nom_naissance,
        row.prenoms.join(" ")
    );
    view! {
        <tr>
            <th scope="row">
                <a href=super::demande_href(row.id) id=super::row_link_id(index)
                    on:focus=move |_| focused.set(Some(index))
                    on:blur=move |_| focused.set(None)>
                    {row.reference.clone()}
                </a>
            </th>
            <td>{names}</td>
            <td>{row.site_nom.clone()}</td>
            <td>{row.metier_label.clone()}</td>
            <td>{row.role_label.clone()}</td>
            <td>{super::age_label(row.age_days)}</td>
            <td>{badges}</td>
        </tr>
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One request.

/// `/gestion/demandes/:id`.
#[component]
pub fn DemandePage() -> impl IntoView {
    view! { <RequireSession><DemandeView/></RequireSession> }
}

#[component]
fn DemandeView() -> impl IntoView {
    crate::set_title("Demande");
    let session = session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let detail = RwSignal::new(None::<DemandeDetail>);
    let failure = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(id) = id() else {
            failure.set(Some("Cette adresse ne désigne aucune demande.".to_owned()));
            return;
        };
        detail.set(None);
        failure.set(None);
        spawn_local(async move {
            let answer = api::gestion_demande(id).await;
            if detail.is_disposed() {
                return;
            }
            match answer {
                Ok(found) => {
                    crate::set_title(&format!("Demande {}", found.reference));
                    detail.set(Some(found));
                }
                Err(ApiError::Server { status: 401, .. }) => expired(session),
                Err(error) => failure.set(Some(error.to_string())),
            }
        });
    });
    view! {
        <p><A href=DEMANDES>"← Retour aux demandes"</A></p>
        {move || failure.get().map(|text| view! {
            <h1>"Demande"</h1>
            <div class="alert" role="alert"><p>{text}</p></div>
        })}
        {move || match detail.get() {
            Some(found) => view! { <DemandeContent detail=found/> }.into_any(),
            None if failure.with(Option::is_none) => view! { <p class="loading">"Chargement…"</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}

fn row(label: &'static str, value: String) -> impl IntoView {
    view! { <div class="review__row"><dt>{label}</dt><dd>{value}</dd></div> }
}

fn birth_place(d: &DemandeDetail) -> String {
    if let Some(libre) = &d.commune_libre {
        return format!("{} ({}) — saisie à la main", libre.nom, libre.departement);
    }
    let place = &d.lieu_naissance;
    match (&place.commune_cog, &place.pays_cog, &place.ville_etrangere) {
        (Some(commune), _, _) => format!("Commune INSEE {commune}"),
        (None, Some(pays), ville) => {
            format!("{} (pays INSEE {pays})", ville.clone().unwrap_or_default())
        }
        _ => "Non renseigné".to_owned(),
    }
}

#[component]
fn DemandeContent(detail: DemandeDetail) -> impl IntoView {
    let d = detail;
    let attach = RwSignal::new(None::<String>);
    let badges = super::badges(&d.flags)
        .into_iter()
        .map(|b| view! { <span class="badge">{b}</span> })
        .collect_view();
    let document = match &d.document_url {
        Some(url) if super::is_image(&d.document_content_type) => view! {
            <img class="document-image" src=url.clone() alt="Pièce d'identité transmise par le professionnel"/>
        }
        .into_any(),
        Some(url) => view! {
            // No `sandbox` attribute: Chromium refuses to run its PDF viewer in a sandboxed frame. The document
            // response sandboxes itself (`Content-Security-Policy: sandbox`), which the viewer accepts.
            <iframe class="document-frame" src=url.clone() title="Pièce d'identité transmise (PDF)"></iframe>
            <p><a href=url.clone() rel="external" target="_blank">"Ouvrir la pièce dans un nouvel onglet"</a></p>
        }
        .into_any(),
        None => view! { <p>"La pièce d'identité n'est plus conservée."</p> }.into_any(),
    };
    let identities = d
        .duplicate_identities
        .iter()
        .map(|c| {
            let rpps = c.rpps.clone();
            let (pressed_rpps, toggle_rpps) = (rpps.clone(), rpps.clone());
            view! {
                <li class="duplicate">
                    <p>
                        <strong>{format!("RPPS {}", c.rpps)}</strong>
                        {format!(" — {} {} (naissance : {} {}, né(e) le {}). Concordance : {}.",
                            c.prenom_exercice, c.nom_exercice, c.nom_naissance, c.prenoms.join(" "),
                            c.date_naissance, c.matches.join(", "))}
                    </p>
                    <button type="button" class="button button--secondary button--small"
                        aria-pressed=move || if attach.with(|a| a.as_deref() == Some(pressed_rpps.as_str())) { "true" } else { "false" }
                        on:click=move |_| attach.update(|a| {
                            *a = if a.as_deref() == Some(toggle_rpps.as_str()) { None } else { Some(toggle_rpps.clone()) };
                        })>
                        {format!("Rattacher à ce numéro RPPS ({rpps})")}
                    </button>
                </li>
            }
        })
        .collect_view();
    let requests = d
        .duplicate_requests
        .iter()
        .map(|r| {
            let what = format!(
                "{} — {} ({}). Concordance : {}.",
                r.reference
                    .clone()
                    .unwrap_or_else(|| "Demande d'un autre établissement".to_owned()),
                r.site_nom,
                r.status.label(),
                r.matches.join(", ")
            );
            match r.id {
                Some(id) => {
                    view! { <li><A href=super::demande_href(id)>{what}</A></li> }.into_any()
                }
                None => view! { <li>{what}</li> }.into_any(),
            }
        })
        .collect_view();
    let no_duplicates = d.duplicate_identities.is_empty() && d.duplicate_requests.is_empty();
    let corrections = d
        .corrections
        .iter()
        .map(|c| view! { <li>{format!("{} : {}", c.field, c.message)}</li> })
        .collect_view();
    let has_corrections = !d.corrections.is_empty();
    let s = &d.situation;
    let (id, status, reference) = (d.id, d.status, d.reference.clone());

    view! {
        <h1>{format!("Demande {}", d.reference)}</h1>
        <p class="lead">
            {format!("{} {} — {} · {}", d.situation.prenom_exercice, d.situation.nom_exercice, d.site.nom, d.status_label)}
        </p>
        <p class="badges">{badges}</p>
        {d.status_detail.clone().map(|t| view! { <p class="notice">{t}</p> })}
        {has_corrections.then(|| view! {
            <section class="section" aria-labelledby="corrections-titre">
                <h2 id="corrections-titre">"Corrections demandées"</h2>
                <ul>{corrections}</ul>
            </section>
        })}
        <div class="demande-layout">
            <div class="demande-infos">
                <section class="section" aria-labelledby="etat-civil">
                    <h2 id="etat-civil">"État civil"</h2>
                    <dl class="review">
                        {row("Civilité", d.civilite.clone())}
                        {row("Nom de naissance", d.nom_naissance.clone())}
                        {row("Prénoms", d.prenoms.join(", "))}
                        {row("Date de naissance", d.date_naissance.clone())}
                        {row("Lieu de naissance", birth_place(&d))}
                    </dl>
                </section>
                <section class="section" aria-labelledby="coordonnees">
                    <h2 id="coordonnees">"Coordonnées"</h2>
                    <dl class="review">
                        {row("Email", format!("{} ({})", d.email, if d.email_confirmed { "confirmé" } else { "non confirmé" }))}
                        {row("Mobile", d.mobile.clone())}
                    </dl>
                </section>
                <section class="section" aria-labelledby="situation">
                    <h2 id="situation">"Situation d'exercice"</h2>
                    <dl class="review">
                        {row("Établissement", format!("{} (FINESS {})", d.site.nom, s.finess))}
                        {row("Nom d'exercice", s.nom_exercice.clone())}
                        {row("Prénom d'exercice", s.prenom_exercice.clone())}
                        {row("Métier", d.metier_label.clone())}
                        {row("Rôle", d.role_label.clone())}
                        {row("Mode d'exercice", d.mode_exercice_label.clone())}
                        {row("Prise de fonction", s.date_prise_fonction.clone())}
                        {row("RPPS déclaré", d.rpps_existant.clone().unwrap_or_else(|| "Aucun".to_owned()))}
                        {row("Reçue le", d.created_at.clone())}
                    </dl>
                    {d.piece_verifiee.clone().map(|t| view! { <p>{t}</p> })}
                    {d.decided_by.clone().map(|by| view! {
                        <p>{format!("Décision prise par {by} le {}.", d.decided_at.clone().unwrap_or_default())}</p>
                    })}
                    {d.rpps.clone().map(|rpps| view! { <p><strong>{format!("Numéro RPPS : {rpps}")}</strong></p> })}
                </section>
            </div>
            <section class="section demande-document" aria-labelledby="document-titre">
                <h2 id="document-titre">"Pièce d'identité"</h2>
                {document}
            </section>
        </div>
        <section class="section" aria-labelledby="doublons-titre">
            <h2 id="doublons-titre">"Doublons possibles"</h2>
            {no_duplicates.then(|| view! { <p>"Aucune identité ni demande ne ressemble à celle-ci."</p> })}
            <ul class="duplicates">{identities}</ul>
            <ul>{requests}</ul>
        </section>
        {super::decidable(status).then(|| view! { <DecisionPanel id status reference attach/> })}
    }
}

/// Which step of the decision panel is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Choose,
    Validate,
    Reject,
    Return,
}

#[component]
fn DecisionPanel(
    id: i64,
    status: PreRegistrationStatusCode,
    reference: String,
    attach: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = session();
    let step = RwSignal::new(Step::Choose);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let failure = RwSignal::new(None::<String>);
    let result = RwSignal::new(None::<DecisionResult>);
    let busy = RwSignal::new(false);
    let reason_code = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let fields = RwSignal::new(Vec::<String>::new());
    let message = RwSignal::new(String::new());

    let open = move |next: Step, focus: &'static str| {
        step.set(next);
        errors.set(Vec::new());
        failure.set(None);
        after_render(move || browser::focus(focus));
    };
    let cancel = move |_| {
        step.set(Step::Choose);
        errors.set(Vec::new());
        after_render(|| browser::focus("decision-valider"));
    };
    let send = move |request: shared::api::DecisionRequest| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failure.set(None);
        spawn_local(async move {
            let answer = api::gestion_decide(id, &request).await;
            if busy.is_disposed() {
                return;
            }
            match answer {
                Ok(done) => {
                    result.set(Some(done));
                    after_render(|| browser::focus("decision-resultat"));
                }
                Err(ApiError::Server { status: 401, .. }) => expired(session),
                Err(error) => {
                    failure.set(Some(error.to_string()));
                    after_render(|| browser::focus("decision-echec"));
                }
            }
            busy.set(false);
        });
    };
    let confirm_validate = move |_| send(super::validate_request(attach.get_untracked(), status));
    let confirm_reject = move |ev: SubmitEvent| {
        ev.prevent_default();
        match super::reject_request(
            &reason_code.get_untracked(),
            &reason.get_untracked(),
            status,
        ) {
            Ok(request) => send(request),
            Err(found) => {
                errors.set(found);
                after_render(|| browser::focus("erreurs"));
            }
        }
    };
    let confirm_return = move |ev: SubmitEvent| {
        ev.prevent_default();
        match super::return_request(&fields.get_untracked(), &message.get_untracked(), status) {
            Ok(request) => send(request),
            Err(found) => {
                errors.set(found);
                after_render(|| browser::focus("erreurs"));
            }
        }
    };

    let reasons = move || {
        REJECT_REASONS
            .into_iter()
            .map(|(code, label)| {
                let input_id = format!("motif-{code}");
                view! {
                    <div class="radio">
                        <input type="radio" name="motif" id=input_id.clone() value=code
                            prop:checked=move || reason_code.with(|c| c == code)
                            on:change=move |_| reason_code.set(code.to_owned())/>
                        <label for=input_id>{label}</label>
                    </div>
                }
            })
            .collect_view()
    };
    let field_choices = move || {
        CORRECTABLE_FIELDS
            .into_iter()
            .map(|(key, label)| {
                let input_id = format!("champ-{key}");
                view! {
                    <div class="checkbox">
                        <input type="checkbox" id=input_id.clone() value=key
                            prop:checked=move || fields.with(|f| f.iter().any(|k| k == key))
                            on:change=move |ev| {
                                let checked = event_target_checked(&ev);
                                fields.update(|f| {
                                    f.retain(|k| k != key);
                                    if checked { f.push(key.to_owned()); }
                                });
                            }/>
                        <label for=input_id>{label}</label>
                    </div>
                }
            })
            .collect_view()
    };

    let reference = StoredValue::new(reference);
    let reference_v = move || reference.get_value();
    let panel = move || {
        if let Some(done) = result.get() {
            return view! {
                <div class="success" id="decision-resultat" tabindex="-1" role="status">
                    <p><strong>{super::decision_message(&done)}</strong></p>
                    <p><A href=DEMANDES>"Demande suivante"</A></p>
                </div>
            }
            .into_any();
        }
        match step.get() {
            Step::Choose => view! {
                <div class="decision-actions">
                    <button type="button" class="button" id="decision-valider"
                        on:click=move |_| open(Step::Validate, "confirmer-validation")>"Valider…"</button>
                    <button type="button" class="button button--secondary"
                        on:click=move |_| open(Step::Reject, "motif-identite_non_verifiee")>"Refuser…"</button>
                    <button type="button" class="button button--secondary"
                        on:click=move |_| open(Step::Return, "champ-nom_naissance")>"Renvoyer pour complément…"</button>
                </div>
            }
            .into_any(),
            Step::Validate => view! {
                <div class="confirmation">
                    <p>
                        {move || match attach.get() {
                            Some(rpps) => format!("Valider la demande {} en la rattachant au numéro RPPS existant {rpps} ?", reference_v()),
                            None => format!("Valider la demande {} et attribuer un numéro RPPS ?", reference_v()),
                        }}
                    </p>
                    <div class="decision-actions">
                        <button type="button" class="button" id="confirmer-validation" on:click=confirm_validate
                            aria-disabled=move || busy.get().then_some("true")>"Confirmer la validation"</button>
                        <button type="button" class="button button--secondary" on:click=cancel>"Annuler"</button>
                    </div>
                </div>
            }
            .into_any(),
            Step::Reject => view! {
                <form class="confirmation" novalidate on:submit=confirm_reject>
                    <ErrorSummary errors/>
                    <fieldset class="field" id="motif" tabindex="-1">
                        <legend>"Motif du refus"</legend>
                        {reasons()}
                    </fieldset>
                    <div class="field">
                        <label for="motif-texte">"Message au professionnel (obligatoire pour « Autre motif »)"</label>
                        <textarea id="motif-texte" rows="3"
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    </div>
                    <div class="decision-actions">
                        <button type="submit" class="button"
                            aria-disabled=move || busy.get().then_some("true")>"Confirmer le refus"</button>
                        <button type="button" class="button button--secondary" on:click=cancel>"Annuler"</button>
                    </div>
                </form>
            }
            .into_any(),
            Step::Return => view! {
                <form class="confirmation" novalidate on:submit=confirm_return>
                    <ErrorSummary errors/>
                    <fieldset class="field" id="champs" tabindex="-1">
                        <legend>"Informations à corriger"</legend>
                        {field_choices()}
                    </fieldset>
                    <div class="field">
                        <label for="message-complement">"Message au professionnel"</label>
                        <textarea id="message-complement" rows="3"
                            prop:value=move || message.get()
                            on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                    </div>
                    <div class="decision-actions">
                        <button type="submit" class="button"
                            aria-disabled=move || busy.get().then_some("true")>"Confirmer le renvoi"</button>
                        <button type="button" class="button button--secondary" on:click=cancel>"Annuler"</button>
                    </div>
                </form>
            }
            .into_any(),
        }
    };
    view! {
        <section class="section decision" aria-labelledby="decision-titre">
            <h2 id="decision-titre">"Décision"</h2>
            {move || failure.get().map(|text| view! {
                <div class="alert" id="decision-echec" tabindex="-1" role="alert"><p>{text}</p></div>
            })}
            {panel}
        </section>
    }
}
