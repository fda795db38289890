-- The gestionnaire's queue and decisions: request flags and decision columns, per-site status counters kept in the
-- transactions that change statuses, professionals (identities with their RPPS number), situations d'exercice,
-- the RPPS allocation counter, and the batching state of new-request notifications.

ALTER TABLE pre_registrations ADD COLUMN identity_key TEXT;
ALTER TABLE pre_registrations ADD COLUMN returned_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pre_registrations ADD COLUMN corrections TEXT;
ALTER TABLE pre_registrations ADD COLUMN reason_code TEXT;
ALTER TABLE pre_registrations ADD COLUMN decided_by INTEGER REFERENCES gestionnaires (id);
ALTER TABLE pre_registrations ADD COLUMN decided_at TEXT;
ALTER TABLE pre_registrations ADD COLUMN professional_id INTEGER;
-- "Pièce vérifiée": {"type", "verified_at", "by"}, kept after the document itself is deleted.
ALTER TABLE pre_registrations ADD COLUMN document_verified TEXT;
ALTER TABLE pre_registrations ADD COLUMN document_delete_after TEXT;

ALTER TABLE documents ADD COLUMN deleted_at TEXT;

DROP INDEX pre_registrations_site_id_idx;
-- Keyset pagination, oldest first, per site and status; and across sites for one status.
CREATE INDEX pre_registrations_queue_idx ON pre_registrations (site_id, status, created_at, id);
CREATE INDEX pre_registrations_status_idx ON pre_registrations (status, created_at, id);
CREATE INDEX pre_registrations_identity_key_idx ON pre_registrations (identity_key);
CREATE INDEX pre_registrations_delete_after_idx ON pre_registrations (document_delete_after)
    WHERE document_delete_after IS NOT NULL;

CREATE TABLE queue_counts (
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (site_id, status)
);

INSERT INTO queue_counts (site_id, status, n)
    SELECT site_id, status, COUNT(*) FROM pre_registrations GROUP BY site_id, status;

CREATE TABLE professionals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rpps TEXT NOT NULL,
    -- 'enrole' (allocated here) or 'declare' (an existing number the gestionnaire attached to).
    source TEXT NOT NULL CHECK (source IN ('enrole', 'declare')),
    civilite TEXT NOT NULL,
    nom_naissance TEXT NOT NULL,
    prenoms TEXT NOT NULL,
    date_naissance TEXT NOT NULL,
    lieu_commune_cog TEXT,
    lieu_pays_cog TEXT,
    lieu_ville_etrangere TEXT,
    lieu_commune_libre TEXT,
    lieu_departement_libre TEXT,
    email TEXT NOT NULL,
    mobile TEXT NOT NULL,
    nom_exercice TEXT NOT NULL,
    prenom_exercice TEXT NOT NULL,
    identity_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT professionals_rpps_key UNIQUE (rpps)
);

CREATE INDEX professionals_identity_key_idx ON professionals (identity_key);

CREATE TABLE situations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    professional_id INTEGER NOT NULL REFERENCES professionals (id) ON DELETE RESTRICT,
    site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE RESTRICT,
    pre_registration_id INTEGER REFERENCES pre_registrations (id) ON DELETE RESTRICT,
    nom_exercice TEXT NOT NULL,
    prenom_exercice TEXT NOT NULL,
    metier TEXT NOT NULL,
    role TEXT NOT NULL,
    mode_exercice TEXT NOT NULL,
    date_prise_fonction TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    ended_at TEXT,
    created_at TEXT NOT NULL
);

CREATE UNIQUE INDEX situations_active_key ON situations (professional_id, site_id) WHERE active = 1;

-- Next sequence per first digit: numbers are never reused.
CREATE TABLE rpps_counter (
    prefix INTEGER PRIMARY KEY,
    next_sequence INTEGER NOT NULL
);

-- New-request notifications: at most one email per gestionnaire per period.
CREATE TABLE gestionnaire_notifications (
    gestionnaire_id INTEGER PRIMARY KEY REFERENCES gestionnaires (id) ON DELETE CASCADE,
    pending_since TEXT,
    last_sent_at TEXT
);
