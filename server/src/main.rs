//! `enrole`: the command-line entry point. Thin: parses arguments, reads the configuration, calls the library.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use enrole_server::establishments::{self, EstablishmentError, EstablishmentInput, SiteInput};
use enrole_server::gestionnaires;
use enrole_server::storage::{Actor, EstablishmentKey, EstablishmentWithSites, Storage};
use enrole_server::{Application, Config, telemetry};
use secrecy::ExposeSecret;
use serde_json::json;

/// Enrôle : pré-enregistrement et enregistrement des professionnels à rôle (RPPS+).
///
/// La configuration vient des variables d'environnement ENROLE_* (voir server/CONFIG.md).
#[derive(Debug, Parser)]
#[command(name = "enrole", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Applique les migrations puis sert l'API et l'application web.
    Serve,
    /// Applique les migrations de la base de données et s'arrête.
    Migrate,
    /// Crée l'entité juridique de démonstration et ses sites s'ils manquent (idempotent).
    SeedDemo,
    /// Entités juridiques et leurs sites.
    #[command(subcommand)]
    Establishment(EstablishmentCommand),
    /// Gestionnaires RPPS+ : comptes, rattachements, désactivation.
    #[command(subcommand)]
    Gestionnaire(GestionnaireCommand),
}

#[derive(Debug, Subcommand)]
enum GestionnaireCommand {
    /// Crée un gestionnaire rattaché à une entité juridique (tous ses sites) ou à un site, et lui envoie un
    /// lien à usage unique pour choisir son mot de passe (le lien est aussi affiché).
    Create {
        /// Adresse email professionnelle.
        #[arg(long)]
        email: String,
        /// Nom et prénom.
        #[arg(long)]
        nom: String,
        #[command(flatten)]
        target: AttachArgs,
    },
    /// Rattache un gestionnaire existant à une autre entité juridique ou à un autre site.
    Attach {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        target: AttachArgs,
    },
    /// Envoie (et affiche) un nouveau lien à usage unique pour choisir le mot de passe.
    PasswordLink {
        #[arg(long)]
        email: String,
    },
    /// Désactive un gestionnaire qui part : ses sessions se terminent immédiatement.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Liste les gestionnaires et leurs rattachements.
    List,
}

/// An entité juridique or a site (exactly one).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct AttachArgs {
    /// SIRET de l'entité juridique (le gestionnaire couvre tous ses sites).
    #[arg(long)]
    ej_siret: Option<String>,
    /// Identifiant de l'entité juridique.
    #[arg(long)]
    ej_id: Option<i64>,
    /// FINESS géographique d'un site.
    #[arg(long)]
    site_finess: Option<String>,
}

impl AttachArgs {
    fn target(&self) -> Option<gestionnaires::AttachTo> {
        if let Some(siret) = &self.ej_siret {
            return Some(gestionnaires::AttachTo::EjSiret(siret.clone()));
        }
        if let Some(id) = self.ej_id {
            return Some(gestionnaires::AttachTo::EjId(id));
        }
        self.site_finess
            .clone()
            .map(gestionnaires::AttachTo::SiteFiness)
    }
}

#[derive(Debug, Subcommand)]
enum EstablishmentCommand {
    /// Crée une entité juridique, identifiée par son SIRET et/ou son FINESS juridique.
    Create {
        /// Nom de l'entité juridique.
        #[arg(long)]
        nom: String,
        /// SIRET (14 chiffres).
        #[arg(long)]
        siret: Option<String>,
        /// FINESS juridique (9 caractères).
        #[arg(long)]
        finess_juridique: Option<String>,
        /// Affiche le résultat en JSON.
        #[arg(long)]
        json: bool,
    },
    /// Ajoute un site (établissement géographique) à une entité juridique.
    AddSite {
        #[command(flatten)]
        ej: EjRef,
        /// Nom du site.
        #[arg(long)]
        nom: String,
        /// FINESS géographique (9 caractères).
        #[arg(long)]
        finess: Option<String>,
        /// SIRET du site, pour les structures absentes de FINESS (certains DAC, CRT…).
        #[arg(long)]
        siret: Option<String>,
        /// Commune du site.
        #[arg(long)]
        commune: Option<String>,
        /// Affiche le résultat en JSON.
        #[arg(long)]
        json: bool,
    },
    /// Liste les entités juridiques et leurs sites.
    List {
        /// Affiche du JSON au lieu d'un tableau.
        #[arg(long)]
        json: bool,
    },
}

