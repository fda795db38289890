//! The pages of the professional's space: thin components over [`super`]'s logic and `crate::api`.

use std::time::Duration;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::api::{
    ActivationStart, ChallengeSent, CodesConfirm, ContactChallengeSent, ContactChange,
    ExerciceChange, Profil,
};

use super::{
    FieldError, check_codes, check_contact, check_exercice, check_rpps, error_code, french_date,
    needs_new_codes, period, server_field_errors,
};
use crate::api::{self, ApiError};
use crate::browser;
use crate::routes::{ACTIVATION, MON_ESPACE};

/// Remembers (in session storage) that this tab signed in, so that a signed-out visit of `/mon-espace` does not ask
/// the API (whose 401 would only fill the console).
const SIGNED_IN_KEY: &str = "enrole.espace.connecte";

/// Whom to ask when the mobile or the mailbox is lost.
const LOST_ACCESS: &str = "Vous n'avez plus accès à votre mobile ou à votre boîte mail ? Demandez au gestionnaire \
     RPPS+ de votre établissement de corriger vos coordonnées : vous activerez ensuite de nouveau votre e-CPS.";

/// Runs `f` once the view has been updated.
fn after_render(f: impl FnOnce() + 'static) {
    set_timeout(f, Duration::from_millis(0));
}

/// Focuses the alert when there is one, the form's error summary (`<alert id>-erreurs`) otherwise.
fn focus_problem(alert_id: &'static str, alert: RwSignal<Option<String>>) {
    after_render(move || {
        if alert.try_get_untracked().flatten().is_some() {
            browser::focus(alert_id);
        } else {
            browser::focus(&format!("{alert_id}-erreurs"));
        }
    });
}

/// The errors of one form, linked to their fields; `id` is `<alert id>-erreurs` (see [`focus_problem`]).
#[component]
fn ErrorSummary(id: &'static str, errors: RwSignal<Vec<FieldError>>) -> impl IntoView {
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
                <div class="error-summary" id=id tabindex="-1" aria-labelledby=format!("{id}-titre")>
                    <h2 id=format!("{id}-titre")>"Il y a un problème"</h2>
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}

