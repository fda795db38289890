use std::collections::BTreeSet;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use shared::api::{CorrectionsView, PreRegistrationStatus, PreRegistrationStatusCode};
use shared::error::FieldErrors;

use crate::api::{self, ApiError};
use crate::suivi::{self as logic, Input};
use crate::{browser, preinscription};

const CONFIRMATION_ID: &str = "renvoi-confirme";
const SUMMARY_ID: &str = "erreurs";

/// Focuses `id` once the view has been updated.
fn focus_soon(id: &'static str) {
    set_timeout(move || browser::focus(id), Duration::from_millis(0));
}

/// A date-time of the API (RFC 3339 UTC) as a French date: "26/11/2026".
fn french_date(rfc3339: &str) -> String {
    shared::date::CalendarDate::parse_iso(rfc3339.get(..10).unwrap_or_default())
        .map(|d| d.to_french())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// The status card, its explanation and what the gestionnaire said.
fn status_view(s: PreRegistrationStatus) -> impl IntoView {
    let code = s.status;
    view! {
        <dl class="status-card">
            <div class="review__row"><dt>"Référence"</dt><dd><strong class="reference">{s.reference}</strong></dd></div>
            <div class="review__row"><dt>"Établissement"</dt><dd>{s.site_nom}</dd></div>
            <div class="review__row"><dt>"Envoyée le"</dt><dd>{french_date(&s.created_at)}</dd></div>
            <div class="review__row"><dt>"État"</dt><dd><strong class=format!("status status--{}", code.code())>{s.status_label}</strong></dd></div>
            <div class="review__row"><dt>"Mis à jour le"</dt><dd>{french_date(&s.updated_at)}</dd></div>
        </dl>
        <p>{preinscription::status_explanation(code)}</p>
        {s.a_completer.filter(|_| code == PreRegistrationStatusCode::ACompleter).map(|t| view! {
            <div class="notice"><p><strong>"À compléter : "</strong>{t}</p></div>
        })}
        {s.motif_refus.filter(|_| code == PreRegistrationStatusCode::Refusee).map(|t| view! {
            <div class="notice"><p><strong>"Motif du refus : "</strong>{t}</p></div>
        })}
        {s.rpps.filter(|_| code == PreRegistrationStatusCode::Validee).map(|rpps| view! {
            <div class="success"><p>"Votre numéro RPPS : "<strong class="reference">{rpps}</strong></p></div>
        })}
        <p class="hint">
            {if s.email_confirmed {
                "Votre adresse email est confirmée."
            } else {
                "Votre adresse email n'est pas encore confirmée : cliquez sur le lien de confirmation de l'email reçu."
            }}
        </p>
    }
}

/// `/suivi/<token>`: the private status page linked from the receipt email.
#[component]
pub fn Suivi() -> impl IntoView {
    crate::set_title("Suivi de votre demande");
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let status = LocalResource::new(move || {
        let token = token();
        async move { api::status(&token).await }
    });
    // The status answered by a resubmission: it replaces the one loaded.
    let resent = RwSignal::new(None::<PreRegistrationStatus>);
    view! {
        <div class="narrow">
            <h1>"Suivi de votre demande"</h1>
            <ErrorBoundary fallback=move |errors| view! {
                <div class="alert" role="alert">
                    <p><strong>"Cette demande n'a pas pu être affichée."</strong></p>
                    {move || errors.get().into_iter().map(|(_, e)| view! { <p>{e.to_string()}</p> }).collect_view()}
                    <p>"Vérifiez que le lien est complet : copiez-le entièrement depuis l'email reçu."</p>
                    <button type="button" class="button button--secondary" on:click=move |_| status.refetch()>"Réessayer"</button>
                </div>
            }>
                <Transition fallback=|| view! { <p class="loading">"Chargement…"</p> }>
                    {move || Suspend::new(async move {
                        status.await.map(|s| {
                            let code = s.status;
                            let token = token();
                            view! {
                                {move || status_view(resent.get().unwrap_or_else(|| s.clone()))}
                                {move || resent.get().is_some().then(|| view! {
                                    <div class="success" id=CONFIRMATION_ID tabindex="-1" role="status">
                                        <p class="lead">"Merci : votre demande corrigée est renvoyée à votre gestionnaire."</p>
                                        <p>"Elle est de nouveau « Reçue » : il l'examinera à nouveau."</p>
                                    </div>
                                })}
                                <Show when=move || code == PreRegistrationStatusCode::ACompleter && resent.get().is_none()>
                                    <Corrections token=token.clone() resent=resent/>
                                </Show>
                            }
                        })
                    })}
                </Transition>
            </ErrorBoundary>
        </div>
    }
}

/// The corrections asked by the gestionnaire, loaded when the request awaits them.
#[component]
fn Corrections(token: String, resent: RwSignal<Option<PreRegistrationStatus>>) -> impl IntoView {
    let load_token = token.clone();
    let loaded = LocalResource::new(move || {
        let token = load_token.clone();
        async move { api::corrections(&token).await }
    });
    view! {
        <section class="section" aria-labelledby="corriger-titre">
            <h2 id="corriger-titre">"Corriger votre demande"</h2>
            <Transition fallback=|| view! { <p class="loading">"Chargement des corrections…"</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match loaded.await {
                            Ok(v) => view! { <CorrectionForm token=token view=v resent=resent/> }.into_any(),
                            Err(e) => view! {
                                <div class="alert" role="alert">
                                    <p>"Les corrections demandées n'ont pas pu être affichées : "{e.to_string()}</p>
                                    <p>"Rechargez la page, ou contactez votre établissement."</p>
                                </div>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The form: each correction with the inputs that fix it, checked by the `shared` rules, then sent back.
#[component]
fn CorrectionForm(
    token: String,
    view: CorrectionsView,
    resent: RwSignal<Option<PreRegistrationStatus>>,
) -> impl IntoView {
    let forms: Vec<logic::CorrectionForm> = view
        .corrections
        .iter()
        .map(|c| logic::correction_form(c, &view.demande))
        .collect();
    let inputs = StoredValue::new(logic::all_inputs(&forms));
    let checked_forms = StoredValue::new(forms.clone());
    let request = RwSignal::new(view.demande);
    let server = RwSignal::new(FieldErrors::new());
    let show_all = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let general_error = RwSignal::new(None::<String>);
    let errors = Memo::new(move |_| {
        request.with(|r| checked_forms.with_value(|f| logic::errors(r, f, browser::today())))
    });
    // Errors show once "Renvoyer" was pressed (and the server's as they come): none appears as a field is left,
    // which would move the button under the pointer.
    let visible = Memo::new(move |_| {
        let client = if show_all.get() {
            errors.get()
        } else {
            FieldErrors::new()
        };
        logic::merged(&client, &server.get())
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        general_error.set(None);
        show_all.set(true);
        if !errors.get_untracked().is_empty() {
            focus_soon(SUMMARY_ID);
            return;
        }
        sending.set(true);
        let token = token.clone();
        let body = request.get_untracked();
        spawn_local(async move {
            let answer = api::resubmit(&token, &body).await;
            sending.set(false);
            match answer {
                Ok(status) => {
                    resent.set(Some(status));
                    focus_soon(CONFIRMATION_ID);
                }
                Err(ApiError::Server {
                    status: 422,
                    envelope,
                }) if !envelope.error.fields.is_empty() => {
                    server.set(envelope.error.fields);
                    focus_soon(SUMMARY_ID);
                }
                Err(error) => general_error.set(Some(error.to_string())),
            }
        });
    };

    let summary = move || {
        let list = inputs.with_value(|i| logic::summary(&visible.get(), i));
        (!list.is_empty()).then(|| {
            let ids: Vec<String> = inputs.with_value(|i| {
                i.iter().map(|input| logic::field_id(&input.key, i)).collect()
            });
            let items = list
                .into_iter()
                .map(|(id, message)| {
                    if ids.contains(&id) {
                        let target = id.clone();
                        view! {
                            <li>
                                <a href=format!("#{id}") on:click=move |ev| {
                                    ev.prevent_default();
                                    browser::focus(&target);
                                }>{message}</a>
                            </li>
                        }
                        .into_any()
                    } else {
                        view! { <li>{message}</li> }.into_any()
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
    };

    let mut shown = BTreeSet::new();
    let fieldsets = forms
        .into_iter()
        .map(|form| {
            let own: Vec<Input> = form
                .inputs
                .into_iter()
                .filter(|i| shown.insert(i.key.clone()))
                .collect();
            let fields = own
                .into_iter()
                .map(|input| view! { <CorrectionInput input=input request=request server=server visible=visible inputs=inputs/> })
                .collect_view();
            view! {
                <fieldset class="field">
                    <legend>"Demandé par votre gestionnaire : "{form.message}</legend>
                    {form.explanation.map(|text| view! { <p class="hint">{text}</p> })}
                    {fields}
                </fieldset>
            }
        })
        .collect_view();

    view! {
        <p>"Corrigez les informations ci-dessous, puis renvoyez votre demande : les autres informations restent celles que vous avez envoyées."</p>
        {summary}
        <form class="step-form" novalidate on:submit=submit>
            {fieldsets}
            {move || general_error.get().map(|message| view! {
                <div class="alert" role="alert"><p>{message}</p></div>
            })}
            <div class="form-actions">
                <button type="submit" class="button" aria-disabled=move || sending.get().then_some("true")>
                    {move || if sending.get() { "Envoi en cours…" } else { "Renvoyer ma demande corrigée" }}
                </button>
            </div>
        </form>
    }
}

/// One labelled input of the correction form, bound to the edited request.
#[component]
fn CorrectionInput(
    input: Input,
    request: RwSignal<shared::api::PreRegistrationRequest>,
    server: RwSignal<FieldErrors>,
    visible: Memo<FieldErrors>,
    inputs: StoredValue<Vec<Input>>,
) -> impl IntoView {
    let id = inputs.with_value(|i| logic::field_id(&input.key, i));
    let error_input = input.clone();
    let error = Memo::new(move |_| visible.with(|v| logic::error_of(v, &error_input)));
    let (key_input, key_value) = (input.key.clone(), input.key.clone());
    let has_hint = input.hint.is_some();
    let describe_id = id.clone();
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field" class:field--error=move || error.get().is_some()>
            <label for=id.clone()>{input.label}</label>
            {input.hint.map(|hint| view! { <p class="hint" id=format!("{id}-aide")>{hint}</p> })}
            {move || error.get().map(|message| view! {
                <p class="field-error" id=error_id.clone()><span class="visually-hidden">"Erreur : "</span>{message}</p>
            })}
            <input
                id=id.clone()
                name=input.key.clone()
                type=input.kind
                autocomplete=input.autocomplete
                spellcheck="false"
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=move || {
                    let mut ids = Vec::new();
                    if has_hint {
                        ids.push(format!("{describe_id}-aide"));
                    }
                    if error.get().is_some() {
                        ids.push(format!("{describe_id}-erreur"));
                    }
                    (!ids.is_empty()).then(|| ids.join(" "))
                }
                prop:value=move || request.with(|r| logic::value(r, &key_value))
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    request.update(|r| logic::set_value(r, &key_input, value));
                    if server.with_untracked(|s| s.contains(&key_input)) {
                        server.update(|s| {
                            let mut inner = std::mem::take(s).into_inner();
                            inner.remove(&key_input);
                            *s = inner.into();
                        });
                    }
                }
            />
        </div>
    }
}

/// `/confirmer-email/<token>`: confirms the address as soon as the link is opened.
#[component]
pub fn ConfirmerEmail() -> impl IntoView {
    crate::set_title("Confirmation de votre adresse email");
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let confirmed = LocalResource::new(move || {
        let token = token();
        async move { api::confirm_email(&token).await }
    });
    view! {
        <div class="narrow">
            <h1>"Confirmation de votre adresse email"</h1>
            <ErrorBoundary fallback=move |errors| view! {
                <div class="alert" role="alert">
                    <p><strong>"L'adresse n'a pas pu être confirmée."</strong></p>
                    {move || errors.get().into_iter().map(|(_, e)| view! { <p>{e.to_string()}</p> }).collect_view()}
                    <p>"Vérifiez que le lien est complet : copiez-le entièrement depuis l'email reçu."</p>
                    <button type="button" class="button button--secondary" on:click=move |_| confirmed.refetch()>"Réessayer"</button>
                </div>
            }>
                <Transition fallback=|| view! { <p class="loading">"Confirmation en cours…"</p> }>
                    {move || Suspend::new(async move {
                        confirmed.await.map(|c| view! {
                            <div class="success">
                                <p class="lead">"Merci : votre adresse email est confirmée."</p>
                                <p>"Demande "<strong class="reference">{c.reference}</strong>". Votre gestionnaire le verra en examinant votre demande."</p>
                            </div>
                        })
                    })}
                </Transition>
            </ErrorBoundary>
        </div>
    }
}
