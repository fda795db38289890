//! Storage of the intranet origins allowed to embed the form (issue 6), per entité juridique.
//!
//! A gestionnaire manages the origins of the entités juridiques they cover: those they are attached to, and
//! those of the sites they are attached to (one intranet per legal entity). Same SQL on both backends.

use serde_json::json;
use sqlx::FromRow;
use time::OffsetDateTime;

use super::gestion::SCOPE_SITES;
use super::statements::Statements;
use super::{Actor, Storage, StorageError, is_unique_violation, now};

/// A stored allowed origin (normalised by `shared::embed::EmbedOrigin` before it is written).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EmbedOriginRecord {
    pub id: i64,
    pub establishment_id: i64,
    pub origin: String,
    pub created_at: OffsetDateTime,
}

/// The outcome of adding an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedOrigin {
    Added(EmbedOriginRecord),
    /// Already allowed for that entité juridique.
    Duplicate,
    /// The entité juridique does not exist or is not the gestionnaire's.
    OutOfScope,
}

/// Entités juridiques covered by gestionnaire `$1`.
fn scope_establishments() -> String {
    format!("(SELECT s.establishment_id FROM sites s WHERE s.id IN {SCOPE_SITES})")
}

const COLUMNS: &str = "id, establishment_id, origin, created_at";

impl Storage {
    /// The origins of every entité juridique gestionnaire `gestionnaire_id` covers, oldest first.
    #[tracing::instrument(skip_all, err)]
    pub async fn embed_origins_of_gestionnaire(
        &self,
        gestionnaire_id: i64,
    ) -> Result<Vec<EmbedOriginRecord>, StorageError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM embed_origins WHERE establishment_id IN {} ORDER BY created_at, \
             id",
            scope_establishments()
        );
        with_pool!(self, async |pool| Ok(
            sqlx::query_as::<_, EmbedOriginRecord>(sqlx::AssertSqlSafe(sql))
                .bind(gestionnaire_id)
                .fetch_all(pool)
                .await?
        ))
    }

    /// The origins allowed to frame the form of the site with FINESS `finess`; `None` when no site has it.
    #[tracing::instrument(skip_all, err)]
    pub async fn embed_origins_of_finess(
        &self,
        finess: &str,
    ) -> Result<Option<Vec<String>>, StorageError> {
        let Some(site) = self.find_site_by_finess(finess).await? else {
            return Ok(None);
        };
        let origins: Vec<(String,)> = with_pool!(self, async |pool| {
            Ok(sqlx::query_as(
                "SELECT origin FROM embed_origins WHERE establishment_id = $1 ORDER BY id",
            )
            .bind(site.establishment_id)
            .fetch_all(pool)
            .await?)
        })?;
        Ok(Some(origins.into_iter().map(|(o,)| o).collect()))
    }

    /// Allows `origin` for entité juridique `establishment_id` if the gestionnaire covers it; audited.
    #[tracing::instrument(skip_all, err)]
    pub async fn add_embed_origin(
        &self,
        gestionnaire_id: i64,
        establishment_id: i64,
        origin: &str,
        actor: &Actor,
    ) -> Result<AddedOrigin, StorageError> {
        let at = now();
        let in_scope = format!(
            "SELECT 1 FROM sites s WHERE s.establishment_id = $2 AND s.id IN {SCOPE_SITES}"
        );
        let insert = format!(
            "INSERT INTO embed_origins (establishment_id, origin, created_at) VALUES ($1, $2, $3) \
             RETURNING {COLUMNS}"
        );
        with_tx!(self, async |mut tx| {
            let covered: Option<(i32,)> = sqlx::query_as(sqlx::AssertSqlSafe(in_scope))
                .bind(gestionnaire_id)
                .bind(establishment_id)
                .fetch_optional(&mut *tx)
                .await?;
            if covered.is_none() {
                return Ok(AddedOrigin::OutOfScope);
            }
            let inserted = sqlx::query_as::<_, EmbedOriginRecord>(sqlx::AssertSqlSafe(insert))
                .bind(establishment_id)
                .bind(origin)
                .bind(at)
                .fetch_one(&mut *tx)
                .await;
            let record = match inserted {
                Ok(record) => record,
                Err(err) if is_unique_violation(&err) => return Ok(AddedOrigin::Duplicate),
                Err(err) => return Err(err.into()),
            };
            tx.audit(
                at,
                actor.as_str(),
                "embed_origin.add",
                &format!("establishment:{establishment_id}"),
                &json!({
                    "embed_origin_id": record.id,
                    "before": null,
                    "after": {"origin": record.origin},
                }),
            )
            .await?;
            tx.commit().await?;
            Ok(AddedOrigin::Added(record))
        })
    }

    /// Removes origin `id` if it belongs to an entité juridique the gestionnaire covers; audited. `None` when
    /// there is no such origin in their scope.
    #[tracing::instrument(skip_all, err)]
    pub async fn remove_embed_origin(
        &self,
        gestionnaire_id: i64,
        id: i64,
        actor: &Actor,
    ) -> Result<Option<EmbedOriginRecord>, StorageError> {
        let at = now();
        let delete = format!(
            "DELETE FROM embed_origins WHERE id = $2 AND establishment_id IN {} RETURNING \
             {COLUMNS}",
            scope_establishments()
        );
        with_tx!(self, async |mut tx| {
            let removed = sqlx::query_as::<_, EmbedOriginRecord>(sqlx::AssertSqlSafe(delete))
                .bind(gestionnaire_id)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(record) = removed else {
                return Ok(None);
            };
            tx.audit(
                at,
                actor.as_str(),
                "embed_origin.remove",
                &format!("establishment:{}", record.establishment_id),
                &json!({
                    "embed_origin_id": record.id,
                    "before": {"origin": record.origin},
                    "after": null,
                }),
            )
            .await?;
            tx.commit().await?;
            Ok(Some(record))
        })
    }
}