#[component]
fn Alert(id: &'static str, message: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|text| {
            view! { <div class="alert" id=id tabindex="-1" role="alert"><p>{text}</p></div> }
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

/// A labelled input; its error shows above it and is announced with it (`aria-describedby`).
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
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
                inputmode=inputmode
                spellcheck="false"
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=described
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

/// The two code fields of a sign-in (or those a contact change expects).
#[component]
fn CodeFields(
    email: Option<RwSignal<String>>,
    sms: Option<RwSignal<String>>,
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    view! {
        {email.map(|value| view! {
            <Field id="email_code" label="Code reçu par email" value errors inputmode="numeric"
                autocomplete="one-time-code" hint="6 chiffres, dans le message « votre code e-CPS »."/>
        })}
        {sms.map(|value| view! {
            <Field id="sms_code" label="Code reçu par SMS" value errors inputmode="numeric"
                autocomplete="one-time-code" hint="6 chiffres."/>
        })}
    }
}

// ---------------------------------------------------------------------------------------------------------------
// /activation

/// `/activation`: asks for the codes (from the validation email's link, or by RPPS number), then checks them and
/// signs the professional in.
#[component]
pub fn Activation() -> impl IntoView {
    crate::set_title("Activer mon e-CPS ou me connecter");
    let query = use_query_map();
    let navigate = use_navigate();
    let jeton = query
        .with_untracked(|q| q.get("jeton"))
        .filter(|j| !j.trim().is_empty());
    let signed_out = query.with_untracked(|q| q.get("deconnecte").is_some());
    let by_link = RwSignal::new(jeton.is_some());
    let jeton = StoredValue::new(jeton.unwrap_or_default());
    let rpps = RwSignal::new(String::new());
    let challenge = RwSignal::new(None::<ChallengeSent>);
    let email_code = RwSignal::new(String::new());
    let sms_code = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let alert = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let request_codes = move || {
        if busy.get_untracked() {
            return;
        }
        alert.set(None);
        let link = by_link.get_untracked();
        let number = rpps.get_untracked();
        if !link {
            let found = check_rpps(&number);
            if !found.is_empty() {
                errors.set(found);
                focus_problem("activation-alerte", alert);
                return;
            }
        }
        errors.set(Vec::new());
        busy.set(true);
        spawn_local(async move {
            let request = ActivationStart {
                rpps: (!link).then(|| number.trim().to_owned()),
                jeton: link.then(|| jeton.get_value()),
            };
            let answer = api::activation_start(&request).await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(sent) => {
                    email_code.set(String::new());
                    sms_code.set(String::new());
                    challenge.set(Some(sent));
                    after_render(|| browser::focus("codes-envoyes"));
                    return;
                }
                Err(error) if error_code(&error) == Some("link_expired") => {
                    by_link.set(false);
                    alert.set(Some(error.to_string()));
                }
                Err(error) => {
                    let found = server_field_errors(&error, &["rpps"]);
                    if found.is_empty() {
                        alert.set(Some(error.to_string()));
                    } else {
                        errors.set(found);
                    }
                }
            }
            focus_problem("activation-alerte", alert);
        });
    };

    let submit_start = move |ev: SubmitEvent| {
        ev.prevent_default();
        request_codes();
    };

    let submit_codes = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(sent) = challenge.get_untracked() else {
            return;
        };
        alert.set(None);
        let (e, s) = (email_code.get_untracked(), sms_code.get_untracked());
        let found = check_codes(Some(&e), Some(&s));
        if !found.is_empty() {
            errors.set(found);
            focus_problem("activation-alerte", alert);
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let answer = api::activation_confirm(&CodesConfirm {
                challenge_id: sent.challenge_id,
                email_code: e,
                sms_code: s,
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(_) => {
                    browser::save(SIGNED_IN_KEY, "1");
                    navigate(MON_ESPACE, NavigateOptions::default());
                    return;
                }
                Err(error) if needs_new_codes(&error) => {
                    alert.set(Some(error.to_string()));
                }
                Err(error) => {
                    let found = server_field_errors(&error, &["email_code", "sms_code"]);
                    alert.set(Some(error.to_string()));
                    errors.set(found);
                }
            }
            focus_problem("activation-alerte", alert);
        });
    };

    view! {
        <div class="narrow espace">
            <h1>"Activer mon e-CPS ou me connecter"</h1>
            {signed_out.then(|| view! { <p class="success" role="status">"Vous êtes déconnecté."</p> })}
            <p class="lead">
                "Votre e-CPS est votre identité numérique de professionnel. Pour l'activer, puis à chaque connexion, \
                 Enrôle envoie un code à votre adresse email et un autre par SMS à votre mobile : les deux sont \
                 nécessaires."
            </p>
            <Alert id="activation-alerte" message=alert/>
            <ErrorSummary id="activation-alerte-erreurs" errors/>
            {move || {
                let submit_codes = submit_codes.clone();
                match challenge.get() {
                None if by_link.get() => view! {
                    <form novalidate on:submit=submit_start>
                        <p>"Vous arrivez par le lien de l'email qui vous a donné votre numéro RPPS."</p>
                        <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                            {move || if busy.get() { "Envoi…" } else { "Recevoir mes codes" }}
                        </button>
                    </form>
                    <p>
                        <button type="button" class="button button--secondary" on:click=move |_| {
                            by_link.set(false);
                            after_render(|| browser::focus("rpps"));
                        }>"Saisir plutôt mon numéro RPPS"</button>
                    </p>
                }
                .into_any(),
                None => view! {
                    <form novalidate on:submit=submit_start>
                        <Field id="rpps" label="Numéro RPPS" value=rpps errors inputmode="numeric"
                            autocomplete="off"
                            hint="11 chiffres, indiqués dans l'email de validation de votre demande."/>
                        <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                            {move || if busy.get() { "Envoi…" } else { "Recevoir mes codes" }}
                        </button>
                    </form>
                }
                .into_any(),
                Some(sent) => view! {
                    <p class="success" id="codes-envoyes" tabindex="-1" role="status">{sent.message.clone()}</p>
                    <p class="hint">
                        {format!("Les codes sont valables {} minutes.", sent.expires_in_secs / 60)}
                    </p>
                    <form novalidate on:submit=submit_codes>
                        <CodeFields email=Some(email_code) sms=Some(sms_code) errors/>
                        <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                            {move || if busy.get() { "Vérification…" } else { "Valider" }}
                        </button>
                    </form>
                    <p>
                        <button type="button" class="button button--secondary" on:click=move |_| request_codes()>
                            "Recevoir de nouveaux codes"
                        </button>
                    </p>
                }
                .into_any(),
                }
            }}
            <p class="hint">{LOST_ACCESS}</p>
        </div>
    }
}

