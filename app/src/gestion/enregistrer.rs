//! `/gestion/enregistrer`: the gestionnaire registers a person end to end (CAS 1) with the professional form's own
//! steps and rules (`crate::pages::preinscription`, in the gestionnaire's [`Voice`]), plus the identity document's
//! verification, the duplicate check before anything is created, and the result.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use shared::api::{ProfessionalCandidate, RegistrationCreated, RegistrationRequest};
use shared::error::FieldErrors;

use super::annuaire::{candidate_label, person_href};
use super::pages::{RequireSession, session};
use crate::api::{self, ApiError};
use crate::browser;
use crate::pages::preinscription::{
    Bind, Form, HEADING_ID, RadioGroup, SUMMARY_ID, StepContact, StepDocument, StepErrorSummary,
    StepEtatCivil, StepNotice, StepSituation, TextField, Voice, request_animation,
};
use crate::preinscription::{self as logic, Draft, LAST_STEP, SiteChoice};

/// The step titles of the gestionnaire's registration (the professional form's, but about "la personne").
fn title(step: u8) -> &'static str {
    match step {
        1 => "Établissement",
        2 => "Information de la personne",
        3 => "État civil",
        4 => "Coordonnées",
        5 => "Situation d'exercice",
        _ => "Pièce d'identité et enregistrement",
    }
}

/// What the duplicate check found, and what the gestionnaire chose.
#[derive(Clone, Debug, PartialEq)]
enum Check {
    NotYet,
    Candidates(Vec<ProfessionalCandidate>),
}

/// `/gestion/enregistrer`.
#[component]
pub fn Enregistrer() -> impl IntoView {
    view! { <RequireSession><Registration/></RequireSession> }
}

#[component]
fn Registration() -> impl IntoView {
    provide_context(Voice::Gestionnaire);
    let session = session();
    let sites = session
        .me_untracked()
        .map(|me| me.sites)
        .unwrap_or_default();
    // Not kept in session storage: the person's data stays out of a shared HR computer's storage.
    let draft = RwSignal::new(Draft {
        step: 1,
        has_rpps: Some(false),
        ..Draft::default()
    });
    if let [only] = sites.as_slice() {
        draft.update(|d| d.site = Some(site_choice(only)));
    }
    let form = Form::provide(draft);
    let created = RwSignal::new(None::<RegistrationCreated>);
    let step = Memo::new(move |_| draft.with(|d| d.step));
    Effect::new(move |_| {
        let text = if created.get().is_some() {
            "Personne enregistrée".to_owned()
        } else {
            format!(
                "{} : {} – Enregistrer une personne",
                logic::progress(step.get()),
                title(step.get())
            )
        };
        crate::set_title(&text);
    });
    let sites_for_view = sites.clone();
    view! {
        {move || match created.get() {
            Some(done) => view! { <Done done created draft/> }.into_any(),
            None => view! { <Steps form sites=sites_for_view.clone() created/> }.into_any(),
        }}
    }
}

fn site_choice(site: &shared::api::GestionSite) -> SiteChoice {
    SiteChoice {
        id: site.id,
        nom: site.nom.clone(),
        finess: site.finess.clone().unwrap_or_default(),
        commune: site.commune.clone(),
    }
}

