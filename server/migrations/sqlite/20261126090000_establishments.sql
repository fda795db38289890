-- Entités juridiques, their sites (établissements géographiques) and the audit log.
-- Constraint names are part of the API: the server maps unique violations to fields by name.

CREATE TABLE establishments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nom TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    siret TEXT,
    finess_juridique TEXT,
    demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    created_at TEXT NOT NULL,
    CONSTRAINT establishments_identifier_present CHECK (siret IS NOT NULL OR finess_juridique IS NOT NULL),
    CONSTRAINT establishments_siret_key UNIQUE (siret),
    CONSTRAINT establishments_finess_juridique_key UNIQUE (finess_juridique)
);

CREATE TABLE sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    establishment_id INTEGER NOT NULL REFERENCES establishments (id) ON DELETE RESTRICT,
    nom TEXT NOT NULL CHECK (length(nom) BETWEEN 1 AND 200),
    finess TEXT,
    siret TEXT,
    commune TEXT,
    -- Accent- and case-folded words of nom, commune and identifiers, computed by the server (shared::fold).
    search_key TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    created_at TEXT NOT NULL,
    CONSTRAINT sites_identifier_present CHECK (finess IS NOT NULL OR siret IS NOT NULL),
    CONSTRAINT sites_finess_key UNIQUE (finess),
    CONSTRAINT sites_siret_key UNIQUE (siret)
);

CREATE INDEX sites_establishment_id_idx ON sites (establishment_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);

CREATE INDEX audit_log_subject_idx ON audit_log (subject);