// ---------------------------------------------------------------------------------------------------------------
// /mon-espace

/// What the page knows of the session.
#[derive(Clone, Debug, PartialEq)]
enum Loaded {
    Loading,
    SignedOut,
    Failed(String),
    Ready,
}

/// `/mon-espace`: identity (read-only), RPPS number, situations, contact data and nom d'exercice.
#[component]
pub fn MonEspace() -> impl IntoView {
    crate::set_title("Mon espace");
    let navigate = use_navigate();
    let profil = RwSignal::new(None::<Profil>);
    let loaded = RwSignal::new(Loaded::Loading);
    if browser::load(SIGNED_IN_KEY).is_some() {
        spawn_local(async move {
            let answer = api::espace_profil().await;
            if loaded.is_disposed() {
                return;
            }
            match answer {
                Ok(p) => {
                    profil.set(Some(p));
                    loaded.set(Loaded::Ready);
                }
                Err(ApiError::Server { status: 401, .. }) => {
                    browser::remove(SIGNED_IN_KEY);
                    loaded.set(Loaded::SignedOut);
                }
                Err(error) => loaded.set(Loaded::Failed(error.to_string())),
            }
        });
    } else {
        loaded.set(Loaded::SignedOut);
    }
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            _ = api::espace_sign_out().await;
            browser::remove(SIGNED_IN_KEY);
            navigate(
                &format!("{ACTIVATION}?deconnecte=1"),
                NavigateOptions::default(),
            );
        });
    };

    view! {
        <div class="narrow espace">
            <h1>"Mon espace"</h1>
            {move || match loaded.get() {
                Loaded::Loading => view! { <p class="loading">"Chargement…"</p> }.into_any(),
                Loaded::SignedOut => view! {
                    <p>"Vous n'êtes pas connecté, ou votre session a expiré."</p>
                    <p><a class="button" href=ACTIVATION>"Me connecter avec mon e-CPS"</a></p>
                }
                .into_any(),
                Loaded::Failed(message) => view! {
                    <div class="alert" role="alert"><p>{message}</p></div>
                }
                .into_any(),
                Loaded::Ready => {
                    let sign_out = sign_out.clone();
                    view! {
                        <div class="session-bar">
                            <p>"Connecté avec votre e-CPS"</p>
                            <button type="button" class="button button--secondary button--small"
                                on:click=sign_out>"Se déconnecter"</button>
                        </div>
                        <Identite profil/>
                        <Situations profil/>
                        <Coordonnees profil/>
                        <NomExercice profil/>
                    }
                    .into_any()
                }
            }}
        </div>
    }
}

