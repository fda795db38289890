//! JSON API under `/api`: each resource owns its handlers; [`router`] assembles them, with a JSON 404 for any
//! other `/api` path and the OpenAPI document generated from the handlers' annotations.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use shared::api as json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ApiJson, ApiQuery};
use crate::startup::AppState;
use crate::storage::{SEARCH_LIMIT, SiteMatch, SiteRecord};
use crate::{auth, directory, ecps, embed, gestion, places, preregistrations};

/// The `/api` router (nested under `/api` by [`crate::router`]).
pub fn router(state: AppState) -> Router<AppState> {
    let gestion = Router::new()
        .route("/v1/auth/sign-in", post(auth::sign_in))
        .route("/v1/auth/sign-out", post(auth::sign_out))
        .route("/v1/auth/password", post(auth::set_password))
        .route("/v1/auth/me", get(auth::me))
        .route("/v1/gestion/demandes", get(gestion::queue))
        .route("/v1/gestion/demandes/{id}", get(gestion::detail))
        .route("/v1/gestion/demandes/{id}/document", get(gestion::document))
        .route("/v1/gestion/demandes/{id}/decision", post(gestion::decide))
        // Directory: CAS 1 registrations, the establishment's professionals, their situations d'exercice.
        .merge(directory::routes())
        // Embedding the form in intranets (issue 6): the allowed origins per entité juridique.
        .route(
            "/v1/gestion/integration/origines",
            get(embed::list).post(embed::add),
        )
        .route(
            "/v1/gestion/integration/origines/{id}",
            axum::routing::delete(embed::remove),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf,
        ));
    // e-CPS activation and the professional's own space (issue 5): CSRF rules apply to every POST/PUT.
    let ecps = ecps::routes().route_layer(axum::middleware::from_fn_with_state(state, auth::csrf));
    Router::new()
        .merge(gestion)
        .merge(ecps)
        .route("/v1/nomenclatures", get(nomenclatures))
        .route("/v1/structures", get(structures))
        .route(
            "/v1/structures/{site_id}/notice",
            get(preregistrations::notice),
        )
        .route("/v1/communes", get(places::communes))
        .route("/v1/pays", get(places::pays))
        .route("/v1/pre-registrations", post(preregistrations::submit))
        .route("/v1/suivi/{token}", get(preregistrations::status))
        .route(
            "/v1/suivi/{token}/corrections",
            get(preregistrations::corrections).put(preregistrations::resubmit),
        )
        .route(
            "/v1/email-confirmations/{token}",
            post(preregistrations::confirm_email),
        )
        .route("/v1/openapi.json", get(openapi_json))
        .fallback(not_found)
}

/// A moment as the API writes it: RFC 3339 (UTC, as the database gives it back).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// The code systems a form needs: profession, rôles, métiers, modes d'exercice, civilités.
#[utoipa::path(
    get,
    path = "/api/v1/nomenclatures",
    tag = "nomenclatures",
    responses((status = 200, description = "Les nomenclatures officielles utilisées par les formulaires", body = json::Nomenclatures))
)]
#[tracing::instrument(skip_all)]
pub async fn nomenclatures() -> impl IntoResponse {
    static NOMENCLATURES: LazyLock<json::Nomenclatures> = LazyLock::new(json::nomenclatures);
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        ApiJson(&*NOMENCLATURES),
    )
}

/// Parameters of a structure search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StructureQuery {
    /// Words of the site's name, commune or FINESS géographique (accents and case ignored), 2 characters minimum.
    pub q: Option<String>,
}

/// The entité juridique a site belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EntiteJuridiqueRef {
    pub id: i64,
    pub nom: String,
}

/// One site found by a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StructureMatch {
    pub site: json::Site,
    pub entite_juridique: EntiteJuridiqueRef,
}

/// Result of a structure search (at most 20 sites, ordered by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StructureSearch {
    pub structures: Vec<StructureMatch>,
}

/// Converts a stored site to its wire form.
pub fn site_dto(site: SiteRecord) -> json::Site {
    json::Site {
        id: site.id,
        nom: site.nom,
        finess: site.finess,
        siret: site.siret,
        commune: site.commune,
        demo: site.demo,
    }
}

impl From<SiteMatch> for StructureMatch {
    fn from(found: SiteMatch) -> Self {
        let entite_juridique = EntiteJuridiqueRef {
            id: found.site.establishment_id,
            nom: found.establishment_nom,
        };
        Self {
            site: site_dto(found.site),
            entite_juridique,
        }
    }
}

