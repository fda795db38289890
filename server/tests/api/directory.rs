//! The directory: CAS 1 registrations by a gestionnaire, the establishment's professionals, updates, corrections,
//! new situations, closings (scheduled ones applied by the background task's storage call) and history.

use enrole_server::gestionnaires::AttachTo;
use enrole_server::storage::{Actor, NewSession, SessionRole};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::gestion_auth::establishment;
use crate::gestion_queue::{decide, id_of, submit_to};
use crate::helpers::{TestApp, TestOptions, assert_envelope, finess, json_body, siret};
use crate::intake::valid_request;
use crate::mail::{SmtpSink, delivered, delivered_where, messages, text_of};

impl TestApp {
    pub async fn put_gestion(&self, path: &str, body: &Value, cookie: &str) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .header("origin", self.origin())
            .header("x-enrole-csrf", "1")
            .header("cookie", cookie)
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    /// A CAS 1 registration at `site_id` with `changes` merged at the top level.
    pub async fn register(&self, cookie: &str, site_id: i64, changes: Value) -> reqwest::Response {
        let site = self.storage.find_site(site_id).await.unwrap().unwrap();
        let finess = site.site.finess.clone().unwrap();
        let document = self.document_id().await;
        let mut request = valid_request(site_id, &finess, &document);
        request["piece_verifiee"] = json!(true);
        for (k, v) in changes.as_object().unwrap() {
            request[k] = v.clone();
        }
        self.post_gestion("/api/v1/gestion/enregistrements", &request, Some(cookie))
            .await
    }

    pub async fn person(&self, cookie: &str, id: i64) -> Value {
        json_body(
            self.get_gestion(&format!("/api/v1/gestion/professionnels/{id}"), cookie)
                .await,
            StatusCode::OK,
        )
        .await
    }

    pub async fn directory(&self, cookie: &str, query: &str) -> Value {
        json_body(
            self.get_gestion(&format!("/api/v1/gestion/professionnels{query}"), cookie)
                .await,
            StatusCode::OK,
        )
        .await
    }

    pub async fn history(&self, cookie: &str, id: i64) -> Vec<Value> {
        json_body(
            self.get_gestion(
                &format!("/api/v1/gestion/professionnels/{id}/historique"),
                cookie,
            )
            .await,
            StatusCode::OK,
        )
        .await["entries"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn close(
        &self,
        cookie: &str,
        id: i64,
        situation: i64,
        body: Value,
    ) -> reqwest::Response {
        self.post_gestion(
            &format!("/api/v1/gestion/professionnels/{id}/situations/{situation}/cloture"),
            &body,
            Some(cookie),
        )
        .await
    }
}

/// Registers the standard person and answers (professional id, situation id, RPPS number).
async fn registered(app: &TestApp, cookie: &str, site: i64, changes: Value) -> (i64, i64, String) {
    let body = json_body(
        app.register(cookie, site, changes).await,
        StatusCode::CREATED,
    )
    .await;
    (
        body["professional_id"].as_i64().unwrap(),
        body["situation_id"].as_i64().unwrap(),
        body["rpps"].as_str().unwrap().to_owned(),
    )
}

fn situation_update(role: &str) -> Value {
    json!({"metier": "328", "role": role, "mode_exercice": "S", "date_prise_fonction": "2024-09-01"})
}

#[tokio::test]
async fn a_gestionnaire_registers_a_person_end_to_end_and_the_number_is_emailed() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 31).await;
    let (_, other_site) = establishment(&app, 32).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;

