use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::PreRegistrationStatusCode;

use crate::{api, preinscription};

/// A date-time of the API (RFC 3339 UTC) as a French date: "26/11/2026".
fn french_date(rfc3339: &str) -> String {
    shared::date::CalendarDate::parse_iso(rfc3339.get(..10).unwrap_or_default())
        .map(|d| d.to_french())
        .unwrap_or_else(|_| rfc3339.to_owned())
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
                        })
                    })}
                </Transition>
            </ErrorBoundary>
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
