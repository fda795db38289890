//! `/gestion/integration`: embedding the pre-registration form in the establishment's intranet (issue 6). For each
//! site, the snippet to paste (with a copy button and a live preview); for each entité juridique, the intranet
//! origins allowed to frame the form.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::api::{EmbedEntite, EmbedOriginInput, EmbedOriginRow, EmbedOverview, Site};
use shared::embed::EmbedOrigin;

use super::pages::{RequireSession, Session, SessionState};
use crate::api::{self, ApiError};

/// Address of the page.
pub const INTEGRATION: &str = "/gestion/integration";

/// The snippet an intranet page pastes for one site.
pub fn snippet(enrole_origin: &str, finess: &str) -> String {
    format!(
        "<script src=\"{enrole_origin}/embed.js\" async></script>\n\
         <div data-enrole-form data-finess=\"{finess}\"></div>"
    )
}

/// The address of the preview frame (no `parent`: the preview needs no messages, and Enrôle's own pages may
/// always frame the form).
pub fn preview_src(finess: &str) -> String {
    format!(
        "{}?finess={}",
        crate::embed::EMBED_PATH,
        crate::api::encode_query(finess)
    )
}

/// Checks an origin before sending it: the same rule, and message, as the server's.
pub fn check_origin(input: &str) -> Result<EmbedOrigin, String> {
    EmbedOrigin::parse(input).map_err(|e| e.to_string())
}

/// The warning shown next to a plain-`http` origin.
pub const HTTP_WARNING: &str = "Adresse en http : les réponses du formulaire sont chiffrées entre le navigateur et \
     Enrôle, mais la page de votre intranet ne l'est pas. Préférez https dès que votre intranet le permet.";

/// Writes `text` to the clipboard; false where the browser has no clipboard (plain-http pages) or refuses.
async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = window.navigator().clipboard();
    // Undefined outside secure contexts, although typed as always present.
    if wasm_bindgen::JsValue::from(clipboard.clone()).is_undefined() {
        return false;
    }
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
        .await
        .is_ok()
}

/// Marks the session as over after a 401: [`RequireSession`] then leads to the sign-in page.
fn expired() {
    if let Some(session) = use_context::<Session>() {
        session.0.set(SessionState::SignedOut);
    }
}

#[component]
pub fn Integration() -> impl IntoView {
    view! { <RequireSession><IntegrationView/></RequireSession> }
}

#[component]
fn IntegrationView() -> impl IntoView {
    crate::set_title("Intégrer le formulaire");
    let overview = RwSignal::new(None::<EmbedOverview>);
    let failure = RwSignal::new(None::<String>);
    let session = use_context::<Session>();
    spawn_local(async move {
        match api::gestion_embed_overview().await {
            Ok(found) => overview.set(Some(found)),
            Err(ApiError::Server { status: 401, .. }) => {
                if let Some(session) = session {
                    session.0.set(SessionState::SignedOut);
                }
            }
            Err(error) => failure.set(Some(error.to_string())),
        }
    });
    view! {
        <h1>"Intégrer le formulaire à votre intranet"</h1>
        <p class="lead">
            "Collez le code d'un site dans une page de votre intranet : vos professionnels y remplissent leur \
             pré-inscription, déjà rattachée à ce site, sans quitter l'intranet."
        </p>
        <p>
            "Le formulaire ne s'affiche que dans les pages des adresses (origines) que vous autorisez ci-dessous \
             pour votre entité juridique ; ailleurs, le navigateur le bloque."
        </p>
        {move || failure.get().map(|text| view! { <div class="alert" role="alert"><p>{text}</p></div> })}
        {move || match overview.get() {
            None if failure.with(Option::is_none) => view! { <p class="loading">"Chargement…"</p> }.into_any(),
            None => ().into_any(),
            Some(found) if found.entites_juridiques.is_empty() => view! {
                <p class="notice">"Vous n'êtes rattaché à aucun site."</p>
            }.into_any(),
            Some(found) => {
                let origin = found.enrole_origin.clone();
                found
                    .entites_juridiques
                    .into_iter()
                    .map(|entite| view! { <Entite entite enrole_origin=origin.clone()/> })
                    .collect_view()
                    .into_any()
            }
        }}
    }
}