#[component]
fn Steps(
    form: Form,
    sites: Vec<shared::api::GestionSite>,
    created: RwSignal<Option<RegistrationCreated>>,
) -> impl IntoView {
    let draft = form.draft;
    let step = Memo::new(move |_| draft.with(|d| d.step));
    let sending = RwSignal::new(false);
    let general_error = RwSignal::new(None::<String>);
    let verified = RwSignal::new(false);
    let check = RwSignal::new(Check::NotYet);
    // "new" or a candidate's id.
    let choice = RwSignal::new(String::new());
    // Any change to what was typed calls for a new duplicate check.
    Effect::new(move |_| {
        draft.track();
        check.set(Check::NotYet);
        choice.set(String::new());
    });

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
    let previous = move |_| {
        let current = step.get_untracked();
        if current > 1 {
            form.go_to(current - 1);
        }
    };
    let request = move || RegistrationRequest {
        request: draft.with_untracked(Draft::to_request),
        piece_verifiee: verified.get_untracked(),
        attach_to_professional_id: choice.with_untracked(|c| c.parse().ok()),
        new_identity_confirmed: choice.with_untracked(|c| c == "nouvelle"),
    };
    let save = move |_| {
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
        if !verified.get_untracked() {
            form.server.update(|s| {
                s.add(
                    "piece_verifiee",
                    "Déclarez que vous avez vérifié la pièce d'identité de la personne.",
                );
            });
            form.show_all.set(true);
            request_animation(|| browser::focus(SUMMARY_ID));
            return;
        }
        let candidates_pending = matches!(check.get_untracked(), Check::Candidates(ref c) if !c.is_empty())
            && choice.with_untracked(String::is_empty);
        if candidates_pending {
            general_error.set(Some(
                "Choisissez d'abord si la personne est l'une de celles proposées, ou une autre personne."
                    .to_owned(),
            ));
            request_animation(|| browser::focus("doublons"));
            return;
        }
        sending.set(true);
        spawn_local(async move {
            // The duplicate check runs before anything is created.
            if check.get_untracked() == Check::NotYet {
                match api::gestion_registration_check(&request()).await {
                    Ok(found) if !found.candidates.is_empty() => {
                        check.set(Check::Candidates(found.candidates));
                        sending.set(false);
                        request_animation(|| browser::focus("doublons"));
                        return;
                    }
                    Ok(_) => check.set(Check::Candidates(Vec::new())),
                    Err(error) => {
                        show_error(form, error, general_error);
                        sending.set(false);
                        return;
                    }
                }
            }
            match api::gestion_register(&request()).await {
                Ok(done) => {
                    created.set(Some(done));
                    request_animation(|| browser::focus(HEADING_ID));
                }
                Err(error) => show_error(form, error, general_error),
            }
            sending.set(false);
        });
    };

    let sites_view = sites.clone();
    view! {
        <div class="form-page">
            <p class="progress-label" id="progression">{move || logic::progress(step.get())}</p>
            <progress class="progress-bar" max=LAST_STEP value=move || step.get() aria-labelledby="progression"></progress>
            <h1 id=HEADING_ID tabindex="-1">{move || title(step.get())}</h1>
            <StepErrorSummary form/>
            <form class="step-form" novalidate on:submit=move |ev| ev.prevent_default()>
                {move || match step.get() {
                    1 => view! { <StepOwnSite sites=sites_view.clone()/> }.into_any(),
                    2 => view! { <StepNotice/> }.into_any(),
                    3 => view! { <StepEtatCivil/> }.into_any(),
                    4 => view! { <StepContact/> }.into_any(),
                    5 => view! { <StepSituation/> }.into_any(),
                    _ => view! {
                        <StepDocument/>
                        <Verification form verified/>
                        <Candidates check choice/>
                    }.into_any(),
                }}
                {move || general_error.get().map(|message| view! {
                    <div class="alert" role="alert"><p>{message}</p></div>
                })}
                <div class="form-actions">
                    {move || if step.get() < LAST_STEP {
                        view! { <button type="submit" class="button" on:click=next>"Suivant"</button> }.into_any()
                    } else {
                        view! {
                            <button type="submit" class="button" on:click=save aria-disabled=move || sending.get().then_some("true")>
                                {move || if sending.get() { "Enregistrement en cours…" } else { "Enregistrer la personne" }}
                            </button>
                        }.into_any()
                    }}
                    <Show when=move || { step.get() > 1 }>
                        <button type="button" class="button button--secondary" on:click=previous>"Précédent"</button>
                    </Show>
                </div>
            </form>
        </div>
    }
}

/// A 422 goes back to the fields; anything else is said above the buttons.
fn show_error(form: Form, error: ApiError, general_error: RwSignal<Option<String>>) {
    match error {
        ApiError::Server {
            status: 422,
            envelope,
        } if !envelope.error.fields.is_empty() => {
            let fields = envelope.error.fields;
            let first = Draft::first_step_in_error(&fields).unwrap_or(LAST_STEP);
            form.server.set(fields);
            if first != form.draft.with_untracked(|d| d.step) {
                form.go_to(first);
            }
            form.show_all.set(true);
            request_animation(|| browser::focus(SUMMARY_ID));
        }
        other => general_error.set(Some(other.to_string())),
    }
}