/// Searches the sites (établissements géographiques) by name, commune or FINESS.
#[utoipa::path(
    get,
    path = "/api/v1/structures",
    tag = "structures",
    params(StructureQuery),
    responses(
        (status = 200, description = "Les sites correspondants (20 au plus)", body = StructureSearch),
        (status = 422, description = "Recherche trop courte ou trop longue", body = json::ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn structures(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<StructureQuery>,
) -> Result<ApiJson<StructureSearch>, ApiError> {
    let q = shared::search::check_query(params.q.as_deref().unwrap_or_default()).map_err(
        |problem| {
            ApiError::field(
                "q",
                problem.message("du nom, de la commune ou du FINESS de la structure"),
            )
        },
    )?;
    let found = state.storage.search_sites(q, SEARCH_LIMIT).await?;
    Ok(ApiJson(StructureSearch {
        structures: found.into_iter().map(StructureMatch::from).collect(),
    }))
}

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "Ce document OpenAPI", content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".to_owned())
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT.as_str(),
    )
}

/// The OpenAPI description, assembled from the handlers' `#[utoipa::path]` annotations.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Enrôle",
        description = "API d'Enrôle : pré-enregistrement et enregistrement des professionnels à rôle (RPPS+).",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    paths(
        crate::health::healthz,
        crate::health::readyz,
        nomenclatures,
        structures,
        places::communes,
        places::pays,
        preregistrations::notice,
        crate::documents::upload,
        preregistrations::submit,
        preregistrations::status,
        preregistrations::confirm_email,
        preregistrations::corrections,
        preregistrations::resubmit,
        auth::sign_in,
        auth::sign_out,
        auth::me,
        auth::set_password,
        gestion::queue,
        gestion::detail,
        gestion::document,
        gestion::decide,
        embed::list,
        embed::add,
        embed::remove,
        ecps::activation::start,
        ecps::activation::confirm,
        ecps::activation::sign_out,
        ecps::espace::profil,
        ecps::espace::contact_start,
        ecps::espace::contact_confirm,
        ecps::espace::exercice,
        directory::registration::verify,
        directory::registration::register,
        directory::search::list,
        directory::person::detail,
        directory::history::history,
        directory::person::update_exercice,
        directory::corrections::correct_etat_civil,
        directory::corrections::correct_contact,
        directory::situations::add_situation,
        directory::situations::update_situation,
        directory::situations::close_situation,
        openapi_json,
    ),
    components(schemas(json::ErrorEnvelope)),
    modifiers(&RealResponses),
    tags(
        (name = "nomenclatures", description = "Codes officiels : rôles, métiers, modes d'exercice, civilités"),
        (name = "structures", description = "Établissements (entités juridiques et sites)"),
        (name = "lieux", description = "Communes et pays de naissance (codes officiels géographiques INSEE)"),
        (name = "preinscriptions", description = "Pré-enregistrement par le professionnel (CAS 2) : notice, pièce d'identité, demande, suivi"),
        (name = "gestion", description = "Espace des gestionnaires RPPS+ : connexion, file des demandes, décisions"),
        (name = "ecps", description = "Activation de l'e-CPS (deux codes : email et SMS) et espace du professionnel : profil, coordonnées, nom d'exercice"),
        (name = "annuaire", description = "Annuaire de l'établissement : enregistrement par le gestionnaire (CAS 1), professionnels, situations d'exercice (modification, ajout, clôture), historique"),
        (name = "meta", description = "État du service et description de l'API"),
    )
)]
pub struct ApiDoc;

/// Documents, on every operation, the answers the shared layers really give, with the one error envelope: an
/// unreadable JSON body (400), a body over the limit (413), a body not sent as JSON (415) or of the wrong shape
/// (422); unreadable path or query parameters (400); the CSRF refusal of state-changing requests (403); the 401 of
/// the operations that need a session. It also states the header rules the handlers enforce (`X-Enrole-Csrf` is
/// `1`; `Idempotency-Key` is 1 to 255 visible ASCII characters), and links a created pre-registration to its
/// status, for stateful testing.
struct RealResponses;

/// Paths whose state-changing requests go through [`auth::csrf`].
const CSRF_PREFIXES: [&str; 4] = [
    "/api/v1/auth/",
    "/api/v1/gestion/",
    "/api/v1/activation/",
    "/api/v1/espace/",
];

fn needs_session(path: &str) -> bool {
    path.starts_with("/api/v1/gestion/")
        || path.starts_with("/api/v1/espace/")
        || path == "/api/v1/auth/me"
        || path == "/api/v1/auth/sign-out"
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
                .build(),
        )
        .build()
        .into()
}