#[component]
fn Entite(entite: EmbedEntite, enrole_origin: String) -> impl IntoView {
    let heading = format!("ej-{}", entite.id);
    let labelled_by = heading.clone();
    let sites = entite
        .sites
        .into_iter()
        .map(|site| view! { <SiteSnippet site enrole_origin=enrole_origin.clone()/> })
        .collect_view();
    view! {
        <section class="section" aria-labelledby=labelled_by>
            <h2 id=heading>{entite.nom.clone()}</h2>
            <Origins entite_id=entite.id initial=entite.origines/>
            <h3>"Le code à coller, site par site"</h3>
            {sites}
        </section>
    }
}

#[component]
fn Origins(entite_id: i64, initial: Vec<EmbedOriginRow>) -> impl IntoView {
    let origins = RwSignal::new(initial);
    let value = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(String::new());
    let sending = RwSignal::new(false);
    let input_id = format!("origine-{entite_id}");
    let error_id = format!("origine-{entite_id}-erreur");
    let hint_id = format!("origine-{entite_id}-aide");
    let list_heading = format!("origines-{entite_id}");

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        let origin = match check_origin(&value.get_untracked()) {
            Ok(origin) => origin,
            Err(message) => {
                error.set(Some(message));
                status.set(String::new());
                return;
            }
        };
        error.set(None);
        sending.set(true);
        spawn_local(async move {
            let input = EmbedOriginInput {
                entite_juridique_id: entite_id,
                origin: origin.to_string(),
            };
            let answer = api::gestion_add_origin(&input).await;
            sending.set(false);
            match answer {
                Ok(row) => {
                    status.set(format!("Origine {} autorisée.", row.origin));
                    origins.update(|o| o.push(row));
                    value.set(String::new());
                }
                Err(ApiError::Server { status: 401, .. }) => expired(),
                Err(ApiError::Server { envelope, .. })
                    if envelope.error.fields.contains("origin") =>
                {
                    let message = envelope
                        .error
                        .fields
                        .get("origin")
                        .and_then(|m| m.first().cloned())
                        .unwrap_or_default();
                    error.set(Some(message));
                }
                Err(other) => error.set(Some(other.to_string())),
            }
        });
    };

    let remove = move |row: EmbedOriginRow| {
        spawn_local(async move {
            match api::gestion_remove_origin(row.id).await {
                Ok(()) => {
                    origins.update(|o| o.retain(|r| r.id != row.id));
                    status.set(format!("Origine {} retirée.", row.origin));
                }
                Err(ApiError::Server { status: 401, .. }) => expired(),
                Err(other) => status.set(other.to_string()),
            }
        });
    };

    let (error_id_view, input_id_label) = (error_id.clone(), input_id.clone());
    view! {
        <h3 id=list_heading.clone()>"Origines autorisées"</h3>
        {move || {
            let list = origins.get();
            if list.is_empty() {
                view! {
                    <p>"Aucune origine pour l'instant : le formulaire ne peut être intégré que dans les pages d'Enrôle."</p>
                }.into_any()
            } else {
                let items = list
                    .into_iter()
                    .map(|row| {
                        let label = format!("Retirer l'origine {}", row.origin);
                        let insecure = row.insecure;
                        let shown = row.origin.clone();
                        view! {
                            <li>
                                <code>{shown}</code>
                                {insecure.then(|| view! { <span class="badge">"http : non chiffré"</span> })}
                                <button
                                    type="button"
                                    class="button button--secondary button--small"
                                    aria-label=label
                                    on:click=move |_| remove(row.clone())
                                >
                                    "Retirer"
                                </button>
                            </li>
                        }
                    })
                    .collect_view();
                view! { <ul class="origin-list" aria-labelledby=list_heading.clone()>{items}</ul> }.into_any()
            }
        }}
        {move || origins.with(|o| o.iter().any(|r| r.insecure)).then(|| view! {
            <p class="notice">{HTTP_WARNING}</p>
        })}
        <p role="status">{move || status.get()}</p>
        <form class="field-row" novalidate on:submit=submit>
            <div class="field" class:field--error=move || error.with(Option::is_some)>
                <label for=input_id_label>"Adresse de votre intranet"</label>
                <p class="hint" id=hint_id.clone()>
                    "Le début de l'adresse de la page qui intègre le formulaire : https://, le nom de la machine et \
                     éventuellement le port, par exemple https://intranet.mon-etablissement.fr."
                </p>
                {move || error.get().map(|message| view! {
                    <p class="field-error" id=error_id_view.clone()>
                        <span class="visually-hidden">"Erreur : "</span>{message}
                    </p>
                })}
                <input
                    id=input_id.clone()
                    name="origin"
                    type="url"
                    inputmode="url"
                    spellcheck="false"
                    autocomplete="off"
                    aria-invalid=move || error.with(Option::is_some).then_some("true")
                    aria-describedby=move || {
                        if error.with(Option::is_some) {
                            format!("{hint_id} {error_id}")
                        } else {
                            hint_id.clone()
                        }
                    }
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" class="button" disabled=move || sending.get()>"Autoriser cette origine"</button>
        </form>
        {move || value.with(|v| check_origin(v).is_ok_and(|o| o.is_insecure())).then(|| view! {
            <p class="hint">{HTTP_WARNING}</p>
        })}
    }
}

