use leptos::prelude::*;
use shared::api::NomenclatureEntry;
use shared::nomenclature::{PROFESSION_CODE, PROFESSION_LABEL};

use crate::{api, metiers};

/// `/roles`: the six rôles (from the API) and a search over the métiers, saying which of the two decides DMP access.
#[component]
pub fn Roles() -> impl IntoView {
    crate::set_title("Rôles et métiers");
    let nomenclatures = LocalResource::new(api::nomenclatures);

    view! {
        <div class="hero">
            <h1>"Rôles et métiers"</h1>
            <p class="lead">
                "Dans le RPPS+, votre profession est toujours « "{PROFESSION_LABEL}" » (code "{PROFESSION_CODE}
                "). Deux choix vous décrivent : votre rôle, c'est-à-dire ce que vous faites, et votre métier."
            </p>
        </div>
        <p class="key-point">
            <strong>"C'est le rôle, et non le métier, qui détermine vos droits d'accès au DMP."</strong>
            " Le métier est indicatif : choisissez le rôle qui correspond à ce que vous faites au quotidien."
        </p>
        <section class="section" aria-labelledby="les-roles">
            <h2 id="les-roles">"Les 6 rôles"</h2>
            <ErrorBoundary fallback=move |errors| {
                view! {
                    <div class="alert" role="alert">
                        <p><strong>"Les rôles n'ont pas pu être chargés."</strong></p>
                        {move || {
                            errors
                                .get()
                                .into_iter()
                                .map(|(_, error)| view! { <p>{error.to_string()}</p> })
                                .collect_view()
                        }}
                        <button type="button" class="button button--secondary" on:click=move |_| nomenclatures.refetch()>
                            "Réessayer"
                        </button>
                    </div>
                }
            }>
                <Transition fallback=|| view! { <p class="loading">"Chargement des rôles…"</p> }>
                    {move || Suspend::new(async move {
                        nomenclatures.await.map(|nomenclatures| view! { <RoleList roles=nomenclatures.roles/> })
                    })}
                </Transition>
            </ErrorBoundary>
        </section>
        <MetierSearch/>
    }
}

#[component]
fn RoleList(roles: Vec<NomenclatureEntry>) -> impl IntoView {
    let items = roles
        .into_iter()
        .map(|role| {
            view! {
                <li class="card role">
                    <h3>{role.label}</h3>
                    <p class="tag">"Code "{role.code}</p>
                    {role.description.map(|description| view! { <p>{description}</p> })}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="role-list">{items}</ul> }
}

#[component]
fn MetierSearch() -> impl IntoView {
    let (query, set_query) = signal(String::new());
    let results = move || metiers::search(&query.read());
    let list = move || {
        results()
            .into_iter()
            .map(|metier| {
                view! {
                    <li class="metier">
                        <span class="metier__label">{metier.label}</span>
                        " "
                        <span class="tag">"Code "{metier.code}</span>
                        {metiers::other_names(metier).map(|names| view! { <span class="metier__aliases">{names}</span> })}
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <section class="section" aria-labelledby="trouver-metier">
            <h2 id="trouver-metier">"Trouver mon métier"</h2>
            <p>
                "Le RPPS+ compte une soixantaine de métiers. Cherchez le vôtre par son nom ou par son abréviation \
                 usuelle : les anciens intitulés mènent au métier actuel."
            </p>
            <div class="field">
                <label for="recherche-metier">"Votre métier"</label>
                <p class="hint" id="recherche-metier-aide">
                    "Par exemple : AMP, éducateur spécialisé, secrétaire médicale."
                </p>
                <input
                    id="recherche-metier"
                    type="search"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="recherche-metier-aide"
                    prop:value=query
                    on:input=move |ev| set_query.set(event_target_value(&ev))
                />
            </div>
            <p class="search-summary" role="status">{move || metiers::summary(&query.read(), results().len())}</p>
            <ul class="metier-list">{list}</ul>
        </section>
    }
}
