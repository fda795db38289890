//! `/gestion/professionnels` (the establishment's directory: search, filters, "Charger plus") and
//! `/gestion/professionnels/:id` (one person: identity, contact, situations with their update, add and close forms
//! confirmed inline, history). Thin components over [`super::annuaire`] and `crate::api`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{
    BirthPlaceInput, CloseSituationRequest, ContactCorrection, EtatCivilCorrection,
    ExerciceNamesUpdate, GestionSite, NewSituationRequest, ProfessionalDetail, ProfessionalHistory,
    ProfessionalRow, SituationUpdate, SituationView,
};
use shared::departure::EndReason;
use shared::nomenclature::{Metier, ModeExercice, Role};

use super::annuaire::{
    DirectoryFilter, ENREGISTRER, PROFESSIONNELS, check_closing, check_contact, check_etat_civil,
    check_exercice, check_situation, closing_is_scheduled, display_name, person_href,
    situation_state,
};
use super::pages::{RequireSession, after_render, expired, session};
use crate::api::{self, ApiError};
use crate::browser;

/// Errors of one inline form: (element id, message).
type Errors = RwSignal<Vec<(String, String)>>;

fn error_for(errors: Errors, id: &str) -> Option<String> {
    errors.with(|list| list.iter().find(|(f, _)| f == id).map(|(_, m)| m.clone()))
}

/// The errors of a 422 envelope, renamed to the form's element ids.
fn server_errors(error: &ApiError, prefix: &str, names: &[(&str, &str)]) -> Vec<(String, String)> {
    let ApiError::Server { envelope, .. } = error else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|(api, id)| {
            envelope
                .error
                .fields
                .get(api)
                .and_then(|m| m.first())
                .map(|m| (format!("{prefix}{id}"), m.clone()))
        })
        .collect()
}

/// A labelled control's error line and `aria-describedby`.
#[component]
fn FieldMessage(errors: Errors, #[prop(into)] id: String) -> impl IntoView {
    let for_id = id.clone();
    move || {
        error_for(errors, &for_id).map(|m| {
            view! {
                <p class="field-error" id=format!("{id}-erreur")><span class="visually-hidden">"Erreur : "</span>{m}</p>
            }
        })
    }
}

fn described(errors: Errors, id: String) -> impl Fn() -> Option<String> {
    move || error_for(errors, &id).map(|_| format!("{id}-erreur"))
}

/// A select over `(value, label)` options, with its label and error.
#[component]
fn Select(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    options: Vec<(String, String)>,
    value: RwSignal<String>,
    errors: Errors,
    #[prop(optional, into)] blank: Option<String>,
) -> impl IntoView {
    let invalid_id = id.clone();
    let invalid = Memo::new(move |_| error_for(errors, &invalid_id).is_some());
    let options = options
        .into_iter()
        .map(|(v, l)| {
            let selected = v.clone();
            view! { <option value=v prop:selected=move || value.with(|x| *x == selected)>{l}</option> }
        })
        .collect_view();
    view! {
        <div class="field" class:field--error=move || invalid.get()>
            <label for=id.clone()>{label}</label>
            <FieldMessage errors id=id.clone()/>
            <select
                id=id.clone()
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=described(errors, id.clone())
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {blank.map(|b| view! { <option value="" prop:selected=move || value.with(String::is_empty)>{b}</option> })}
                {options}
            </select>
        </div>
    }
}