/// An OpenAPI link (for stateful testing and readers): from an operation's answer to another operation.
struct ApiLink {
    from: &'static str,
    method: &'static str,
    status: &'static str,
    name: &'static str,
    to: &'static str,
    to_method: &'static str,
    /// The target's path parameter and the runtime expression of its value.
    parameter: &'static str,
    value: &'static str,
}

const LINKS: [ApiLink; 13] = [
    ApiLink {
        from: "/api/v1/gestion/demandes",
        method: "get",
        status: "200",
        name: "FirstRequest",
        to: "/api/v1/gestion/demandes/{id}",
        to_method: "get",
        parameter: "id",
        value: "$response.body#/demandes/0/id",
    },
    ApiLink {
        from: "/api/v1/gestion/demandes",
        method: "get",
        status: "200",
        name: "FirstRequestDocument",
        to: "/api/v1/gestion/demandes/{id}/document",
        to_method: "get",
        parameter: "id",
        value: "$response.body#/demandes/0/id",
    },
    ApiLink {
        from: "/api/v1/gestion/demandes",
        method: "get",
        status: "200",
        name: "FirstRequestDecision",
        to: "/api/v1/gestion/demandes/{id}/decision",
        to_method: "post",
        parameter: "id",
        value: "$response.body#/demandes/0/id",
    },
    ApiLink {
        from: "/api/v1/gestion/professionnels",
        method: "get",
        status: "200",
        name: "FirstProfessional",
        to: "/api/v1/gestion/professionnels/{id}",
        to_method: "get",
        parameter: "id",
        value: "$response.body#/professionnels/0/id",
    },
    ApiLink {
        from: "/api/v1/gestion/professionnels",
        method: "get",
        status: "200",
        name: "FirstProfessionalHistory",
        to: "/api/v1/gestion/professionnels/{id}/historique",
        to_method: "get",
        parameter: "id",
        value: "$response.body#/professionnels/0/id",
    },
    ApiLink {
        from: "/api/v1/gestion/professionnels",
        method: "get",
        status: "200",
        name: "FirstProfessionalExercice",
        to: "/api/v1/gestion/professionnels/{id}/exercice",
        to_method: "put",
        parameter: "id",
        value: "$response.body#/professionnels/0/id",
    },
    ApiLink {
        from: "/api/v1/gestion/professionnels",
        method: "get",
        status: "200",
        name: "FirstProfessionalSituation",
        to: "/api/v1/gestion/professionnels/{id}/situations",
        to_method: "post",
        parameter: "id",
        value: "$response.body#/professionnels/0/id",
    },
    ApiLink {
        from: "/api/v1/pre-registrations",
        method: "post",
        status: "201",
        name: "Status",
        to: "/api/v1/suivi/{token}",
        to_method: "get",
        parameter: "token",
        value: "$response.body#/status_token",
    },
    ApiLink {
        from: "/api/v1/pre-registrations",
        method: "post",
        status: "201",
        name: "Corrections",
        to: "/api/v1/suivi/{token}/corrections",
        to_method: "get",
        parameter: "token",
        value: "$response.body#/status_token",
    },
    ApiLink {
        from: "/api/v1/gestion/integration/origines",
        method: "post",
        status: "201",
        name: "RemoveOrigin",
        to: "/api/v1/gestion/integration/origines/{id}",
        to_method: "delete",
        parameter: "id",
        value: "$response.body#/id",
    },
    ApiLink {
        from: "/api/v1/gestion/enregistrements",
        method: "post",
        status: "201",
        name: "Professional",
        to: "/api/v1/gestion/professionnels/{id}",
        to_method: "get",
        parameter: "id",
        value: "$response.body#/professional_id",
    },
    ApiLink {
        from: "/api/v1/gestion/enregistrements",
        method: "post",
        status: "201",
        name: "ProfessionalHistory",
        to: "/api/v1/gestion/professionnels/{id}/historique",
        to_method: "get",
        parameter: "id",
        value: "$response.body#/professional_id",
    },
    ApiLink {
        from: "/api/v1/gestion/professionnels/{id}/situations",
        method: "post",
        status: "201",
        name: "SameProfessional",
        to: "/api/v1/gestion/professionnels/{id}",
        to_method: "get",
        parameter: "id",
        value: "$request.path.id",
    },
];