/// Step 1: one of the gestionnaire's own sites.
#[component]
fn StepOwnSite(sites: Vec<shared::api::GestionSite>) -> impl IntoView {
    let form = expect_context::<Form>();
    let draft = form.draft;
    let options = sites
        .iter()
        .map(|s| {
            let detail = [
                s.commune.clone(),
                s.finess.as_ref().map(|f| format!("FINESS {f}")),
                Some(s.entite_juridique_nom.clone()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            (s.id.to_string(), s.nom.clone(), Some(detail))
        })
        .collect();
    // Written by `set`, which needs the sites loaded.
    let field = Bind::new(
        |d, _| {
            d.site
                .as_ref()
                .map(|s| s.id.to_string())
                .unwrap_or_default()
        },
        |_, _, _| {},
    );
    let set = Callback::new(move |id: String| {
        if let Some(site) = sites.iter().find(|s| s.id.to_string() == id) {
            let choice = site_choice(site);
            draft.update(|d| {
                d.site = Some(choice);
                d.notice_version.clear();
            });
        }
    });
    let has_rpps = Bind::new(
        |d, _| {
            if d.has_rpps == Some(true) {
                "oui"
            } else {
                "non"
            }
            .to_owned()
        },
        |d, _, v| d.has_rpps = Some(v == "oui"),
    );
    let rpps = Bind::new(|d, _| d.rpps.clone(), |d, _, v| d.rpps = v);
    view! {
        <p>"Vous enregistrez vous-même une personne, avec les informations et la copie de sa pièce d'identité qu'elle vous a remises. Elle recevra son numéro RPPS par email."</p>
        <RadioGroup key="site_id" legend="Site où la personne exerce" options field set/>
        <RadioGroup
            key="has_rpps"
            legend="La personne a-t-elle déjà un numéro RPPS ?"
            hint="Attribué par un Ordre, l'ARS ou un autre employeur. Si oui, la situation d'exercice est ajoutée à ce numéro : une personne n'a qu'un numéro, à vie."
            options=vec![
                ("non".to_owned(), "Non, ou je ne sais pas".to_owned(), None),
                ("oui".to_owned(), "Oui".to_owned(), None),
            ]
            field=has_rpps
        />
        <Show when=move || draft.with(|d| d.has_rpps == Some(true))>
            <TextField
                key="rpps_existant"
                label="Son numéro RPPS"
                hint="11 chiffres, par exemple 10001234567 : sur sa carte CPS ou e-CPS."
                field=rpps
                inputmode="numeric"
                class="input--medium"
            />
        </Show>
    }
}

/// The mandatory declaration that the gestionnaire checked the identity document.
#[component]
fn Verification(form: Form, verified: RwSignal<bool>) -> impl IntoView {
    let key = "piece_verifiee";
    let message = move || {
        form.server
            .with(|s| s.get(key).and_then(|m| m.first().cloned()))
    };
    view! {
        <div class="field checkbox" class:field--error=move || message().is_some()>
            {move || message().map(|m| view! {
                <p class="field-error" id="piece_verifiee-erreur"><span class="visually-hidden">"Erreur : "</span>{m}</p>
            })}
            <input
                type="checkbox"
                id="piece_verifiee"
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby=move || message().is_some().then_some("piece_verifiee-erreur")
                prop:checked=move || verified.get()
                on:change=move |ev| {
                    verified.set(event_target_checked(&ev));
                    form.changed(key);
                }
            />
            <label for="piece_verifiee">"J'ai vérifié la pièce d'identité de la personne : l'état civil saisi y correspond."</label>
        </div>
    }
}

/// The people who may already be this person: add the situation to one of them, or state it is someone else.
#[component]
fn Candidates(check: RwSignal<Check>, choice: RwSignal<String>) -> impl IntoView {
    move || {
        let Check::Candidates(list) = check.get() else {
            return ().into_any();
        };
        if list.is_empty() {
            return ().into_any();
        }
        let options = list
            .iter()
            .map(|c| {
                let id = format!("doublon-{}", c.id);
                let value = c.id.to_string();
                let checked = value.clone();
                view! {
                    <div class="radio">
                        <input type="radio" id=id.clone() name="doublon" value=value.clone()
                            prop:checked=move || choice.with(|v| *v == checked)
                            on:change=move |_| choice.set(value.clone())/>
                        <label for=id>{format!("C'est cette personne : {}", candidate_label(c))}</label>
                    </div>
                }
            })
            .collect_view();
        view! {
            <section class="alert alert--warning" id="doublons" tabindex="-1" aria-labelledby="doublons-titre">
                <h2 id="doublons-titre">"Cette personne existe peut-être déjà"</h2>
                <p>"Une personne avec le même nom de naissance et la même date de naissance a déjà un numéro RPPS. Une personne n'a qu'un numéro, à vie : si c'est elle, la situation d'exercice est ajoutée à son numéro."</p>
                <fieldset class="field">
                    <legend>"Qui est la personne que vous enregistrez ?"</legend>
                    <div class="radios">
                        {options}
                        <div class="radio">
                            <input type="radio" id="doublon-nouvelle" name="doublon" value="nouvelle"
                                prop:checked=move || choice.with(|v| v == "nouvelle")
                                on:change=move |_| choice.set("nouvelle".to_owned())/>
                            <label for="doublon-nouvelle">"C'est une autre personne : lui attribuer un nouveau numéro RPPS"</label>
                        </div>
                    </div>
                </fieldset>
            </section>
        }
        .into_any()
    }
}

#[component]
fn Done(
    done: RegistrationCreated,
    created: RwSignal<Option<RegistrationCreated>>,
    draft: RwSignal<Draft>,
) -> impl IntoView {
    let again = move |_| {
        draft.set(Draft {
            step: 1,
            has_rpps: Some(false),
            ..Draft::default()
        });
        created.set(None);
    };
    let lead = if done.identity_reused {
        "La situation d'exercice a été ajoutée au numéro RPPS de la personne, qui le garde à vie."
    } else {
        "La personne est enregistrée : un numéro RPPS lui est attribué, à vie."
    };
    view! {
        <div class="narrow">
            <h1 id=HEADING_ID tabindex="-1">"Personne enregistrée"</h1>
            <div class="success">
                <p class="lead">{lead}</p>
                <p>"Numéro RPPS : "<strong class="reference">{done.rpps.clone()}</strong></p>
            </div>
            <p>"Elle reçoit un email avec son numéro et la marche à suivre pour activer sa e-CPS."</p>
            <p><A href=person_href(done.professional_id)>"Voir sa fiche dans l'annuaire"</A></p>
            <p><button type="button" class="link-button" on:click=again>"Enregistrer une autre personne"</button></p>
        </div>
    }
}
