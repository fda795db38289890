-- e-CPS activation state of a professional: NULL until they proved both their email and their mobile; reset to
-- NULL when a gestionnaire corrects their contact data (activation then starts again).
ALTER TABLE professionals ADD COLUMN ecps_activated_at TEXT;