    // The declaration is mandatory; the site must be one of the gestionnaire's.
    let refused = assert_envelope(
        app.register(
            &cookie,
            site,
            json!({"piece_verifiee": false, "email": "x"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(
        refused["error"]["fields"]["piece_verifiee"].is_array(),
        "{refused}"
    );
    assert!(refused["error"]["fields"]["email"].is_array(), "{refused}");
    let foreign = assert_envelope(
        app.register(&cookie, other_site, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(
        foreign["error"]["fields"]["site_id"].is_array(),
        "{foreign}"
    );

    let body = json_body(
        app.register(&cookie, site, json!({})).await,
        StatusCode::CREATED,
    )
    .await;
    let rpps = body["rpps"].as_str().unwrap();
    assert_eq!(rpps.len(), 11);
    assert!(rpps.starts_with('9'));
    assert_eq!(body["identity_reused"], false);
    let id = body["professional_id"].as_i64().unwrap();

    let person = app.person(&cookie, id).await;
    assert_eq!(person["rpps"], rpps);
    assert_eq!(person["nom_naissance"], "N'Diaye");
    assert_eq!(person["mobile"], "+33612345678");
    assert_eq!(person["ecps_active"], false);
    assert_eq!(person["pending_request"], false);
    let situations = person["situations"].as_array().unwrap();
    assert_eq!(situations.len(), 1);
    assert_eq!(situations[0]["site_id"], site);
    assert_eq!(situations[0]["active"], true);
    assert_eq!(situations[0]["role"], "GENR11");

    // The professional's email: number and how to activate the e-CPS.
    let mail = &delivered(&app, rpps, 1).await[0];
    assert_eq!(mail["to"], "awa.ndiaye@exemple.fr");
    assert!(text_of(mail).contains("/activation"), "{mail}");
    assert!(
        !text_of(mail).contains("1988"),
        "no birth data in the email"
    );

    // Audited under the person, and visible in the queue as a validated registration of origin gestionnaire.
    let history = app.history(&cookie, id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["action"], "professional.register");
    assert_eq!(history[0]["by"], "Camille Martin");
    let queue = json_body(
        app.get_gestion("/api/v1/gestion/demandes?status=validee", &cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(queue["counts"]["validee"], 1);
    // Retention 0: the document is deleted in the registration's transaction.
    let demande = json_body(
        app.get_gestion(
            &format!(
                "/api/v1/gestion/demandes/{}",
                queue["demandes"][0]["id"].as_i64().unwrap()
            ),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(demande["document_url"].is_null(), "{demande}");
    assert!(
        demande["piece_verifiee"]
            .as_str()
            .unwrap()
            .contains("Camille Martin")
    );
}

#[tokio::test]
async fn registering_a_person_who_already_exists_adds_a_situation_and_no_new_number() {
    let app = TestApp::spawn().await;
    let (ej_a, site_a) = establishment(&app, 33).await;
    let (ej_b, site_b) = establishment(&app, 34).await;
    let a = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej_a)).await;
    let b = app.signed_in("b@exemple.fr", AttachTo::EjSiret(ej_b)).await;
    let (id, _, rpps) = registered(&app, &a, site_a, json!({})).await;

    // B checks first: the existing person is proposed, not in B's directory.
    let site = app.storage.find_site(site_b).await.unwrap().unwrap();
    let mut request = valid_request(site_b, &site.site.finess.unwrap(), &app.document_id().await);
    request["piece_verifiee"] = json!(true);
    request["email"] = json!("awa.pro@exemple.fr");
    request["email_confirmation"] = json!("awa.pro@exemple.fr");
    let check = json_body(
        app.post_gestion(
            "/api/v1/gestion/enregistrements/verification",
            &request,
            Some(&b),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let candidates = check["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0]["rpps"], rpps.as_str());
    assert_eq!(candidates[0]["in_directory"], false);
    assert_eq!(candidates[0]["matches"], json!(["prenom", "lieu"]));

    // Saving without choosing is refused; attaching adds a situation to the same number.
    let conflict = assert_envelope(
        app.post_gestion("/api/v1/gestion/enregistrements", &request, Some(&b))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(
        conflict["error"]["message"]
            .as_str()
            .unwrap()
            .contains("existe peut-être déjà")
    );
    request["attach_to_professional_id"] = json!(id);
    let attached = json_body(
        app.post_gestion("/api/v1/gestion/enregistrements", &request, Some(&b))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(attached["rpps"], rpps.as_str());
    assert_eq!(attached["professional_id"], id);
    assert_eq!(attached["identity_reused"], true);

    // No second number: the next allocation is the second number of the range.
    let (_, _, next) = registered(
        &app,
        &a,
        site_a,
        json!({"nom_naissance": "Durand", "email": "d@exemple.fr", "email_confirmation": "d@exemple.fr"}),
    )
    .await;
    assert_eq!(
        &next[..10],
        "9000000001",
        "sequence 1 after sequence 0: {next}"
    );

    // At a site where the person is already active: change the rôle instead.
    let mut again = valid_request(
        site_a,
        &app.storage
            .find_site(site_a)
            .await
            .unwrap()
            .unwrap()
            .site
            .finess
            .unwrap(),
        &app.document_id().await,
    );
    again["piece_verifiee"] = json!(true);
    again["attach_to_professional_id"] = json!(id);
    let refused = assert_envelope(
        app.post_gestion("/api/v1/gestion/enregistrements", &again, Some(&a))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("changez le rôle")
    );
}

#[tokio::test]
async fn an_update_is_emailed_and_audited_and_refused_while_a_request_is_pending() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 35).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;
    let (id, situation, _) = registered(&app, &cookie, site, json!({})).await;
    let path = format!("/api/v1/gestion/professionnels/{id}/situations/{situation}");

    let invalid = assert_envelope(
        app.put_gestion(&path, &json!({"metier": "999", "role": "GENR99"}), &cookie)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    for field in ["metier", "role", "mode_exercice", "date_prise_fonction"] {
        assert!(
            invalid["error"]["fields"][field].is_array(),
            "{field}: {invalid}"
        );
    }
    let updated = json_body(
        app.put_gestion(&path, &situation_update("GENR12"), &cookie)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["situations"][0]["role"], "GENR12");
    let mail = &delivered(&app, "mise à jour", 1).await[0];
    assert!(text_of(mail).contains("Encadrement et organisation"));
    let history = app.history(&cookie, id).await;
    assert_eq!(history[0]["action"], "situation.update");
    assert_eq!(history[0]["situation_id"], situation);
    assert_eq!(
        history[0]["changes"],
        json!([{"field": "Rôle",
                "before": "Accompagnement social/médico-social au soin",
                "after": "Encadrement et organisation de l'accompagnement social/médico-social"}])
    );

    // The same person sends a self pre-registration: no update until it is decided.
    submit_to(&app, site, json!({})).await;
    assert_eq!(app.person(&cookie, id).await["pending_request"], true);
    for response in [
        app.put_gestion(&path, &situation_update("GENR08"), &cookie)
            .await,
        app.put_gestion(
            &format!("/api/v1/gestion/professionnels/{id}/exercice"),
            &json!({"nom_exercice": "Diallo", "prenom_exercice": "Awa"}),
            &cookie,
        )
        .await,
    ] {
        let refused = assert_envelope(response, StatusCode::CONFLICT, "conflict").await;
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("en attente"),
            "{refused}"
        );
    }
    assert_eq!(
        app.person(&cookie, id).await["situations"][0]["role"],
        "GENR12"
    );
}

#[tokio::test]
async fn closing_checks_its_dates_and_a_future_closing_is_applied_that_day() {
    let app = TestApp::spawn().await;
    let ej = app
        .create_establishment("Association 36", Some(&siret(36)), None)
        .await;
    let site = app.add_site(&ej, "EHPAD 36", &finess(360), "Albi").await.id;
    let site_2 = app.add_site(&ej, "Foyer 36", &finess(361), "Albi").await.id;
    let cookie = app
        .signed_in("rh@exemple.fr", AttachTo::EjSiret(siret(36)))
        .await;
    let (id, situation, _) = registered(&app, &cookie, site, json!({})).await;

    let before_start = assert_envelope(
        app.close(
            &cookie,
            id,
            situation,
            json!({"end_date": "2024-08-31", "end_reason": "demission"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(
        before_start["error"]["fields"]["end_date"][0],
        "La date de fin ne peut pas précéder la date de prise de fonction (01/09/2024)."
    );
    let no_reason = assert_envelope(
        app.close(
            &cookie,
            id,
            situation,
            json!({"end_date": "2025-01-31", "end_reason": "vacances"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(no_reason["error"]["fields"]["end_reason"].is_array());

    // A future end date (agency contract): still active, applied by the background task on that day.
    let today = time::OffsetDateTime::now_utc().date();
    let end = today + time::Duration::days(10);
    let end_iso = end.to_string();
    let scheduled = json_body(
        app.close(
            &cookie,
            id,
            situation,
            json!({"end_date": end_iso, "end_reason": "fin_contrat"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(scheduled["situations"][0]["active"], true);
    assert_eq!(scheduled["situations"][0]["end_date"], end_iso.as_str());
    let day_before = (end - time::Duration::days(1)).to_string();
    assert_eq!(
        app.storage.apply_due_closings(&day_before).await.unwrap(),
        0
    );
    assert_eq!(app.storage.apply_due_closings(&end_iso).await.unwrap(), 1);
    let closed = app.person(&cookie, id).await;
    assert_eq!(closed["situations"][0]["active"], false);
    assert_eq!(
        closed["situations"][0]["end_reason_label"],
        "Fin de contrat (CDD, intérim, stage, mise à disposition)"
    );
    let history = app.history(&cookie, id).await;
    assert_eq!(history[0]["action"], "situation.close_applied");
    assert_eq!(history[0]["by"], "Enrôle (automatique)");
    assert_eq!(history[1]["action"], "situation.close_scheduled");
    // Closed: no second closing, no update.
    assert_envelope(
        app.close(
            &cookie,
            id,
            situation,
            json!({"end_date": end_iso, "end_reason": "demission"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_envelope(
        app.put_gestion(
            &format!("/api/v1/gestion/professionnels/{id}/situations/{situation}"),
            &situation_update("GENR08"),
            &cookie,
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;

    // A past end date closes at once; the person keeps their number and stays in the directory as history.
    let added = json_body(
        app.post_gestion(
            &format!("/api/v1/gestion/professionnels/{id}/situations"),
            &json!({"site_id": site_2, "metier": "326", "role": "GENR10", "mode_exercice": "S",
                    "date_prise_fonction": "2025-01-06"}),
            Some(&cookie),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let second = added["situations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["site_id"] == site_2)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let done = json_body(
        app.close(
            &cookie,
            id,
            second,
            json!({"end_date": "2025-06-30", "end_reason": "mutation"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        done["situations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["active"] == false)
    );
    let reminders = delivered(&app, "Fin de votre situation d'exercice", 2).await;
    assert_eq!(reminders.len(), 2);
    assert!(text_of(&reminders[0]).contains("prendra fin"));
    assert!(text_of(&reminders[1]).contains("a pris fin le 30/06/2025"));
    assert!(text_of(&reminders[1]).contains("eRPPS"));
    let closed_only = app.directory(&cookie, "?statut=cloturees").await;
    assert_eq!(closed_only["professionnels"].as_array().unwrap().len(), 1);
    let active_only = app.directory(&cookie, "?statut=actives").await;
    assert_eq!(active_only["professionnels"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn two_establishments_each_see_and_close_only_their_own_situation() {
    let app = TestApp::spawn().await;
    let (ej_a, site_a) = establishment(&app, 37).await;
    let (ej_b, site_b) = establishment(&app, 38).await;
    let (ej_c, _) = establishment(&app, 39).await;
    let a = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej_a)).await;
    let b = app.signed_in("b@exemple.fr", AttachTo::EjSiret(ej_b)).await;
    let c = app.signed_in("c@exemple.fr", AttachTo::EjSiret(ej_c)).await;
    let (id, situation_a, _) = registered(&app, &a, site_a, json!({})).await;
    let body = json_body(
        app.register(&b, site_b, json!({"attach_to_professional_id": id}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let situation_b = body["situation_id"].as_i64().unwrap();

    for (cookie, mine, site) in [(&a, situation_a, site_a), (&b, situation_b, site_b)] {
        let list = app.directory(cookie, "").await;
        let rows = list["professionnels"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["situations"].as_array().unwrap().len(), 1);
        assert_eq!(rows[0]["situations"][0]["site_id"], site);
        let person = app.person(cookie, id).await;
        assert_eq!(person["situations"][0]["id"], mine);
        assert_eq!(person["other_active_situations"], 1);
    }
    // A cannot close B's situation, C does not even see the person.
    assert_envelope(
        app.close(
            &a,
            id,
            situation_b,
            json!({"end_date": "2025-01-31", "end_reason": "demission"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    for path in [
        format!("/api/v1/gestion/professionnels/{id}"),
        format!("/api/v1/gestion/professionnels/{id}/historique"),
    ] {
        assert_envelope(
            app.get_gestion(&path, &c).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    assert_eq!(app.directory(&c, "").await["professionnels"], json!([]));
    json_body(
        app.close(
            &b,
            id,
            situation_b,
            json!({"end_date": "2025-01-31", "end_reason": "demission"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let for_a = app.person(&a, id).await;
    assert_eq!(for_a["situations"][0]["active"], true);
    assert_eq!(for_a["other_active_situations"], 0);
    // A's history shows the person's entries and A's situation, not B's.
    let history = app.history(&a, id).await;
    assert!(
        history.iter().all(|h| h["situation_id"] != situation_b),
        "{history:?}"
    );
    assert_eq!(app.history(&b, id).await[0]["action"], "situation.close");
}

#[tokio::test]
async fn the_history_records_every_change_with_who_when_and_why() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 40).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;
    let (id, situation, _) = registered(&app, &cookie, site, json!({})).await;
    let base = format!("/api/v1/gestion/professionnels/{id}");

    json_body(
        app.put_gestion(
            &format!("{base}/exercice"),
            &json!({"nom_exercice": "Diallo", "prenom_exercice": "Awa"}),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let without_reason = assert_envelope(
        app.put_gestion(
            &format!("{base}/contact"),
            &json!({"email": "awa@nouveau.fr", "email_confirmation": "awa@nouveau.fr", "mobile": "0698765432"}),
            &cookie,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert!(without_reason["error"]["fields"]["reason"].is_array());
    // A professional's session (e-CPS) ends when a gestionnaire corrects their contact data.
    let hash = "a".repeat(64);
    app.storage
        .create_session(
            &NewSession {
                id_hash: &hash,
                role: SessionRole::Professionnel,
                subject_id: id,
                method: "e-cps",
                expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            },
            &Actor::cli(),
            json!({}),
        )
        .await
        .unwrap();
    assert!(app.storage.find_session(&hash).await.unwrap().is_some());
    let contact = json_body(
        app.put_gestion(
            &format!("{base}/contact"),
            &json!({"email": "awa@nouveau.fr", "email_confirmation": "awa@nouveau.fr", "mobile": "0698765432",
                    "reason": "Mobile perdu"}),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(contact["email"], "awa@nouveau.fr");
    assert_eq!(contact["mobile"], "+33698765432");
    assert_eq!(contact["ecps_active"], false);
    assert!(app.storage.find_session(&hash).await.unwrap().is_none());
    json_body(
        app.put_gestion(
            &format!("{base}/etat-civil"),
            &json!({"civilite": "MME", "nom_naissance": "N'Diaye", "prenoms": ["Awa", "Marie"],
                    "date_naissance": "1988-11-03", "lieu_naissance": {"commune_cog": "2A004"},
                    "reason": "Erreur de saisie du second prénom"}),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_body(
        app.put_gestion(
            &format!("{base}/situations/{situation}"),
            &situation_update("GENR09"),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;

    let history = app.history(&cookie, id).await;
    let actions: Vec<&str> = history
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "situation.update",
            "professional.etat_civil",
            "professional.contact",
            "professional.exercice",
            "professional.register"
        ]
    );
    assert!(
        history
            .iter()
            .all(|h| h["by"] == "Camille Martin" && h["at"].is_string())
    );
    assert_eq!(history[1]["reason"], "Erreur de saisie du second prénom");
    assert_eq!(
        history[1]["changes"],
        json!([{"field": "Prénoms", "before": "Awa Marie-Louise", "after": "Awa Marie"}])
    );
    assert_eq!(history[2]["reason"], "Mobile perdu");
    assert_eq!(
        history[2]["label"],
        "Coordonnées corrigées (activation e-CPS à refaire)"
    );
    let exercice = &history[3]["changes"];
    assert_eq!(
        exercice[0],
        json!({"field": "Nom d'exercice", "before": "Martin", "after": "Diallo"})
    );
    // Both addresses are told of the contact correction; the new one gets the activation link.
    let to_new = &delivered_where(&app, |m| m["to"] == "awa@nouveau.fr", 1).await[0];
    assert!(text_of(to_new).contains("/activation"));
    let outbox = app.storage.outbox().await.unwrap();
    assert!(
        outbox
            .iter()
            .any(|m| m.recipient == "awa.ndiaye@exemple.fr" && m.subject.contains("remplacée"))
    );
    // The name change shows in the directory and the situation.
    let found = app.directory(&cookie, "?q=diallo").await;
    assert_eq!(
        found["professionnels"][0]["situations"][0]["nom_exercice"],
        "Diallo"
    );
}

#[tokio::test]
async fn the_directory_searches_by_name_or_number_filters_and_pages() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 41).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;
    let mut numbers = Vec::new();
    for i in 0..52 {
        let letter = |n: usize| char::from(b'a' + u8::try_from(n % 26).unwrap());
        let nom = format!("Nom{}{}", letter(i / 26), letter(i));
        let (_, _, rpps) = registered(
            &app,
            &cookie,
            site,
            json!({
                "nom_naissance": nom,
                "situation": {"finess": finess(410), "nom_exercice": nom,
                              "prenom_exercice": "Éloïse", "metier": if i == 0 { "326" } else { "328" },
                              "role": "GENR11", "mode_exercice": "S", "date_prise_fonction": "2024-09-01"},
                "email": format!("p{i}@exemple.fr"), "email_confirmation": format!("p{i}@exemple.fr"),
            }),
        )
        .await;
        numbers.push(rpps);
    }
    let first = app.directory(&cookie, "").await;
    let rows = first["professionnels"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    let names: Vec<String> = rows
        .iter()
        .map(|r| r["nom_exercice"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by name");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.directory(&cookie, &format!("?cursor={cursor}")).await;
    assert_eq!(second["professionnels"].as_array().unwrap().len(), 2);
    assert!(second["next_cursor"].is_null());

    // Accents and case do not matter; words match their start; an RPPS number finds its person.
    let found = app.directory(&cookie, "?q=ELOISE%20nomaa").await;
    assert_eq!(found["professionnels"].as_array().unwrap().len(), 1);
    let by_number = app.directory(&cookie, &format!("?q={}", numbers[7])).await;
    assert_eq!(by_number["professionnels"][0]["rpps"], numbers[7].as_str());
    let by_metier = app.directory(&cookie, "?metier=326").await;
    assert_eq!(by_metier["professionnels"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.directory(&cookie, "?role=GENR08").await["professionnels"],
        json!([])
    );
    for bad in ["?statut=nope", "?metier=999", "?cursor=%25%25", "?q=%2D%2D"] {
        assert_envelope(
            app.get_gestion(&format!("/api/v1/gestion/professionnels{bad}"), &cookie)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        )
        .await;
    }
    assert_envelope(
        app.get("/api/v1/gestion/professionnels").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn registration_update_and_departure_emails_reach_a_real_smtp_sink() {
    let mut sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(TestOptions {
        env: vec![
            ("ENROLE_SMTP_URL", format!("smtp://127.0.0.1:{}", sink.port)),
            ("ENROLE_PUBLIC_URL", "https://enrole.example.fr".to_owned()),
        ],
        ..TestOptions::default()
    })
    .await;
    let (ej, site) = establishment(&app, 42).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;
    let dir = sink.maildir.path().join("maildir/new");
    let before = messages(dir.clone(), 1).await.len(); // the password link
    let (id, situation, rpps) = registered(&app, &cookie, site, json!({})).await;
    json_body(
        app.put_gestion(
            &format!("/api/v1/gestion/professionnels/{id}/situations/{situation}"),
            &situation_update("GENR12"),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_body(
        app.close(
            &cookie,
            id,
            situation,
            json!({"end_date": "2025-12-31", "end_reason": "retraite"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let all = messages(dir, before + 3).await;
    let to_person: Vec<&Value> = all
        .iter()
        .filter(|m| m["to"] == "awa.ndiaye@exemple.fr")
        .collect();
    assert_eq!(to_person.len(), 3);
    let number = to_person
        .iter()
        .find(|m| m["subject"].as_str().unwrap().contains(&rpps))
        .expect("number email");
    assert!(
        number["text/plain"]
            .as_str()
            .unwrap()
            .contains("https://enrole.example.fr/activation")
    );
    assert!(
        to_person
            .iter()
            .any(|m| m["subject"] == "Fin de votre situation d'exercice")
    );
    assert!(
        to_person
            .iter()
            .any(|m| m["subject"] == "Votre situation d'exercice a été mise à jour")
    );
    sink.child.kill().await.ok();
}

#[tokio::test]
async fn a_person_validated_from_the_queue_is_in_the_directory_with_that_validation_in_their_history()
 {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 43).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;
    let created = submit_to(&app, site, json!({})).await;
    let request = id_of(&app, &cookie, created["reference"].as_str().unwrap()).await;
    let decided = decide(&app, &cookie, request, json!({"decision": "validate"})).await;
    assert_eq!(decided.status(), StatusCode::OK);
    let list = app.directory(&cookie, "?q=ndiaye").await;
    let id = list["professionnels"][0]["id"].as_i64().unwrap();
    let history = app.history(&cookie, id).await;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0]["action"], "pre_registration.validee");
    assert_eq!(history[0]["by"], "Camille Martin");
    assert!(
        history[0]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "Statut de la demande" && c["after"] == "Validée"),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_number_the_person_already_has_is_recorded_or_reused_never_a_new_one() {
    let app = TestApp::spawn().await;
    let (ej_a, site_a) = establishment(&app, 44).await;
    let (ej_b, site_b) = establishment(&app, 45).await;
    let a = app.signed_in("a@exemple.fr", AttachTo::EjSiret(ej_a)).await;
    let b = app.signed_in("b@exemple.fr", AttachTo::EjSiret(ej_b)).await;
    // A number from an Ordre, unknown to Enrôle: recorded as declared, nothing allocated.
    let (id, _, rpps) = registered(&app, &a, site_a, json!({"rpps_existant": "10001234567"})).await;
    assert_eq!(rpps, "10001234567");
    // Another establishment gives the same number: the same person gets a second situation.
    let body = json_body(
        app.register(&b, site_b, json!({"rpps_existant": "10001234567"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(body["professional_id"], id);
    assert_eq!(body["identity_reused"], true);
    // The same number with another identity is refused.
    let other = assert_envelope(
        app.register(
            &b,
            site_b,
            json!({"rpps_existant": "10001234567", "nom_naissance": "Durand"}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert!(
        other["error"]["message"]
            .as_str()
            .unwrap()
            .contains("autre identité")
    );
    // Allocation did not move: the first allocated number is still sequence 0.
    let (_, _, allocated) = registered(
        &app,
        &a,
        site_a,
        json!({"nom_naissance": "Durand", "email": "d@exemple.fr", "email_confirmation": "d@exemple.fr"}),
    )
    .await;
    assert_eq!(&allocated[..10], "9000000000");
}

#[tokio::test]
async fn a_person_names_their_birth_place_in_words_and_follows_a_correction() {
    let app = TestApp::spawn().await;
    let (ej, site) = establishment(&app, 49).await;
    let cookie = app.signed_in("rh@exemple.fr", AttachTo::EjSiret(ej)).await;
    let (id, _, _) = registered(&app, &cookie, site, json!({})).await;
    assert_eq!(
        app.person(&cookie, id).await["lieu_naissance_libelle"],
        "Ajaccio (Corse-du-Sud)"
    );
    let corrected = json_body(
        app.put_gestion(
            &format!("/api/v1/gestion/professionnels/{id}/etat-civil"),
            &json!({"civilite": "MME", "nom_naissance": "N'Diaye", "prenoms": ["Awa", "Marie-Louise"],
                    "date_naissance": "1988-11-03",
                    "lieu_naissance": {"pays_cog": "99134", "ville_etrangere": "Madrid"},
                    "reason": "Née à Madrid : erreur de saisie du lieu"}),
            &cookie,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(corrected["lieu_naissance_libelle"], "Madrid (Espagne)");
}
