-- Intranet origins allowed to embed the pre-registration form of an entité juridique's sites (issue 6). The server
-- writes them normalised (shared::embed::EmbedOrigin): the unique key compares them as browsers do.

CREATE TABLE embed_origins (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id) ON DELETE CASCADE,
    origin TEXT NOT NULL CHECK (char_length(origin) BETWEEN 8 AND 300),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT embed_origins_establishment_origin_key UNIQUE (establishment_id, origin)
);
