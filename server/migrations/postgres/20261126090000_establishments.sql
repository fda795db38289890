-- Entités juridiques, their sites (établissements géographiques) and the audit log.
-- Constraint names are part of the API: the server maps unique violations to fields by name.

CREATE TABLE establishments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nom TEXT NOT NULL CHECK (char_length(nom) BETWEEN 1 AND 200),
    siret TEXT,
    finess_juridique TEXT,
    demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT establishments_identifier_present CHECK (siret IS NOT NULL OR finess_juridique IS NOT NULL),
    CONSTRAINT establishments_siret_key UNIQUE (siret),
    CONSTRAINT establishments_finess_juridique_key UNIQUE (finess_juridique)
);

CREATE TABLE sites (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id) ON DELETE RESTRICT,
    nom TEXT NOT NULL CHECK (char_length(nom) BETWEEN 1 AND 200),
    finess TEXT,
    siret TEXT,
    commune TEXT,
    -- Accent- and case-folded words of nom, commune and identifiers, computed by the server (shared::fold).
    search_key TEXT NOT NULL,
    demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT sites_identifier_present CHECK (finess IS NOT NULL OR siret IS NOT NULL),
    CONSTRAINT sites_finess_key UNIQUE (finess),
    CONSTRAINT sites_siret_key UNIQUE (siret)
);

CREATE INDEX sites_establishment_id_idx ON sites (establishment_id);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details JSONB NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX audit_log_subject_idx ON audit_log (subject);