/// A labelled input, with its error.
#[component]
fn Input(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    errors: Errors,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let invalid_id = id.clone();
    let invalid = Memo::new(move |_| error_for(errors, &invalid_id).is_some());
    let hint_id = format!("{id}-aide");
    let describe = {
        let id = id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error_for(errors, &id).is_some() {
                ids.push(format!("{id}-erreur"));
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field--error=move || invalid.get()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <FieldMessage errors id=id.clone()/>
            <input
                id=id.clone()
                type=kind
                autocomplete=autocomplete.unwrap_or("off")
                spellcheck="false"
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=describe
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

fn metier_options() -> Vec<(String, String)> {
    Metier::all()
        .map(|m| (m.code().to_owned(), format!("{} ({})", m.label(), m.code())))
        .collect()
}

fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|r| (r.code().to_owned(), r.label().to_owned()))
        .collect()
}

fn mode_options() -> Vec<(String, String)> {
    ModeExercice::ALL
        .iter()
        .map(|m| (m.code().to_owned(), m.label().to_owned()))
        .collect()
}

fn site_options(sites: &[GestionSite]) -> Vec<(String, String)> {
    sites
        .iter()
        .map(|s| (s.id.to_string(), s.nom.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// The directory.

/// `/gestion/professionnels`.
#[component]
pub fn Professionnels() -> impl IntoView {
    view! { <RequireSession><Directory/></RequireSession> }
}

#[component]
fn Directory() -> impl IntoView {
    crate::set_title("Professionnels de l'établissement");
    let session = session();
    let sites = session
        .me_untracked()
        .map(|me| me.sites)
        .unwrap_or_default();
    let q = RwSignal::new(String::new());
    let site = RwSignal::new(String::new());
    let metier = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let statut = RwSignal::new(String::new());
    let errors: Errors = RwSignal::new(Vec::new());
    let rows = RwSignal::new(Vec::<ProfessionalRow>::new());
    let cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let applied = RwSignal::new(DirectoryFilter::default());

    let load = move |more: bool| {
        let filter = applied.get_untracked();
        let after = if more { cursor.get_untracked() } else { None };
        loading.set(true);
        failure.set(None);
        spawn_local(async move {
            let answer = api::gestion_professionnels(&filter.query(after.as_deref())).await;
            if rows.is_disposed() {
                return;
            }
            match answer {
                Ok(page) => {
                    let first_new = rows.with_untracked(Vec::len);
                    if more {
                        rows.update(|r| r.extend(page.professionnels));
                        // Keyboard users continue from the first new row.
                        after_render(move || browser::focus(&format!("personne-{first_new}")));
                    } else {
                        rows.set(page.professionnels);
                    }
                    cursor.set(page.next_cursor);
                    errors.set(Vec::new());
                }
                Err(ApiError::Server { status: 401, .. }) => expired(session),
                Err(error) => {
                    let fields = server_errors(&error, "annuaire-", &[("q", "q")]);
                    if fields.is_empty() {
                        failure.set(Some(error.to_string()));
                    } else {
                        errors.set(fields);
                    }
                }
            }
            loading.set(false);
        });
    };
    load(false);
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(DirectoryFilter {
            q: q.get_untracked(),
            site: site.get_untracked(),
            metier: metier.get_untracked(),
            role: role.get_untracked(),
            statut: statut.get_untracked(),
        });
        load(false);
    };
    let statut_options = vec![
        ("actives".to_owned(), "Situations actives".to_owned()),
        ("cloturees".to_owned(), "Situations clôturées".to_owned()),
    ];
    let list = move || {
        let list = rows.get();
        if list.is_empty() {
            return view! { <p>"Aucune personne ne correspond à ces critères."</p> }.into_any();
        }
        view! {
            <ul class="directory">
                {list.into_iter().enumerate().map(|(index, p)| view! { <PersonLine index person=p/> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <h1>"Professionnels de l'établissement"</h1>
        <p>"Toutes les personnes qui ont ou ont eu une situation d'exercice dans vos sites. "
            <A href=ENREGISTRER>"Enregistrer une personne"</A></p>
        <form class="filters" role="search" aria-label="Rechercher dans l'annuaire" on:submit=search>
            <Input id="annuaire-q" label="Nom, prénom ou numéro RPPS" value=q errors hint="Les accents et les majuscules ne comptent pas."/>
            <Select id="annuaire-site" label="Site" options=site_options(&sites) value=site errors blank="Tous vos sites"/>
            <Select id="annuaire-metier" label="Métier" options=metier_options() value=metier errors blank="Tous les métiers"/>
            <Select id="annuaire-role" label="Rôle" options=role_options() value=role errors blank="Tous les rôles"/>
            <Select id="annuaire-statut" label="Situations" options=statut_options value=statut errors blank="Actives et clôturées"/>
            <button type="submit" class="button">"Rechercher"</button>
        </form>
        {move || failure.get().map(|text| view! { <div class="alert" role="alert"><p>{text}</p></div> })}
        <p class="visually-hidden" role="status">
            {move || if loading.get() { "Chargement…".to_owned() } else { format!("{} personne(s) affichée(s)", rows.with(Vec::len)) }}
        </p>
        {list}
        <Show when=move || cursor.with(Option::is_some)>
            <button type="button" class="button button--secondary" on:click=move |_| load(true)
                aria-disabled=move || loading.get().then_some("true")>"Charger plus"</button>
        </Show>
    }
}

#[component]
fn PersonLine(index: usize, person: ProfessionalRow) -> impl IntoView {
    let situations = person
        .situations
        .iter()
        .map(|s| {
            view! {
                <li>{format!("{} — {} — {} — {}", s.site_nom, s.metier_label, s.role_label, situation_state(s))}</li>
            }
        })
        .collect_view();
    view! {
        <li class="directory__person">
            <p class="directory__name">
                <A href=person_href(person.id) attr:id=format!("personne-{index}")>
                    {display_name(&person.prenom_exercice, &person.nom_exercice)}
                </A>
                " · RPPS "{person.rpps.clone()}
            </p>
            <ul class="directory__situations">{situations}</ul>
        </li>
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One person.

/// `/gestion/professionnels/:id`.
#[component]
pub fn ProfessionnelPage() -> impl IntoView {
    view! { <RequireSession><Person/></RequireSession> }
}

#[component]
fn Person() -> impl IntoView {
    crate::set_title("Professionnel");
    let session = session();
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let detail = RwSignal::new(None::<ProfessionalDetail>);
    let history = RwSignal::new(None::<ProfessionalHistory>);
    let failure = RwSignal::new(None::<String>);
    let refresh_history = move |id: i64| {
        spawn_local(async move {
            if let Ok(found) = api::gestion_historique(id).await
                && !history.is_disposed()
            {
                history.set(Some(found));
            }
        });
    };
    Effect::new(move |_| {
        let Some(id) = id() else {
            failure.set(Some("Cette adresse ne désigne aucune personne.".to_owned()));
            return;
        };
        spawn_local(async move {
            let answer = api::gestion_professionnel(id).await;
            if detail.is_disposed() {
                return;
            }
            match answer {
                Ok(found) => {
                    crate::set_title(&display_name(&found.prenom_exercice, &found.nom_exercice));
                    detail.set(Some(found));
                    refresh_history(id);
                }
                Err(ApiError::Server { status: 401, .. }) => expired(session),
                Err(error) => failure.set(Some(error.to_string())),
            }
        });
    });
    // After a change: the page shows the answer, and the history the new entry.
    let updated = Callback::new(move |found: ProfessionalDetail| {
        let id = found.id;
        detail.set(Some(found));
        refresh_history(id);
    });
    let sites = session
        .me_untracked()
        .map(|me| me.sites)
        .unwrap_or_default();
    view! {
        <p><A href=PROFESSIONNELS>"← Retour à l'annuaire"</A></p>
        {move || failure.get().map(|text| view! {
            <h1>"Professionnel"</h1>
            <div class="alert" role="alert"><p>{text}</p></div>
        })}
        {move || match detail.get() {
            Some(found) => view! { <PersonContent detail=found sites=sites.clone() updated/> }.into_any(),
            None if failure.with(Option::is_none) => view! { <p class="loading">"Chargement…"</p> }.into_any(),
            None => ().into_any(),
        }}
        {move || history.get().map(|h| view! { <History history=h/> })}
    }
}

fn row(label: &'static str, value: String) -> impl IntoView {
    view! { <div class="review__row"><dt>{label}</dt><dd>{value}</dd></div> }
}

fn french(iso: &str) -> String {
    shared::date::CalendarDate::parse_iso(iso).map_or_else(|_| iso.to_owned(), |d| d.to_french())
}

#[component]
fn PersonContent(
    detail: ProfessionalDetail,
    sites: Vec<GestionSite>,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let name = display_name(&detail.prenom_exercice, &detail.nom_exercice);
    let place = match (&detail.commune_libre, &detail.lieu_naissance) {
        (Some(libre), _) => format!("{} ({})", libre.nom, libre.departement),
        (None, p) => match (&p.commune_cog, &p.pays_cog) {
            (Some(c), _) => format!("Commune INSEE {c}"),
            (None, Some(pays)) => format!(
                "{} (pays INSEE {pays})",
                p.ville_etrangere.clone().unwrap_or_default()
            ),
            _ => "Non renseigné".to_owned(),
        },
    };
    let civilite = shared::civilite::Civilite::parse(&detail.civilite)
        .map(|c| c.label().to_owned())
        .unwrap_or_default();
    let pending = detail.pending_request.then(|| {
        view! {
            <div class="alert" role="status"><p>"Une demande d'enregistrement de cette personne est en attente dans une file de gestionnaire : ses situations et ses noms d'exercice ne peuvent pas être modifiés avant qu'elle soit traitée."</p></div>
        }
    });
    let others = (detail.other_active_situations > 0).then(|| {
        view! { <p class="hint">{format!("Elle a aussi {} situation(s) active(s) dans d'autres établissements, qui ne vous sont pas montrées.", detail.other_active_situations)}</p> }
    });
    let situations = detail
        .situations
        .iter()
        .cloned()
        .map(|s| view! { <Situation id=detail.id situation=s updated/> })
        .collect_view();
    let id = detail.id;
    view! {
        <h1>{name}</h1>
        <p class="lead">"Numéro RPPS : "<strong class="reference">{detail.rpps.clone()}</strong></p>
        {pending}
        <section class="section" aria-labelledby="identite">
            <h2 id="identite">"Identité"</h2>
            <dl>
                {row("Civilité", civilite)}
                {row("Nom de naissance", detail.nom_naissance.clone())}
                {row("Prénoms", detail.prenoms.join(", "))}
                {row("Date de naissance", french(&detail.date_naissance))}
                {row("Lieu de naissance", place)}
                {row("Nom et prénom d'exercice", display_name(&detail.prenom_exercice, &detail.nom_exercice))}
            </dl>
            <ExerciceForm id nom=detail.nom_exercice.clone() prenom=detail.prenom_exercice.clone() updated/>
            <EtatCivilForm detail=detail.clone() updated/>
        </section>
        <section class="section" aria-labelledby="coordonnees">
            <h2 id="coordonnees">"Coordonnées"</h2>
            <dl>
                {row("Email", detail.email.clone())}
                {row("Mobile", detail.mobile.clone())}
                {row("e-CPS", if detail.ecps_active { "Activée".to_owned() } else { "Pas encore activée".to_owned() })}
            </dl>
            <ContactForm id updated/>
        </section>
        <section class="section" aria-labelledby="situations">
            <h2 id="situations">"Situations d'exercice dans vos sites"</h2>
            {others}
            <ul class="situations">{situations}</ul>
            <AddSituation id sites updated/>
        </section>
    }
}

/// One situation, with its "Modifier" and "Clôturer" forms.
#[component]
fn Situation(
    id: i64,
    situation: SituationView,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let s = situation;
    let prefix = format!("situation-{}-", s.id);
    let heading_id = format!("situation-{}", s.id);
    let mode = RwSignal::new(None::<&'static str>);
    let label = format!("{} — {}", s.site_nom, situation_state(&s));
    let end_reason = s.end_reason_label.clone().map(|r| row("Motif de fin", r));
    let active = s.active;
    let closing_scheduled = s.end_date.is_some();
    let edit = s.clone();
    let close = s.clone();
    let prefix_edit = prefix.clone();
    let prefix_close = prefix.clone();
    view! {
        <li class="situation">
            <h3 id=heading_id.clone()>{label}</h3>
            <dl>
                {row("Métier", s.metier_label.clone())}
                {row("Rôle", s.role_label.clone())}
                {row("Mode d'exercice", s.mode_exercice_label.clone())}
                {row("Prise de fonction", french(&s.date_prise_fonction))}
                {s.end_date.as_deref().map(|d| row("Date de fin", french(d)))}
                {end_reason}
            </dl>
            <Show when=move || active>
                <div class="form-actions">
                    <button type="button" class="button button--secondary button--small"
                        aria-expanded=move || (mode.get() == Some("modifier")).to_string()
                        on:click=move |_| mode.set(if mode.get_untracked() == Some("modifier") { None } else { Some("modifier") })>
                        "Modifier"<span class="visually-hidden">{format!(" la situation à {}", s.site_nom)}</span>
                    </button>
                    <button type="button" class="button button--secondary button--small"
                        aria-expanded=move || (mode.get() == Some("cloturer")).to_string()
                        on:click=move |_| mode.set(if mode.get_untracked() == Some("cloturer") { None } else { Some("cloturer") })>
                        {if closing_scheduled { "Changer la clôture" } else { "Clôturer" }}
                        <span class="visually-hidden">{format!(" la situation à {}", s.site_nom)}</span>
                    </button>
                </div>
            </Show>
            {
                let edit = edit.clone();
                let close = close.clone();
                let prefix_edit = prefix_edit.clone();
                let prefix_close = prefix_close.clone();
                move || match mode.get() {
                    Some("modifier") => view! { <EditSituation id situation=edit.clone() prefix=prefix_edit.clone() mode updated/> }.into_any(),
                    Some("cloturer") => view! { <CloseSituation id situation=close.clone() prefix=prefix_close.clone() mode updated/> }.into_any(),
                    _ => ().into_any(),
                }
            }
        </li>
    }
}

fn submit_failed(
    session_error: &ApiError,
    errors: Errors,
    failure: RwSignal<Option<String>>,
    fields: Vec<(String, String)>,
) {
    if let ApiError::Server { status: 401, .. } = session_error {
        expired(session());
        return;
    }
    if fields.is_empty() {
        failure.set(Some(session_error.to_string()));
    } else {
        errors.set(fields);
    }
}

#[component]
fn EditSituation(
    id: i64,
    situation: SituationView,
    prefix: String,
    mode: RwSignal<Option<&'static str>>,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let metier = RwSignal::new(situation.metier.clone());
    let role = RwSignal::new(situation.role.clone());
    let mode_exercice = RwSignal::new(situation.mode_exercice.clone());
    let date = RwSignal::new(situation.date_prise_fonction.clone());
    let errors: Errors = RwSignal::new(Vec::new());
    let failure = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let p = prefix.clone();
    let first = format!("{prefix}metier");
    after_render(move || browser::focus(&first));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        failure.set(None);
        let request = SituationUpdate {
            metier: metier.get_untracked(),
            role: role.get_untracked(),
            mode_exercice: mode_exercice.get_untracked(),
            date_prise_fonction: date.get_untracked(),
        };
        let local = check_situation(
            &p,
            &request.metier,
            &request.role,
            &request.mode_exercice,
            &request.date_prise_fonction,
            browser::today(),
        );
        errors.set(local.clone());
        if !local.is_empty() {
            return;
        }
        sending.set(true);
        let p = p.clone();
        let situation_id = situation.id;
        spawn_local(async move {
            match api::gestion_update_situation(id, situation_id, &request).await {
                Ok(found) => {
                    mode.set(None);
                    updated.run(found);
                }
                Err(error) => {
                    let fields = server_errors(
                        &error,
                        &p,
                        &[
                            ("metier", "metier"),
                            ("role", "role"),
                            ("mode_exercice", "mode"),
                            ("date_prise_fonction", "date"),
                        ],
                    );
                    submit_failed(&error, errors, failure, fields);
                }
            }
            sending.set(false);
        });
    };
    view! {
        <form class="inline-form" novalidate on:submit=submit aria-label=format!("Modifier la situation à {}", situation.site_nom)>
            <Select id=format!("{prefix}metier") label="Métier" options=metier_options() value=metier errors/>
            <Select id=format!("{prefix}role") label="Rôle" options=role_options() value=role errors/>
            <Select id=format!("{prefix}mode") label="Mode d'exercice" options=mode_options() value=mode_exercice errors/>
            <Input id=format!("{prefix}date") label="Date de prise de fonction" kind="date" value=date errors/>
            <p class="hint">"La personne recevra un email décrivant la modification."</p>
            {move || failure.get().map(|t| view! { <div class="alert" role="alert"><p>{t}</p></div> })}
            <div class="form-actions">
                <button type="submit" class="button" aria-disabled=move || sending.get().then_some("true")>"Enregistrer la modification"</button>
                <button type="button" class="button button--secondary" on:click=move |_| mode.set(None)>"Annuler"</button>
            </div>
        </form>
    }
}

#[component]
fn CloseSituation(
    id: i64,
    situation: SituationView,
    prefix: String,
    mode: RwSignal<Option<&'static str>>,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let end = RwSignal::new(situation.end_date.clone().unwrap_or_default());
    let reason = RwSignal::new(situation.end_reason.clone().unwrap_or_default());
    let errors: Errors = RwSignal::new(Vec::new());
    let failure = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    // Step 2 of the inline confirmation: the values were checked, the gestionnaire confirms.
    let confirming = RwSignal::new(false);
    let first = format!("{prefix}fin");
    after_render(move || browser::focus(&first));
    let start = situation.date_prise_fonction.clone();
    let p = prefix.clone();
    let check = move || {
        let local = check_closing(
            &p,
            &end.get_untracked(),
            &reason.get_untracked(),
            &start,
            browser::today(),
        );
        errors.set(local.clone());
        local.is_empty()
    };
    let p2 = prefix.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        if !confirming.get_untracked() {
            if check() {
                confirming.set(true);
                let target = format!("{p2}confirmer");
                after_render(move || browser::focus(&target));
            }
            return;
        }
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        let request = CloseSituationRequest {
            end_date: end.get_untracked(),
            end_reason: reason.get_untracked(),
        };
        let p = p2.clone();
        let situation_id = situation.id;
        spawn_local(async move {
            match api::gestion_close_situation(id, situation_id, &request).await {
                Ok(found) => {
                    mode.set(None);
                    updated.run(found);
                }
                Err(error) => {
                    confirming.set(false);
                    let fields =
                        server_errors(&error, &p, &[("end_date", "fin"), ("end_reason", "motif")]);
                    submit_failed(&error, errors, failure, fields);
                }
            }
            sending.set(false);
        });
    };
    let reasons: Vec<(String, String)> = EndReason::ALL
        .iter()
        .map(|r| (r.code().to_owned(), r.label().to_owned()))
        .collect();
    let site = situation.site_nom.clone();
    let summary = move || {
        let end_iso = end.get();
        let when = french(&end_iso);
        if closing_is_scheduled(&end_iso, browser::today()) {
            format!(
                "La situation à {site} restera active jusqu'au {when}, puis sera clôturée automatiquement ce jour-là. La personne recevra un email lui rappelant de mettre à jour ses autres situations (eRPPS, Ordre)."
            )
        } else {
            format!(
                "La situation à {site} sera clôturée au {when}. Elle restera visible dans l'historique ; la personne garde son numéro RPPS et recevra un email lui rappelant de mettre à jour ses autres situations (eRPPS, Ordre)."
            )
        }
    };
    view! {
        <form class="inline-form" novalidate on:submit=submit aria-label=format!("Clôturer la situation à {}", situation.site_nom)>
            <Input id=format!("{prefix}fin") label="Date de fin" kind="date" value=end errors
                hint="Passée, aujourd'hui, ou à venir (fin de CDD, d'intérim) : jamais avant la prise de fonction."/>
            <Select id=format!("{prefix}motif") label="Motif de fin" options=reasons value=reason errors blank="Choisissez un motif"/>
            {move || failure.get().map(|t| view! { <div class="alert" role="alert"><p>{t}</p></div> })}
            <Show when=move || confirming.get()>
                <div class="alert alert--warning" role="status"><p>{summary.clone()}</p></div>
            </Show>
            <div class="form-actions">
                {
                    let confirm_id = format!("{prefix}confirmer");
                    move || if confirming.get() {
                        view! { <button type="submit" id=confirm_id.clone() class="button" aria-disabled=move || sending.get().then_some("true")>"Confirmer la clôture"</button> }.into_any()
                    } else {
                        view! { <button type="submit" class="button">"Clôturer la situation"</button> }.into_any()
                    }
                }
                <button type="button" class="button button--secondary" on:click=move |_| mode.set(None)>"Annuler"</button>
            </div>
        </form>
    }
}

#[component]
fn AddSituation(
    id: i64,
    sites: Vec<GestionSite>,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let site = RwSignal::new(String::new());
    let metier = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let mode = RwSignal::new("S".to_owned());
    let date = RwSignal::new(String::new());
    let errors: Errors = RwSignal::new(Vec::new());
    let failure = RwSignal::new(None::<String>);
    let sending = RwSignal::new(false);
    let prefix = "ajout-";
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() {
            return;
        }
        failure.set(None);
        let mut local = check_situation(
            prefix,
            &metier.get_untracked(),
            &role.get_untracked(),
            &mode.get_untracked(),
            &date.get_untracked(),
            browser::today(),
        );
        let site_id: Option<i64> = site.with_untracked(|s| s.parse().ok());
        if site_id.is_none() {
            local.insert(
                0,
                (format!("{prefix}site"), "Choisissez le site.".to_owned()),
            );
        }
        errors.set(local.clone());
        if !local.is_empty() {
            return;
        }
        sending.set(true);
        let request = NewSituationRequest {
            site_id,
            metier: metier.get_untracked(),
            role: role.get_untracked(),
            mode_exercice: mode.get_untracked(),
            date_prise_fonction: date.get_untracked(),
        };
        spawn_local(async move {
            match api::gestion_add_situation(id, &request).await {
                Ok(found) => {
                    open.set(false);
                    updated.run(found);
                }
                Err(error) => {
                    let fields = server_errors(
                        &error,
                        prefix,
                        &[
                            ("site_id", "site"),
                            ("metier", "metier"),
                            ("role", "role"),
                            ("mode_exercice", "mode"),
                            ("date_prise_fonction", "date"),
                        ],
                    );
                    submit_failed(&error, errors, failure, fields);
                }
            }
            sending.set(false);
        });
    };
    let options = site_options(&sites);
    view! {
        <button type="button" class="button button--secondary" aria-expanded=move || open.get().to_string()
            on:click=move |_| {
                open.update(|o| *o = !*o);
                if open.get_untracked() {
                    after_render(|| browser::focus("ajout-site"));
                }
            }>"Ajouter une situation dans un autre de vos sites"</button>
        <Show when=move || open.get()>
            <form class="inline-form" novalidate on:submit=submit aria-label="Ajouter une situation d'exercice">
                <p class="hint">"Une personne peut exercer dans plusieurs structures, une situation par structure. Dans un site où elle exerce déjà, modifiez plutôt le rôle de sa situation."</p>
                <Select id="ajout-site" label="Site" options=options.clone() value=site errors blank="Choisissez un site"/>
                <Select id="ajout-metier" label="Métier" options=metier_options() value=metier errors blank="Choisissez un métier"/>
                <Select id="ajout-role" label="Rôle" options=role_options() value=role errors blank="Choisissez un rôle"/>
                <Select id="ajout-mode" label="Mode d'exercice" options=mode_options() value=mode errors/>
                <Input id="ajout-date" label="Date de prise de fonction" kind="date" value=date errors/>
                {move || failure.get().map(|t| view! { <div class="alert" role="alert"><p>{t}</p></div> })}
                <div class="form-actions">
                    <button type="submit" class="button" aria-disabled=move || sending.get().then_some("true")>"Ajouter la situation"</button>
                </div>
            </form>
        </Show>
    }
}

#[component]
fn ExerciceForm(
    id: i64,
    nom: String,
    prenom: String,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let nom = RwSignal::new(nom);
    let prenom = RwSignal::new(prenom);
    let errors: Errors = RwSignal::new(Vec::new());
    let failure = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        let request = ExerciceNamesUpdate {
            nom_exercice: nom.get_untracked(),
            prenom_exercice: prenom.get_untracked(),
        };
        let local = check_exercice(&request.nom_exercice, &request.prenom_exercice);
        errors.set(local.clone());
        if !local.is_empty() {
            return;
        }
        spawn_local(async move {
            match api::gestion_update_exercice(id, &request).await {
                Ok(found) => {
                    open.set(false);
                    updated.run(found);
                }
                Err(error) => {
                    let fields = server_errors(
                        &error,
                        "exercice-",
                        &[("nom_exercice", "nom"), ("prenom_exercice", "prenom")],
                    );
                    submit_failed(&error, errors, failure, fields);
                }
            }
        });
    };
    view! {
        <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>"Modifier le nom et le prénom d'exercice"</button>
        <Show when=move || open.get()>
            <form class="inline-form" novalidate on:submit=submit aria-label="Nom et prénom d'exercice">
                <Input id="exercice-nom" label="Nom d'exercice" value=nom errors/>
                <Input id="exercice-prenom" label="Prénom d'exercice" value=prenom errors/>
                <p class="hint">"Publiés dans l'Annuaire Santé. La personne recevra un email."</p>
                {move || failure.get().map(|t| view! { <div class="alert" role="alert"><p>{t}</p></div> })}
                <button type="submit" class="button">"Enregistrer les noms d'exercice"</button>
            </form>
        </Show>
    }
}

#[component]
fn EtatCivilForm(
    detail: ProfessionalDetail,
    updated: Callback<ProfessionalDetail>,
) -> impl IntoView {
    let id = detail.id;
    let open = RwSignal::new(false);
    let civilite = RwSignal::new(detail.civilite.clone());
    let nom = RwSignal::new(detail.nom_naissance.clone());
    let prenoms = RwSignal::new(detail.prenoms.join(", "));
    let naissance = RwSignal::new(detail.date_naissance.clone());
    let commune = RwSignal::new(
        detail
            .lieu_naissance
            .commune_cog
            .clone()
            .unwrap_or_default(),
    );
    let pays = RwSignal::new(detail.lieu_naissance.pays_cog.clone().unwrap_or_default());
    let ville = RwSignal::new(
        detail
            .lieu_naissance
            .ville_etrangere
            .clone()
            .unwrap_or_default(),
    );
    let reason = RwSignal::new(String::new());
    let errors: Errors = RwSignal::new(Vec::new());
    let failure = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        let blank = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        let request = EtatCivilCorrection {
            civilite: civilite.get_untracked(),
            nom_naissance: nom.get_untracked(),
            prenoms: prenoms
                .get_untracked()
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            date_naissance: naissance.get_untracked(),
            lieu_naissance: BirthPlaceInput {
                commune_cog: blank(commune.get_untracked()),
                pays_cog: blank(pays.get_untracked()),
                ville_etrangere: blank(ville.get_untracked()),
            },
            reason: reason.get_untracked(),
        };
        let local = check_etat_civil(
            &request.civilite,
            &request.nom_naissance,
            &request.prenoms,
            &request.date_naissance,
            &request.lieu_naissance,
            &request.reason,
            browser::today(),
        );
        errors.set(local.clone());
        if !local.is_empty() {
            return;
        }
        spawn_local(async move {
            match api::gestion_correct_etat_civil(id, &request).await {
                Ok(found) => {
                    open.set(false);
                    updated.run(found);
                }
                Err(error) => {
                    let mut fields = server_errors(
                        &error,
                        "etat-civil-",
                        &[
                            ("civilite", "civilite"),
                            ("nom_naissance", "nom"),
                            ("prenoms", "prenoms"),
                            ("prenoms.0", "prenoms"),
                            ("prenoms.1", "prenoms"),
                            ("prenoms.2", "prenoms"),
                            ("date_naissance", "naissance"),
                            ("lieu_naissance", "commune"),
                            ("lieu_naissance.commune_cog", "commune"),
                            ("lieu_naissance.pays_cog", "pays"),
                            ("lieu_naissance.ville_etrangere", "ville"),
                            ("reason", "raison"),
                        ],
                    );
                    fields.dedup_by(|a, b| a.0 == b.0);
                    submit_failed(&error, errors, failure, fields);
                }
            }
        });
    };
    let civilites: Vec<(String, String)> = shared::civilite::Civilite::ALL
        .iter()
        .map(|c| (c.code().to_owned(), c.label().to_owned()))
        .collect();
    view! {
        <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>"Corriger l'état civil"</button>
        <Show when=move || open.get()>
            <form class="inline-form" novalidate on:submit=submit aria-label="Corriger l'état civil">
                <p class="hint">"Seulement pour corriger une erreur, pièce d'identité à l'appui. La personne recevra un email."</p>
                <Select id="etat-civil-civilite" label="Civilité" options=civilites.clone() value=civilite errors/>
                <Input id="etat-civil-nom" label="Nom de naissance" value=nom errors/>
                <Input id="etat-civil-prenoms" label="Prénoms" value=prenoms errors hint="Tous, dans l'ordre de la pièce d'identité, séparés par des virgules."/>
                <Input id="etat-civil-naissance" label="Date de naissance" kind="date" value=naissance errors/>
                <Input id="etat-civil-commune" label="Commune de naissance (code INSEE)" value=commune errors hint="5 caractères, par exemple 31390 ou 2A004. Laissez vide pour une naissance à l'étranger."/>
                <Input id="etat-civil-pays" label="Pays de naissance (code INSEE)" value=pays errors hint="Naissance à l'étranger seulement : 99 suivi de 3 chiffres, par exemple 99350 pour le Maroc."/>
                <Input id="etat-civil-ville" label="Ville de naissance à l'étranger" value=ville errors/>
                <Input id="etat-civil-raison" label="Raison de la correction" value=reason errors hint="Conservée dans l'historique, par exemple « erreur de saisie du second prénom »."/>
                {move || failure.get().map(|t| view! { <div class="alert" role="alert"><p>{t}</p></div> })}
                <button type="submit" class="button">"Corriger l'état civil"</button>
            </form>
        </Show>
    }
}

#[component]
fn ContactForm(id: i64, updated: Callback<ProfessionalDetail>) -> impl IntoView {
    let open = RwSignal::new(false);
    let email = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let mobile = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let errors: Errors = RwSignal::new(Vec::new());
    let failure = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        let request = ContactCorrection {
            email: email.get_untracked(),
            email_confirmation: confirmation.get_untracked(),
            mobile: mobile.get_untracked(),
            reason: reason.get_untracked(),
        };
        let local = check_contact(
            &request.email,
            &request.email_confirmation,
            &request.mobile,
            &request.reason,
        );
        errors.set(local.clone());
        if !local.is_empty() {
            return;
        }
        spawn_local(async move {
            match api::gestion_correct_contact(id, &request).await {
                Ok(found) => {
                    open.set(false);
                    updated.run(found);
                }
                Err(error) => {
                    let fields = server_errors(
                        &error,
                        "contact-",
                        &[
                            ("email", "email"),
                            ("email_confirmation", "confirmation"),
                            ("mobile", "mobile"),
                            ("reason", "raison"),
                        ],
                    );
                    submit_failed(&error, errors, failure, fields);
                }
            }
        });
    };
    view! {
        <button type="button" class="link-button" aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>"Corriger les coordonnées"</button>
        <Show when=move || open.get()>
            <form class="inline-form" novalidate on:submit=submit aria-label="Corriger les coordonnées">
                <p class="hint">"Pour une personne qui a perdu son mobile ou sa messagerie. Son e-CPS devra être activée à nouveau avec ces coordonnées."</p>
                <Input id="contact-email" label="Nouvelle adresse email" kind="email" value=email errors/>
                <Input id="contact-confirmation" label="Confirmez l'adresse email" kind="email" value=confirmation errors/>
                <Input id="contact-mobile" label="Nouveau téléphone mobile" kind="tel" value=mobile errors/>
                <Input id="contact-raison" label="Raison de la correction" value=reason errors hint="Conservée dans l'historique, par exemple « mobile perdu »."/>
                {move || failure.get().map(|t| view! { <div class="alert" role="alert"><p>{t}</p></div> })}
                <button type="submit" class="button">"Corriger les coordonnées"</button>
            </form>
        </Show>
    }
}

#[component]
fn History(history: ProfessionalHistory) -> impl IntoView {
    let entries = history
        .entries
        .into_iter()
        .map(|h| {
            let when =
                h.at.get(..16)
                    .map(|t| {
                        let date = french(t.get(..10).unwrap_or_default());
                        format!("{date} à {} (UTC)", t.get(11..16).unwrap_or_default())
                    })
                    .unwrap_or_default();
            let changes = h
                .changes
                .into_iter()
                .map(|c| {
                    view! {
                        <li>{format!(
                            "{} : {} → {}",
                            c.field,
                            c.before.unwrap_or_else(|| "—".to_owned()),
                            c.after.unwrap_or_else(|| "—".to_owned())
                        )}</li>
                    }
                })
                .collect_view();
            view! {
                <li class="history__entry">
                    <p><strong>{h.label}</strong>" — "{h.by}", le "{when}</p>
                    {h.reason.map(|r| view! { <p>"Raison : "{r}</p> })}
                    <ul>{changes}</ul>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="section" aria-labelledby="historique">
            <h2 id="historique">"Historique"</h2>
            <ol class="history">{entries}</ol>
        </section>
    }
}