fn add_links(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::link::LinkBuilder;
    for link in LINKS {
        let Some(item) = openapi.paths.paths.get_mut(link.from) else {
            continue;
        };
        let operation = match link.method {
            "post" => item.post.as_mut(),
            "put" => item.put.as_mut(),
            _ => item.get.as_mut(),
        };
        let Some(RefOr::T(response)) =
            operation.and_then(|op| op.responses.responses.get_mut(link.status))
        else {
            continue;
        };
        let pointer = link.to.replace('~', "~0").replace('/', "~1");
        response.links.insert(
            link.name.to_owned(),
            RefOr::T(
                LinkBuilder::new()
                    .operation_ref(format!("#/paths/{pointer}/{}", link.to_method))
                    .parameter(link.parameter, link.value)
                    .build(),
            ),
        );
    }
}

impl utoipa::Modify for RealResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ObjectBuilder, RefOr, Type};

        add_links(openapi);
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "session",
                utoipa::openapi::security::SecurityScheme::ApiKey(
                    utoipa::openapi::security::ApiKey::Cookie(
                        utoipa::openapi::security::ApiKeyValue::with_description(
                            "enrole_session",
                            "Cookie de session HttpOnly posé par POST /api/v1/auth/sign-in (gestionnaire) ou \
                             POST /api/v1/activation/confirm (professionnel) ; nommé __Host-enrole_session quand \
                             le service est servi en HTTPS.",
                        ),
                    ),
                ),
            );

        for (path, item) in &mut openapi.paths.paths {
            let operations = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (operation, changes_state) in operations {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error_response(description));
                };
                let json_body = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| match body {
                        RefOr::T(body) => body.content.contains_key("application/json"),
                        RefOr::Ref(_) => false,
                    });
                if json_body {
                    add("400", "Corps de requête illisible (JSON mal formé)");
                    add(
                        "415",
                        "Corps de requête non envoyé en JSON (Content-Type: application/json)",
                    );
                    add(
                        "422",
                        "Corps de requête ne correspondant pas au format attendu, ou champs invalides",
                    );
                }
                if operation.request_body.is_some() {
                    add("413", "Corps de requête trop volumineux");
                }
                if needs_session(path) {
                    add("401", "Pas de session, ou session expirée");
                    operation.security =
                        Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                            "session",
                            Vec::<String>::new(),
                        )]);
                }
                if changes_state && CSRF_PREFIXES.iter().any(|p| path.starts_with(p)) {
                    add(
                        "403",
                        "Requête refusée : origine ou en-tête X-Enrole-Csrf manquants (protection CSRF)",
                    );
                    // Every one of them needs the header (its schema is set below), not only those that say so.
                    let parameters = operation.parameters.get_or_insert_with(Vec::new);
                    let declared = parameters.iter().any(|p| {
                        matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case(auth::CSRF_HEADER))
                    });
                    if !declared {
                        parameters.push(RefOr::T(
                            utoipa::openapi::path::ParameterBuilder::new()
                                .name("X-Enrole-Csrf")
                                .parameter_in(ParameterIn::Header)
                                .description(Some(
                                    "Toujours « 1 », avec l'en-tête Origin de l'application (protection CSRF)",
                                ))
                                .build(),
                        ));
                    }
                }
                let Some(parameters) = operation.parameters.as_mut() else {
                    continue;
                };
                let mut reads_address = false;
                for parameter in parameters.iter_mut() {
                    let RefOr::T(parameter) = parameter else {
                        continue;
                    };
                    match parameter.parameter_in {
                        ParameterIn::Path | ParameterIn::Query => reads_address = true,
                        _ => {}
                    }
                    if parameter.name.eq_ignore_ascii_case(auth::CSRF_HEADER) {
                        parameter.required = utoipa::openapi::Required::True;
                        parameter.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(["1"]))
                                .into(),
                        );
                    }
                    // The searches: `q` is required, 2 to 100 characters (and at least 2 letters or digits, a rule
                    // answered with 422).
                    if parameter.name == "q"
                        && matches!(
                            path.as_str(),
                            "/api/v1/structures" | "/api/v1/communes" | "/api/v1/pays"
                        )
                    {
                        parameter.required = utoipa::openapi::Required::True;
                        parameter.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(shared::search::MIN_QUERY_CHARS))
                                .max_length(Some(shared::search::MAX_QUERY_CHARS))
                                .into(),
                        );
                    }
                    if parameter.name.eq_ignore_ascii_case("Idempotency-Key") {
                        parameter.required = utoipa::openapi::Required::True;
                        parameter.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(preregistrations::MAX_IDEMPOTENCY_KEY_CHARS))
                                .pattern(Some("^[!-~]+$"))
                                .into(),
                        );
                    }
                }
                if reads_address {
                    add(
                        "400",
                        "Paramètres de l'adresse illisibles (nombre hors limites, type inattendu…)",
                    );
                }
            }
        }
    }
}
