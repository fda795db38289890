//! The real `enrole` binary: migrate, seed-demo, establishment create / add-site / list.

use std::process::Output;

use serde_json::Value;

use crate::helpers::{TestDatabase, finess, siret};

async fn enrole(database: &TestDatabase, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_enrole"))
        .args(args)
        .env_clear()
        .env("ENROLE_DATABASE_URL", database.url())
        .env("ENROLE_LOG", "warn")
        .output()
        .await
        .expect("run enrole")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "enrole failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test]
async fn the_enrole_binary_migrates_seeds_and_manages_establishments() {
    let database = TestDatabase::create().await;

    assert!(stdout(&enrole(&database, &["migrate"]).await).contains("Migrations appliquées"));
    let seeded = stdout(&enrole(&database, &["seed-demo"]).await);
    assert!(seeded.contains("sites créés : 3"), "{seeded}");
    let again = stdout(&enrole(&database, &["seed-demo"]).await);
    assert!(
        again.contains("sites créés : 0") && again.contains("déjà présents : 3"),
        "{again}"
    );

    let created: Value = serde_json::from_str(&stdout(
        &enrole(
            &database,
            &[
                "establishment",
                "create",
                "--nom",
                "Centre social Arc-en-ciel",
                "--siret",
                &siret(80),
                "--json",
            ],
        )
        .await,
    ))
    .unwrap();
    assert_eq!(created["siret"], siret(80));
    let ej_id = created["id"].as_i64().unwrap().to_string();
    let site = stdout(
        &enrole(
            &database,
            &[
                "establishment",
                "add-site",
                "--ej-id",
                &ej_id,
                "--nom",
                "Antenne Nord",
                "--finess",
                &finess(81),
                "--commune",
                "Blagnac",
            ],
        )
        .await,
    );
    assert!(site.contains("Site créé"), "{site}");

    let listed: Value = serde_json::from_str(&stdout(
        &enrole(&database, &["establishment", "list", "--json"]).await,
    ))
    .unwrap();
    let ejs = listed["entites_juridiques"].as_array().unwrap();
    assert_eq!(ejs.len(), 2);
    let demo = ejs.iter().find(|ej| ej["demo"] == true).expect("demo EJ");
    assert_eq!(demo["sites"].as_array().unwrap().len(), 3);
    let ours = ejs
        .iter()
        .find(|ej| ej["nom"] == "Centre social Arc-en-ciel")
        .expect("created EJ");
    assert_eq!(ours["sites"][0]["commune"], "Blagnac");

    let table = stdout(&enrole(&database, &["establishment", "list"]).await);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("(démo)") && table.contains("Antenne Nord") && table.contains(&finess(81)),
        "{table}"
    );
}

#[tokio::test]
async fn the_enrole_binary_reports_invalid_and_duplicate_input_in_french() {
    let database = TestDatabase::create().await;
    let invalid = enrole(
        &database,
        &["establishment", "create", "--nom", "EJ", "--siret", "12345"],
    )
    .await;
    assert!(!invalid.status.success());
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(stderr.contains("--siret"), "{stderr}");

    let args = [
        "establishment",
        "create",
        "--nom",
        "EJ",
        "--siret",
        &siret(90),
    ];
    assert!(enrole(&database, &args).await.status.success());
    let duplicate = enrole(&database, &args).await;
    assert!(!duplicate.status.success());
    let stderr = String::from_utf8_lossy(&duplicate.stderr);
    assert!(stderr.contains("déjà enregistrée"), "{stderr}");

    let bad_config = tokio::process::Command::new(env!("CARGO_BIN_EXE_enrole"))
        .arg("migrate")
        .env_clear()
        .env("ENROLE_LISTEN", "nowhere")
        .output()
        .await
        .unwrap();
    assert_eq!(bad_config.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_config.stderr).contains("ENROLE_LISTEN"));
}

#[tokio::test]
async fn the_enrole_binary_manages_gestionnaires_and_seeds_a_demo_one() {
    let database = TestDatabase::create().await;
    let seeded = stdout(&enrole(&database, &["seed-demo"]).await);
    assert!(seeded.contains("/gestion/mot-de-passe/"), "{seeded}");
    let again = stdout(&enrole(&database, &["seed-demo"]).await);
    assert!(
        again.contains("/gestion/mot-de-passe/"),
        "a new link each run: {again}"
    );
    assert_ne!(seeded, again);

    let ej = stdout(
        &enrole(
            &database,
            &[
                "establishment",
                "create",
                "--nom",
                "Association Les Lilas",
                "--siret",
                &siret(90),
            ],
        )
        .await,
    );
    assert!(ej.contains("créée"), "{ej}");
    let created = stdout(
        &enrole(
            &database,
            &[
                "gestionnaire",
                "create",
                "--email",
                "rh@lilas.fr",
                "--nom",
                "Dominique Rh",
                "--ej-siret",
                &siret(90),
            ],
        )
        .await,
    );
    assert!(created.contains("/gestion/mot-de-passe/"), "{created}");
    let duplicate = enrole(
        &database,
        &[
            "gestionnaire",
            "create",
            "--email",
            "RH@lilas.fr",
            "--nom",
            "X",
            "--ej-siret",
            &siret(90),
        ],
    )
    .await;
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("--email"));
    let attached = stdout(
        &enrole(
            &database,
            &[
                "gestionnaire",
                "attach",
                "--email",
                "rh@lilas.fr",
                "--site-finess",
                "319999918",
            ],
        )
        .await,
    );
    assert!(attached.contains("Rattachement ajouté"), "{attached}");
    let list = stdout(&enrole(&database, &["gestionnaire", "list"]).await);
    assert!(
        list.contains("rh@lilas.fr") && list.contains("EJ Association Les Lilas"),
        "{list}"
    );
    assert!(list.contains("mot de passe à choisir"), "{list}");
    let disabled = stdout(
        &enrole(
            &database,
            &["gestionnaire", "disable", "--email", "rh@lilas.fr"],
        )
        .await,
    );
    assert!(disabled.contains("désactivé"), "{disabled}");
    let list = stdout(&enrole(&database, &["gestionnaire", "list"]).await);
    assert!(list.contains("[désactivé]"), "{list}");
}
