-- An email's bodies carry one-time links (status page, email confirmation, activation, password) whose tokens are
-- otherwise stored only as hashes. From now on they are erased once the email is sent or given up; erase those of
-- the emails already sent or given up.
UPDATE mail_outbox SET text_body = '', html_body = '' WHERE sent_at IS NOT NULL OR next_attempt_at IS NULL;