#[component]
fn SiteSnippet(site: Site, enrole_origin: String) -> impl IntoView {
    let Some(finess) = site.finess.clone() else {
        return view! {
            <div class="integration-site">
                <h4>{site.nom.clone()}</h4>
                <p>"Ce site n'a pas de numéro FINESS géographique : le formulaire intégré ne peut pas le désigner."</p>
            </div>
        }
        .into_any();
    };
    let code = snippet(&enrole_origin, &finess);
    let copied = RwSignal::new(String::new());
    let preview = RwSignal::new(false);
    let code_id = format!("code-{finess}");
    let to_copy = code.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        spawn_local(async move {
            let message = if copy_text(&text).await {
                "Code copié dans le presse-papiers."
            } else {
                "Copie impossible : sélectionnez le code et copiez-le (Ctrl+C)."
            };
            copied.set(message.to_owned());
        });
    };
    let name = site.nom.clone();
    let title = format!("Aperçu du formulaire intégré : {name}");
    let copy_label = format!("Copier le code de {name}");
    let preview_label = format!("Aperçu pour {name}");
    let src = preview_src(&finess);
    view! {
        <div class="integration-site">
            <h4>{name.clone()}" "<span class="embed-site__finess">{format!("(FINESS {finess})")}</span></h4>
            <pre class="snippet" id=code_id><code>{code}</code></pre>
            <div class="integration-actions">
                <button type="button" class="button button--secondary" aria-label=copy_label on:click=copy>
                    "Copier le code"
                </button>
                <button
                    type="button"
                    class="button button--secondary"
                    aria-label=preview_label
                    aria-expanded=move || if preview.get() { "true" } else { "false" }
                    on:click=move |_| preview.update(|p| *p = !*p)
                >
                    {move || if preview.get() { "Masquer l'aperçu" } else { "Afficher l'aperçu" }}
                </button>
                <p role="status">{move || copied.get()}</p>
            </div>
            <Show when=move || preview.get()>
                <iframe
                    class="integration-preview"
                    sandbox="allow-scripts allow-forms allow-same-origin"
                    src=src.clone()
                    title=title.clone()
                ></iframe>
            </Show>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_is_one_script_and_one_element() {
        assert_eq!(
            snippet("https://enrole.exemple.fr", "319999926"),
            "<script src=\"https://enrole.exemple.fr/embed.js\" async></script>\n\
             <div data-enrole-form data-finess=\"319999926\"></div>"
        );
    }

    #[test]
    fn the_preview_frames_the_compact_form_of_the_site() {
        assert_eq!(
            preview_src("2A0000012"),
            "/integration/formulaire?finess=2A0000012"
        );
    }

    #[test]
    fn origins_are_checked_with_the_servers_rule() {
        assert_eq!(
            check_origin("HTTPS://Intranet.fr/").map(String::from),
            Ok("https://intranet.fr".to_owned())
        );
        let message = check_origin("https://intranet.fr/page").expect_err("a path");
        assert!(message.contains("sans chemin"), "{message}");
        assert!(check_origin("http://intranet.local").is_ok_and(|o| o.is_insecure()));
    }
}