#[component]
fn Identite(profil: RwSignal<Option<Profil>>) -> impl IntoView {
    move || {
        profil.get().map(|p| {
            view! {
                <section aria-labelledby="identite-titre">
                    <h2 id="identite-titre">"Mon identité"</h2>
                    <dl class="review">
                        <div class="review__row"><dt>"Numéro RPPS"</dt><dd class="reference">{p.rpps.clone()}</dd></div>
                        <div class="review__row"><dt>"Civilité"</dt><dd>{p.civilite.clone()}</dd></div>
                        <div class="review__row"><dt>"Nom de naissance"</dt><dd>{p.nom_naissance.clone()}</dd></div>
                        <div class="review__row"><dt>"Prénoms"</dt><dd>{p.prenoms.join(", ")}</dd></div>
                        <div class="review__row"><dt>"Date de naissance"</dt><dd>{french_date(&p.date_naissance)}</dd></div>
                    </dl>
                    <p class="hint">
                        "Votre état civil ne peut pas être modifié ici. S'il est inexact, adressez-vous au \
                         gestionnaire RPPS+ de votre établissement."
                    </p>
                </section>
            }
        })
    }
}

#[component]
fn Situations(profil: RwSignal<Option<Profil>>) -> impl IntoView {
    move || {
        profil.get().map(|p| {
            let items = p
                .situations
                .into_iter()
                .map(|s| {
                    let status = if s.active { "En cours" } else { "Terminée" };
                    view! {
                        <li class="situation">
                            <h3>{s.site_nom.clone()}</h3>
                            <p class="hint">{s.entite_juridique_nom.clone()}</p>
                            <dl class="review">
                                <div class="review__row"><dt>"Métier"</dt><dd>{s.metier.clone()}</dd></div>
                                <div class="review__row"><dt>"Rôle"</dt><dd>{s.role.clone()}</dd></div>
                                <div class="review__row"><dt>"Mode d'exercice"</dt><dd>{s.mode_exercice.clone()}</dd></div>
                                <div class="review__row"><dt>"Période"</dt><dd>{period(&s.date_debut, s.date_fin.as_deref())}</dd></div>
                                <div class="review__row"><dt>"État"</dt><dd>{status}</dd></div>
                            </dl>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section aria-labelledby="situations-titre">
                    <h2 id="situations-titre">"Mes situations d'exercice"</h2>
                    <ul class="situations">{items}</ul>
                </section>
            }
        })
    }
}

/// The contact data and their change: codes to the new values, with a re-authentication first when the sign-in is
/// not recent.
#[component]
fn Coordonnees(profil: RwSignal<Option<Profil>>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let new_email = RwSignal::new(String::new());
    let new_mobile = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<ContactChallengeSent>);
    let email_code = RwSignal::new(String::new());
    let sms_code = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let alert = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<&'static str>);
    let busy = RwSignal::new(false);
    // Re-authentication: the sign-in codes, asked for when the server says the sign-in is too old.
    let reauth = RwSignal::new(false);
    let reauth_sent = RwSignal::new(None::<ChallengeSent>);
    let reauth_email = RwSignal::new(String::new());
    let reauth_sms = RwSignal::new(String::new());

    let send_change = move || {
        let (email, mobile) = (new_email.get_untracked(), new_mobile.get_untracked());
        busy.set(true);
        spawn_local(async move {
            let answer = api::espace_contact(&ContactChange {
                email: (!email.trim().is_empty()).then(|| email.trim().to_owned()),
                mobile: (!mobile.trim().is_empty()).then(|| mobile.trim().to_owned()),
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(challenge) => {
                    email_code.set(String::new());
                    sms_code.set(String::new());
                    sent.set(Some(challenge));
                    after_render(|| browser::focus("contact-codes"));
                    return;
                }
                Err(error) if error_code(&error) == Some("reauthentication_required") => {
                    reauth.set(true);
                    reauth_sent.set(None);
                    alert.set(None);
                    after_render(|| browser::focus("reauth-titre"));
                    return;
                }
                Err(error) => {
                    let found = server_field_errors(&error, &["email", "mobile"]);
                    if found.is_empty() {
                        alert.set(Some(error.to_string()));
                    } else {
                        errors.set(found);
                    }
                }
            }
            focus_problem("contact-alerte", alert);
        });
    };

    let submit_change = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(p) = profil.get_untracked() else {
            return;
        };
        alert.set(None);
        done.set(None);
        let found = check_contact(
            &new_email.get_untracked(),
            &new_mobile.get_untracked(),
            &p.email,
            &p.mobile,
        );
        if !found.is_empty() {
            errors.set(found);
            focus_problem("contact-alerte", alert);
            return;
        }
        errors.set(Vec::new());
        send_change();
    };

    let submit_codes = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(challenge) = sent.get_untracked() else {
            return;
        };
        alert.set(None);
        let e = challenge.email.then(|| email_code.get_untracked());
        let s = challenge.mobile.then(|| sms_code.get_untracked());
        let found = check_codes(e.as_deref(), s.as_deref());
        if !found.is_empty() {
            errors.set(found);
            focus_problem("contact-alerte", alert);
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        spawn_local(async move {
            let answer = api::espace_contact_confirm(&CodesConfirm {
                challenge_id: challenge.challenge_id,
                email_code: e.unwrap_or_default(),
                sms_code: s.unwrap_or_default(),
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(updated) => {
                    profil.set(Some(updated));
                    sent.set(None);
                    editing.set(false);
                    new_email.set(String::new());
                    new_mobile.set(String::new());
                    done.set(Some(
                        "Vos coordonnées sont à jour. Un message de confirmation est parti vers votre ancienne \
                         adresse email.",
                    ));
                    after_render(|| browser::focus("contact-fait"));
                    return;
                }
                Err(error) if needs_new_codes(&error) => {
                    sent.set(None);
                    alert.set(Some(error.to_string()));
                }
                Err(error) => {
                    errors.set(server_field_errors(&error, &["email_code", "sms_code"]));
                    alert.set(Some(error.to_string()));
                }
            }
            focus_problem("contact-alerte", alert);
        });
    };

    let request_reauth = move || {
        let Some(p) = profil.get_untracked() else {
            return;
        };
        busy.set(true);
        alert.set(None);
        spawn_local(async move {
            let answer = api::activation_start(&ActivationStart {
                rpps: Some(p.rpps.clone()),
                jeton: None,
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(challenge) => {
                    reauth_email.set(String::new());
                    reauth_sms.set(String::new());
                    reauth_sent.set(Some(challenge));
                    after_render(|| browser::focus("email_code"));
                }
                Err(error) => {
                    alert.set(Some(error.to_string()));
                    focus_problem("contact-alerte", alert);
                }
            }
        });
    };

    let submit_reauth = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let Some(challenge) = reauth_sent.get_untracked() else {
            return;
        };
        alert.set(None);
        let (e, s) = (reauth_email.get_untracked(), reauth_sms.get_untracked());
        let found = check_codes(Some(&e), Some(&s));
        if !found.is_empty() {
            errors.set(found);
            focus_problem("contact-alerte", alert);
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        spawn_local(async move {
            let answer = api::activation_confirm(&CodesConfirm {
                challenge_id: challenge.challenge_id,
                email_code: e,
                sms_code: s,
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(updated) => {
                    profil.set(Some(updated));
                    reauth.set(false);
                    reauth_sent.set(None);
                    // The identity is confirmed: the change goes on where it stopped.
                    send_change();
                    return;
                }
                Err(error) if needs_new_codes(&error) => {
                    reauth_sent.set(None);
                    alert.set(Some(error.to_string()));
                }
                Err(error) => {
                    errors.set(server_field_errors(&error, &["email_code", "sms_code"]));
                    alert.set(Some(error.to_string()));
                }
            }
            focus_problem("contact-alerte", alert);
        });
    };

    let current = move || {
        profil.get().map(|p| {
            view! {
                <dl class="review">
                    <div class="review__row"><dt>"Adresse email"</dt><dd>{p.email.clone()}</dd></div>
                    <div class="review__row"><dt>"Téléphone mobile"</dt><dd>{p.mobile.clone()}</dd></div>
                </dl>
            }
        })
    };

    let form = move || {
        if !editing.get() {
            return view! {
                <p>
                    <button type="button" class="button button--secondary" on:click=move |_| {
                        done.set(None);
                        editing.set(true);
                        after_render(|| browser::focus("email"));
                    }>"Modifier mes coordonnées"</button>
                </p>
            }
            .into_any();
        }
        if reauth.get() {
            return match reauth_sent.get() {
                None => view! {
                    <div class="panel">
                        <h3 id="reauth-titre" tabindex="-1">"Confirmez votre identité"</h3>
                        <p>
                            "Votre connexion date de plus de quelques minutes. Pour protéger vos coordonnées, \
                             saisissez les codes que nous allons envoyer à votre adresse email et à votre mobile \
                             actuels."
                        </p>
                        <button type="button" class="button" on:click=move |_| request_reauth()
                            aria-disabled=move || busy.get().then_some("true")>"Recevoir mes codes"</button>
                    </div>
                }
                .into_any(),
                Some(challenge) => view! {
                    <div class="panel">
                        <h3 id="reauth-titre" tabindex="-1">"Confirmez votre identité"</h3>
                        <p role="status">{challenge.message.clone()}</p>
                        <form novalidate on:submit=submit_reauth>
                            <CodeFields email=Some(reauth_email) sms=Some(reauth_sms) errors/>
                            <button type="submit" class="button"
                                aria-disabled=move || busy.get().then_some("true")>"Confirmer mon identité"</button>
                        </form>
                    </div>
                }
                .into_any(),
            };
        }
        match sent.get() {
            None => view! {
                <form novalidate on:submit=submit_change>
                    <p class="hint">
                        "Remplissez ce qui change. Chaque nouvelle valeur reçoit un code : elle ne remplace \
                         l'ancienne qu'une fois le code saisi."
                    </p>
                    <Field id="email" label="Nouvelle adresse email" kind="email" value=new_email errors
                        autocomplete="email"/>
                    <Field id="mobile" label="Nouveau numéro de mobile" kind="tel" value=new_mobile errors
                        autocomplete="tel" hint="Par exemple 06 12 34 56 78."/>
                    <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                        {move || if busy.get() { "Envoi…" } else { "Recevoir le code" }}
                    </button>
                    <button type="button" class="button button--secondary" on:click=move |_| {
                        editing.set(false);
                        errors.set(Vec::new());
                        alert.set(None);
                    }>"Annuler"</button>
                </form>
            }
            .into_any(),
            Some(challenge) => {
                let what = match (challenge.email, challenge.mobile) {
                    (true, true) => "Un code vient d'être envoyé à votre nouvelle adresse email et un autre à \
                                     votre nouveau mobile.",
                    (true, false) => "Un code vient d'être envoyé à votre nouvelle adresse email.",
                    _ => "Un code vient d'être envoyé par SMS à votre nouveau mobile.",
                };
                view! {
                    <p class="success" id="contact-codes" tabindex="-1" role="status">{what}</p>
                    <form novalidate on:submit=submit_codes>
                        <CodeFields
                            email=challenge.email.then_some(email_code)
                            sms=challenge.mobile.then_some(sms_code)
                            errors/>
                        <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                            {move || if busy.get() { "Vérification…" } else { "Confirmer" }}
                        </button>
                        <button type="button" class="button button--secondary" on:click=move |_| {
                            sent.set(None);
                            errors.set(Vec::new());
                            alert.set(None);
                        }>"Recommencer"</button>
                    </form>
                }
                .into_any()
            }
        }
    };

    view! {
        <section aria-labelledby="coordonnees-titre">
            <h2 id="coordonnees-titre">"Mes coordonnées"</h2>
            {current}
            {move || done.get().map(|text| view! {
                <p class="success" id="contact-fait" tabindex="-1" role="status">{text}</p>
            })}
            <Alert id="contact-alerte" message=alert/>
            <ErrorSummary id="contact-alerte-erreurs" errors/>
            {form}
            <p class="hint">{LOST_ACCESS}</p>
        </section>
    }
}

/// The nom and prénom d'exercice, shown in the public directory; the gestionnaires are told of a change.
#[component]
fn NomExercice(profil: RwSignal<Option<Profil>>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let nom = RwSignal::new(String::new());
    let prenom = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let alert = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        alert.set(None);
        let (n, p) = (nom.get_untracked(), prenom.get_untracked());
        let found = check_exercice(&n, &p);
        if !found.is_empty() {
            errors.set(found);
            focus_problem("exercice-alerte", alert);
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        spawn_local(async move {
            let answer = api::espace_exercice(&ExerciceChange {
                nom_exercice: n,
                prenom_exercice: p,
            })
            .await;
            if busy.is_disposed() {
                return;
            }
            busy.set(false);
            match answer {
                Ok(updated) => {
                    profil.set(Some(updated));
                    editing.set(false);
                    done.set(true);
                    after_render(|| browser::focus("exercice-fait"));
                    return;
                }
                Err(error) => {
                    let found = server_field_errors(&error, &["nom_exercice", "prenom_exercice"]);
                    if found.is_empty() {
                        alert.set(Some(error.to_string()));
                    } else {
                        errors.set(found);
                    }
                }
            }
            focus_problem("exercice-alerte", alert);
        });
    };

    view! {
        <section aria-labelledby="exercice-titre">
            <h2 id="exercice-titre">"Mon nom d'exercice"</h2>
            <p class="hint">
                "Le nom et le prénom sous lesquels vous exercez, publiés dans l'annuaire. Les gestionnaires de vos \
                 établissements sont informés de leur changement."
            </p>
            {move || profil.get().map(|p| view! {
                <dl class="review">
                    <div class="review__row"><dt>"Nom d'exercice"</dt><dd>{p.nom_exercice.clone()}</dd></div>
                    <div class="review__row"><dt>"Prénom d'exercice"</dt><dd>{p.prenom_exercice.clone()}</dd></div>
                </dl>
            })}
            {move || done.get().then(|| view! {
                <p class="success" id="exercice-fait" tabindex="-1" role="status">
                    "Votre nom d'exercice est enregistré."
                </p>
            })}
            <Alert id="exercice-alerte" message=alert/>
            <ErrorSummary id="exercice-alerte-erreurs" errors/>
            {move || if editing.get() {
                view! {
                    <form novalidate on:submit=submit>
                        <Field id="nom_exercice" label="Nom d'exercice" value=nom errors autocomplete="family-name"/>
                        <Field id="prenom_exercice" label="Prénom d'exercice" value=prenom errors
                            autocomplete="given-name"/>
                        <button type="submit" class="button" aria-disabled=move || busy.get().then_some("true")>
                            {move || if busy.get() { "Enregistrement…" } else { "Enregistrer" }}
                        </button>
                        <button type="button" class="button button--secondary" on:click=move |_| {
                            editing.set(false);
                            errors.set(Vec::new());
                        }>"Annuler"</button>
                    </form>
                }
                .into_any()
            } else {
                view! {
                    <p>
                        <button type="button" class="button button--secondary" on:click=move |_| {
                            if let Some(p) = profil.get_untracked() {
                                nom.set(p.nom_exercice);
                                prenom.set(p.prenom_exercice);
                            }
                            done.set(false);
                            editing.set(true);
                            after_render(|| browser::focus("nom_exercice"));
                        }>"Modifier mon nom d'exercice"</button>
                    </p>
                }
                .into_any()
            }}
        </section>
    }
}