/// Which entité juridique a site belongs to (exactly one).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
struct EjRef {
    /// Identifiant de l'entité juridique (voir `establishment list`).
    #[arg(long)]
    ej_id: Option<i64>,
    /// SIRET de l'entité juridique.
    #[arg(long)]
    ej_siret: Option<String>,
    /// FINESS juridique de l'entité juridique.
    #[arg(long)]
    ej_finess: Option<String>,
}

impl EjRef {
    fn key(&self) -> Option<EstablishmentKey> {
        if let Some(id) = self.ej_id {
            return Some(EstablishmentKey::Id(id));
        }
        if let Some(siret) = &self.ej_siret {
            return Some(EstablishmentKey::Siret(siret.split_whitespace().collect()));
        }
        self.ej_finess.as_ref().map(|f| {
            EstablishmentKey::FinessJuridique(
                f.split_whitespace().collect::<String>().to_uppercase(),
            )
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "enrole : configuration invalide : {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log, config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "enrole : {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "enrole : {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open_storage(config: &Config) -> anyhow::Result<Storage> {
    let storage = Storage::connect(&config.database_url, &config.database)
        .await
        .with_context(|| {
            format!(
                "connexion à la base {} impossible",
                config.database_backend()
            )
        })?;
    storage
        .migrate()
        .await
        .context("migration de la base impossible")?;
    Ok(storage)
}

/// On SQLite, makes this process the only server of the file (an exclusive lock on `<file>.serve-lock`): its
/// writers take their turns in one in-process queue, which another process would bypass (it would fall back on
/// SQLite's polling). PostgreSQL serves several processes.
fn take_sqlite_instance(config: &Config) -> anyhow::Result<Option<std::fs::File>> {
    let Some(file) =
        enrole_server::storage::sqlite_database_file(config.database_url.expose_secret())
    else {
        return Ok(None);
    };
    let mut lock_path = file.into_os_string();
    lock_path.push(".serve-lock");
    if let Some(parent) = std::path::Path::new(&lock_path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).context("dossier de la base SQLite impossible à créer")?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .context("verrou de la base SQLite impossible à ouvrir")?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "une autre instance d'enrole sert déjà cette base SQLite (une seule instance par fichier ; \
             PostgreSQL pour plusieurs)"
        ),
        Err(std::fs::TryLockError::Error(err)) => {
            return Err(err).context("verrou de la base SQLite impossible à prendre");
        }
    }
    Ok(Some(lock))
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            // Held until the server stops: the OS releases it even after SIGKILL.
            let _instance_lock = take_sqlite_instance(&config)?;
            let public_url = config.public_url.clone();
            let app = Application::build(config).await?;
            tracing::info!(port = app.port(), %public_url, "Enrôle est prêt");
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Migrate => {
            let storage = open_storage(&config).await?;
            storage.close().await;
            out(&format!(
                "Migrations appliquées ({}).",
                config.database_backend()
            ))
        }
        Command::SeedDemo => {
            let storage = open_storage(&config).await?;
            let report = establishments::seed_demo(&storage)
                .await
                .map_err(establishment_error)?;
            let (gestionnaire, link) =
                gestionnaires::seed_demo(&storage, &config, report.establishment.id)
                    .await
                    .map_err(establishment_error)?;
            storage.close().await;
            out(&format!(
                "Gestionnaire de démonstration : {} ({}). Lien à usage unique pour choisir son mot de passe :\n{link}",
                gestionnaire.nom, gestionnaire.email
            ))?;
            out(&format!(
                "Données de démonstration : entité juridique « {} » (id {}, {}), sites créés : {}, déjà présents : {}.",
                report.establishment.nom,
                report.establishment.id,
                if report.establishment_created {
                    "créée"
                } else {
                    "déjà présente"
                },
                report.sites_created,
                report.sites_existing
            ))
        }
        Command::Establishment(command) => {
            let storage = open_storage(&config).await?;
            let result = establishment(&storage, command).await;
            storage.close().await;
            result
        }
        Command::Gestionnaire(command) => {
            let storage = open_storage(&config).await?;
            let result = gestionnaire(&storage, &config, command).await;
            storage.close().await;
            result
        }
    }
}

async fn find_gestionnaire(
    storage: &Storage,
    email: &str,
) -> anyhow::Result<enrole_server::storage::GestionnaireRecord> {
    storage
        .find_gestionnaire_by_email(&enrole_server::auth::normalise_email(email))
        .await?
        .context("aucun gestionnaire avec cette adresse")
}

async fn gestionnaire(
    storage: &Storage,
    config: &Config,
    command: GestionnaireCommand,
) -> anyhow::Result<()> {
    let actor = Actor::cli();
    match command {
        GestionnaireCommand::Create { email, nom, target } => {
            let target = target
                .target()
                .context("indiquez --ej-siret, --ej-id ou --site-finess")?;
            let created = gestionnaires::create(storage, &email, &nom, &target, &actor)
                .await
                .map_err(establishment_error)?;
            let link =
                gestionnaires::issue_password_link(storage, config, &created, &actor).await?;
            out(&format!(
                "Gestionnaire créé : {} <{}> (id {}). Lien envoyé par email (à usage unique) :\n{link}",
                created.nom, created.email, created.id
            ))
        }
        GestionnaireCommand::Attach { email, target } => {
            let found = find_gestionnaire(storage, &email).await?;
            let target = target
                .target()
                .context("indiquez --ej-siret, --ej-id ou --site-finess")?;
            let resolved = gestionnaires::resolve(storage, &target)
                .await
                .map_err(establishment_error)?;
            let added = storage
                .attach_gestionnaire(found.id, resolved, &actor)
                .await?;
            out(if added {
                "Rattachement ajouté."
            } else {
                "Ce rattachement existait déjà."
            })
        }
        GestionnaireCommand::PasswordLink { email } => {
            let found = find_gestionnaire(storage, &email).await?;
            anyhow::ensure!(found.disabled_at.is_none(), "ce gestionnaire est désactivé");
            let link = gestionnaires::issue_password_link(storage, config, &found, &actor).await?;
            out(&format!("Lien envoyé par email (à usage unique) :\n{link}"))
        }
        GestionnaireCommand::Disable { email } => {
            let found = find_gestionnaire(storage, &email).await?;
            storage.disable_gestionnaire(found.id, &actor).await?;
            out(&format!(
                "Gestionnaire {} désactivé ; ses sessions sont terminées.",
                found.email
            ))
        }
        GestionnaireCommand::List => {
            let all = storage.list_gestionnaires().await?;
            if all.is_empty() {
                return out("Aucun gestionnaire (voir `enrole gestionnaire create --help`).");
            }
            let lines: Vec<String> = all
                .iter()
                .map(|l| {
                    let g = &l.gestionnaire;
                    let state = if g.disabled_at.is_some() {
                        "désactivé"
                    } else if g.password_hash.is_none() {
                        "mot de passe à choisir"
                    } else {
                        "actif"
                    };
                    format!(
                        "{}  {}  {}  [{}]  {}",
                        g.id,
                        g.email,
                        g.nom,
                        state,
                        l.attachments.join(", ")
                    )
                })
                .collect();
            out(&lines.join("\n"))
        }
    }
}

async fn establishment(storage: &Storage, command: EstablishmentCommand) -> anyhow::Result<()> {
    match command {
        EstablishmentCommand::Create {
            nom,
            siret,
            finess_juridique,
            json,
        } => {
            let input = EstablishmentInput {
                nom,
                siret,
                finess_juridique,
            };
            let created = establishments::create_establishment(storage, &input, &Actor::cli())
                .await
                .map_err(establishment_error)?;
            warn_all(&created.warnings)?;
            let record = created.value;
            if json {
                out(&json!({
                    "id": record.id,
                    "nom": record.nom,
                    "siret": record.siret,
                    "finess_juridique": record.finess_juridique,
                    "demo": record.demo,
                })
                .to_string())
            } else {
                out(&format!(
                    "Entité juridique créée : « {} » (id {}).",
                    record.nom, record.id
                ))
            }
        }
        EstablishmentCommand::AddSite {
            ej,
            nom,
            finess,
            siret,
            commune,
            json,
        } => {
            let key = ej
                .key()
                .context("indiquez --ej-id, --ej-siret ou --ej-finess")?;
            let input = SiteInput {
                nom,
                finess,
                siret,
                commune,
            };
            let created = establishments::add_site(storage, &key, &input, &Actor::cli())
                .await
                .map_err(establishment_error)?;
            warn_all(&created.warnings)?;
            let site = created.value;
            if json {
                out(&serde_json::to_string(&enrole_server::api::site_dto(site))?)
            } else {
                out(&format!(
                    "Site créé : « {} » (id {}) dans l'entité juridique {}.",
                    site.nom, site.id, site.establishment_id
                ))
            }
        }
        EstablishmentCommand::List { json } => {
            let all = storage.list_establishments().await?;
            if json {
                out(&serde_json::to_string_pretty(&list_json(&all))?)
            } else {
                out(&list_table(&all))
            }
        }
    }
}

fn establishment_error(err: EstablishmentError) -> anyhow::Error {
    match err.field_errors() {
        Some(fields) => {
            let lines: Vec<String> = fields
                .iter()
                .flat_map(|(field, messages)| {
                    messages
                        .iter()
                        .map(move |m| format!("  --{} : {m}", field.replace('_', "-")))
                })
                .collect();
            anyhow::anyhow!(
                "{}\n{}",
                if matches!(err, EstablishmentError::Invalid(_)) {
                    "données invalides :"
                } else {
                    "déjà enregistré :"
                },
                lines.join("\n")
            )
        }
        None => match err {
            EstablishmentError::EstablishmentNotFound => {
                anyhow::anyhow!("entité juridique introuvable")
            }
            other => anyhow::Error::new(other),
        },
    }
}

fn list_json(all: &[EstablishmentWithSites]) -> serde_json::Value {
    let items: Vec<shared::api::EntiteJuridique> = all
        .iter()
        .map(|ej| shared::api::EntiteJuridique {
            id: ej.establishment.id,
            nom: ej.establishment.nom.clone(),
            siret: ej.establishment.siret.clone(),
            finess_juridique: ej.establishment.finess_juridique.clone(),
            demo: ej.establishment.demo,
            sites: ej
                .sites
                .iter()
                .cloned()
                .map(enrole_server::api::site_dto)
                .collect(),
        })
        .collect();
    json!({ "entites_juridiques": items })
}

fn list_table(all: &[EstablishmentWithSites]) -> String {
    if all.is_empty() {
        return "Aucune entité juridique enregistrée (voir `enrole establishment create --help`)."
            .to_owned();
    }
    let mut rows: Vec<[String; 6]> = vec![[
        "ID".to_owned(),
        "TYPE".to_owned(),
        "NOM".to_owned(),
        "FINESS".to_owned(),
        "SIRET".to_owned(),
        "COMMUNE".to_owned(),
    ]];
    let dash = || "-".to_owned();
    for ej in all {
        let e = &ej.establishment;
        rows.push([
            e.id.to_string(),
            if e.demo { "EJ (démo)" } else { "EJ" }.to_owned(),
            e.nom.clone(),
            e.finess_juridique.clone().unwrap_or_else(dash),
            e.siret.clone().unwrap_or_else(dash),
            dash(),
        ]);
        for site in &ej.sites {
            rows.push([
                site.id.to_string(),
                if site.demo {
                    "  site (démo)"
                } else {
                    "  site"
                }
                .to_owned(),
                format!("  {}", site.nom),
                site.finess.clone().unwrap_or_else(dash),
                site.siret.clone().unwrap_or_else(dash),
                site.commune.clone().unwrap_or_else(dash),
            ]);
        }
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            row.iter()
                .zip(widths)
                .map(|(cell, width)| format!("{cell}{}", " ".repeat(width - cell.chars().count())))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn out(text: &str) -> anyhow::Result<()> {
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

fn warn_all(warnings: &[String]) -> anyhow::Result<()> {
    for warning in warnings {
        writeln!(std::io::stderr().lock(), "attention : {warning}")?;
    }
    Ok(())
}
