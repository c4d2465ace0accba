/**
 * Schema migrations, applied in order, once each, under an advisory lock so that several
 * processes starting together do not race. Never edit a released migration: add one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ca-core',
    sql: `
CREATE TABLE authorities (
  id          text PRIMARY KEY CHECK (id IN ('root', 'issuing')),
  cert_der    bytea NOT NULL,
  sealed_key  bytea NOT NULL,  -- PKCS#8, envelope-encrypted under the master key
  created_at  timestamptz NOT NULL
);

CREATE TABLE certificates (
  serial             text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{1,40}$'),
  ca_id              text NOT NULL REFERENCES authorities (id),
  profile            text NOT NULL,
  email              text NOT NULL,
  name               text NOT NULL,
  status             text NOT NULL CHECK (status IN ('reserved', 'issued', 'revoked', 'failed')),
  cert_der           bytea,
  sha256             text,
  not_before         timestamptz,
  not_after          timestamptz,
  revoked_at         timestamptz,
  revocation_reason  text,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  CHECK (status IN ('reserved', 'failed') OR cert_der IS NOT NULL),
  CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX certificates_revoked_by_ca ON certificates (ca_id) WHERE status = 'revoked';
CREATE INDEX certificates_email ON certificates (email);

CREATE TABLE crls (
  ca_id        text NOT NULL REFERENCES authorities (id),
  number       bigint NOT NULL,
  der          bytea NOT NULL,
  this_update  timestamptz NOT NULL,
  next_update  timestamptz NOT NULL,
  PRIMARY KEY (ca_id, number)
);

-- Append-only, chained by SHA-256: hash = sha256(prev_hash || canonical entry).
CREATE TABLE audit_log (
  seq        bigserial PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  action     text NOT NULL,
  subject    text NOT NULL,
  details    jsonb NOT NULL,
  prev_hash  text NOT NULL,
  hash       text NOT NULL UNIQUE
);
`,
  },
  {
    version: 2,
    name: 'mail-channel',
    sql: `
-- Every message that got 250 (or was fetched over IMAP), sealed under the master key:
-- order forms carry shared passwords. Message-ID and content hash are claimed only by
-- the message that was processed, so a second delivery is recognised as a duplicate.
CREATE TABLE inbound_messages (
  id            text PRIMARY KEY,
  received_at   timestamptz NOT NULL,
  source        text NOT NULL CHECK (source IN ('smtp', 'imap')),
  mail_from     text NOT NULL,
  rcpt_to       text[] NOT NULL,
  remote        text,
  helo          text,
  sealed_raw    bytea NOT NULL,
  state         text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'claimed', 'processed', 'duplicate', 'dropped', 'failed')),
  reason        text,
  message_id    text,
  content_hash  text,
  from_address  text,
  subject       text,
  finished_at   timestamptz
);
CREATE UNIQUE INDEX inbound_messages_message_id ON inbound_messages (message_id) WHERE state IN ('claimed', 'processed', 'dropped', 'failed');
CREATE UNIQUE INDEX inbound_messages_content_hash ON inbound_messages (content_hash) WHERE state IN ('claimed', 'processed', 'dropped', 'failed');
CREATE INDEX inbound_messages_received ON inbound_messages (received_at);
CREATE INDEX inbound_messages_pending ON inbound_messages (received_at) WHERE state IN ('received', 'claimed');

CREATE TABLE outbound_messages (
  id             text PRIMARY KEY,
  recipient      text NOT NULL,
  kind           text NOT NULL,
  envelope_from  text NOT NULL,
  sealed_raw     bytea NOT NULL,
  state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  created_at     timestamptz NOT NULL,
  sent_at        timestamptz,
  bounced_at     timestamptz,
  bounce_inbound text  -- the DSN (inbound message) that reported the bounce
);
CREATE INDEX outbound_messages_state ON outbound_messages (state, created_at);

-- Reply tokens: keyed by SHA-256 of their random part; the token itself is never stored.
CREATE TABLE reply_tokens (
  lookup_id   text PRIMARY KEY,
  purpose     text NOT NULL,
  subject     text NOT NULL,
  recipient   text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  used_by     text  -- the inbound message that used it (a retried job may use it again)
);

-- Where the IMAP poller got to, per mailbox.
CREATE TABLE mailbox_state (
  mailbox       text PRIMARY KEY,
  uid_validity  bigint NOT NULL,
  last_uid      bigint NOT NULL,
  updated_at    timestamptz NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'journey-a',
    sql: `
-- Who decides: administrators per local authority code (local_authority '' = global)
-- and the support team, who activate certificates after collection.
CREATE TABLE staff (
  email            text NOT NULL,
  role             text NOT NULL CHECK (role IN ('admin', 'support')),
  local_authority  text NOT NULL DEFAULT '' CHECK (local_authority = '' OR local_authority ~ '^[A-Z][0-9]{4}$'),
  created_at       timestamptz NOT NULL,
  PRIMARY KEY (email, role, local_authority)
);

-- One enrolment per inbound message (the intake job may run twice). The challenge
-- phrase is kept only as a slow hash; a generated private key only sealed, and only
-- until the holder downloads it or the pickup link expires.
CREATE TABLE enrolments (
  id               text PRIMARY KEY,
  inbound_id       text NOT NULL UNIQUE,
  state            text NOT NULL CHECK (state IN ('awaiting-confirmation', 'cancelled', 'awaiting-approval', 'rejected', 'approved', 'issued', 'collected', 'active', 'locked', 'expired')),
  requested_by     text NOT NULL,
  thread_id        text,
  first_name       text NOT NULL,
  last_name        text NOT NULL,
  email            text NOT NULL,
  phone            text NOT NULL,
  local_authority  text NOT NULL,
  comments         text,
  key_type         text,
  csr_der          bytea,
  phrase_hash      text NOT NULL,
  sealed_key       bytea,
  serial           text REFERENCES certificates (serial),
  approver_scope   text,
  decided_by       text,
  decision_reason  text,
  created_at       timestamptz NOT NULL,
  confirmed_at     timestamptz,
  decided_at       timestamptz,
  issued_at        timestamptz,
  collected_at     timestamptz,
  updated_at       timestamptz NOT NULL,
  CHECK ((key_type IS NULL) <> (csr_der IS NULL))
);
CREATE INDEX enrolments_state ON enrolments (state, created_at);
CREATE INDEX enrolments_serial ON enrolments (serial);

-- The pickup link of an issued enrolment: the URL token and the PIN are kept only as
-- hashes (SHA-256 for the 128-bit token, a slow hash for the 8-digit PIN).
CREATE TABLE pickups (
  enrolment_id     text PRIMARY KEY REFERENCES enrolments (id),
  token_hash       text NOT NULL UNIQUE,
  pin_hash         text NOT NULL,
  failed_attempts  integer NOT NULL DEFAULT 0,
  state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'locked', 'collected', 'expired')),
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  finished_at      timestamptz
);

-- Which request a certificate was issued for: a retried issuance job finds the one it
-- made. A serial abandoned before release ('failed') frees the request for a new one.
ALTER TABLE certificates ADD COLUMN request_ref text;
CREATE UNIQUE INDEX certificates_request_ref ON certificates (request_ref) WHERE request_ref IS NOT NULL AND status <> 'failed';
-- A client certificate is active once support has set the holder up (journey A step 6).
ALTER TABLE certificates ADD COLUMN activated_at timestamptz;
ALTER TABLE certificates ADD COLUMN activated_by text;
ALTER TABLE certificates ADD COLUMN activation_queue text;
`,
  },
  {
    version: 4,
    name: 'organisations-and-credits',
    sql: `
-- Journey B: organisations, their mail domains (a domain belongs to one organisation; a
-- school-owned one is not eligible for S/MIME), their requesters and management contacts.
CREATE TABLE organisations (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text NOT NULL UNIQUE,
  phase       text NOT NULL CHECK (phase IN ('primary', 'secondary', 'other')),
  created_at  timestamptz NOT NULL
);

CREATE TABLE organisation_domains (
  domain        text PRIMARY KEY,
  org_id        text NOT NULL REFERENCES organisations (id),
  school_owned  boolean NOT NULL DEFAULT false
);
CREATE INDEX organisation_domains_org ON organisation_domains (org_id);

CREATE TABLE organisation_people (
  org_id  text NOT NULL REFERENCES organisations (id),
  email   text NOT NULL,
  role    text NOT NULL CHECK (role IN ('requester', 'contact')),
  PRIMARY KEY (org_id, email, role)
);
CREATE INDEX organisation_people_email ON organisation_people (email);

-- Credits: one certificate costs one credit. The balance can never go negative: the
-- CHECKs hold whatever order concurrent decisions commit in, and every change is a row of
-- the ledger in the same transaction.
CREATE TABLE credit_accounts (
  org_id     text PRIMARY KEY REFERENCES organisations (id),
  available  integer NOT NULL DEFAULT 0 CHECK (available >= 0),
  reserved   integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  consumed   integer NOT NULL DEFAULT 0 CHECK (consumed >= 0)
);

CREATE TABLE credit_ledger (
  seq        bigserial PRIMARY KEY,
  org_id     text NOT NULL REFERENCES organisations (id),
  at         timestamptz NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('added', 'reserved', 'consumed', 'released')),
  amount     integer NOT NULL CHECK (amount > 0),
  order_ref  text,
  actor      text NOT NULL
);
CREATE INDEX credit_ledger_org ON credit_ledger (org_id, seq);
`,
  },
  {
    version: 5,
    name: 'orders',
    sql: `
-- Journey B orders: a draft per upload thread (a corrected form replaces its rows), placed
-- by CONFIRM (credits reserved in the same transaction), decided row by row.
CREATE TABLE orders (
  id              text PRIMARY KEY,
  org_id          text NOT NULL REFERENCES organisations (id),
  state           text NOT NULL CHECK (state IN ('draft', 'cancelled', 'placed', 'decided')),
  requested_by    text NOT NULL,
  thread_id       text,
  inbound_id      text NOT NULL,
  smime_type      text NOT NULL CHECK (smime_type IN ('mailbox', 'sponsor')),
  duration_years  integer NOT NULL CHECK (duration_years BETWEEN 1 AND 3),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  placed_at       timestamptz
);
CREATE UNIQUE INDEX orders_inbound ON orders (inbound_id);
CREATE INDEX orders_org ON orders (org_id, created_at);

-- One row per registrant. The shared password is sealed under the master key (AES-256-GCM,
-- context order-row:<order>:<line>): a slow hash per row would make a 5,000-row form take
-- minutes to check, and the raw form holding it is sealed the same way anyway.
CREATE TABLE order_rows (
  order_id              text NOT NULL REFERENCES orders (id),
  line                  integer NOT NULL CHECK (line >= 1),
  sheet_row             integer NOT NULL,
  first_name            text NOT NULL,
  last_name             text NOT NULL,
  email                 text NOT NULL,
  sealed_shared_password bytea NOT NULL,
  state                 text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  decided_by            text,
  decided_at            timestamptz,
  reason                text,
  PRIMARY KEY (order_id, line)
);
CREATE INDEX order_rows_email ON order_rows (email);
`,
  },
  {
    version: 6,
    name: 'registrants',
    sql: `
-- Journey B step 4: each approved row's registrant. Their link tokens are kept as SHA-256,
-- their password and challenge answer as slow hashes; the private key stays in escrow,
-- sealed under the master key, for recovery by the organisation (PRODUCT.md step 5).
CREATE TABLE registrants (
  order_id               text NOT NULL,
  line                   integer NOT NULL,
  email                  text NOT NULL,
  state                  text NOT NULL DEFAULT 'invited' CHECK (state IN ('invited', 'set-up', 'issued', 'locked')),
  invite_token_hash      text NOT NULL UNIQUE,
  collect_token_hash     text UNIQUE,
  failed_attempts        integer NOT NULL DEFAULT 0,
  password_hash          text,
  challenge_question     text,
  challenge_answer_hash  text,
  serial                 text REFERENCES certificates (serial),
  sealed_key             bytea,
  collected_at           timestamptz,
  -- orders of 2 and 3 years outlast one certificate (825 days at most): the reissue within
  -- the term, without another credit, is due then (the lifecycle work carries it out)
  reissue_due_at         timestamptz,
  term_ends_at           timestamptz,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  PRIMARY KEY (order_id, line),
  FOREIGN KEY (order_id, line) REFERENCES order_rows (order_id, line)
);
`,
  },
  {
    version: 7,
    name: 'bot-identity',
    sql: `
-- The bot's own S/MIME certificate (for help@<mail domain>) and its key, sealed: every
-- mail the bot sends is signed with it (MAILCA_SIGN_MAIL).
CREATE TABLE bot_identity (
  email       text PRIMARY KEY,
  serial      text NOT NULL REFERENCES certificates (serial),
  sealed_key  bytea NOT NULL,
  updated_at  timestamptz NOT NULL
);
`,
  },
  {
    version: 8,
    name: 'key-recovery',
    sql: `
-- Journey B step 5: a management contact recovers a registrant's escrowed key. With two
-- or more contacts another one must approve within 72 hours; then the certificate is
-- revoked and the key delivered as a PKCS#12 through a link (SHA-256 kept) and a PIN sent
-- separately (scrypt kept).
CREATE TABLE recoveries (
  id                 text PRIMARY KEY,
  inbound_id         text NOT NULL UNIQUE,
  org_id             text NOT NULL REFERENCES organisations (id),
  order_id           text NOT NULL,
  line               integer NOT NULL,
  registrant_email   text NOT NULL,
  requested_by       text NOT NULL,
  reason             text NOT NULL,
  revocation_reason  text NOT NULL,
  state              text NOT NULL CHECK (state IN ('awaiting-approval', 'rejected', 'approved', 'locked', 'collected')),
  decided_by         text,
  token_hash         text UNIQUE,
  pin_hash           text,
  failed_attempts    integer NOT NULL DEFAULT 0,
  approve_by         timestamptz NOT NULL,
  created_at         timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  FOREIGN KEY (order_id, line) REFERENCES registrants (order_id, line)
);
`,
  },
  {
    version: 9,
    name: 'renewal',
    sql: `
-- Renewal reminders 30 and 7 days before a certificate ends, once each (even across
-- restarts: the mark is set after the mail is queued, and the mail's id is deterministic).
ALTER TABLE certificates ADD COLUMN reminded_30_at timestamptz;
ALTER TABLE certificates ADD COLUMN reminded_7_at timestamptz;
-- A request made by RENEW names the one it renews.
ALTER TABLE enrolments ADD COLUMN renewal_of text;
`,
  },
  {
    version: 10,
    name: 'smime-lifecycle',
    sql: `
-- Every certificate a registrant was given: the first, and those a 2- or 3-year
-- subscription reissued within its term. A superseded collection link still finds its
-- registrant (to say a newer certificate replaced it); revoking or recovering reaches every
-- certificate that is still live.
CREATE TABLE registrant_certificates (
  serial              text PRIMARY KEY REFERENCES certificates (serial),
  order_id            text NOT NULL,
  line                integer NOT NULL,
  collect_token_hash  text NOT NULL UNIQUE,
  issued_at           timestamptz NOT NULL,
  FOREIGN KEY (order_id, line) REFERENCES registrants (order_id, line)
);
CREATE INDEX registrant_certificates_row ON registrant_certificates (order_id, line);
INSERT INTO registrant_certificates (serial, order_id, line, collect_token_hash, issued_at)
  SELECT serial, order_id, line, collect_token_hash, updated_at FROM registrants WHERE serial IS NOT NULL AND collect_token_hash IS NOT NULL;
-- Revocation by the registrant: REVOKE by reply brings a link (SHA-256 kept, valid a day)
-- where the challenge answer authorises it.
ALTER TABLE registrants ADD COLUMN revoke_token_hash text UNIQUE;
ALTER TABLE registrants ADD COLUMN revoke_expires_at timestamptz;
CREATE INDEX registrants_reissue_due ON registrants (reissue_due_at) WHERE reissue_due_at IS NOT NULL;
`,
  },
  {
    version: 11,
    name: 'inbound-route',
    sql: `
-- The duplicate check keys on Message-ID (or content hash) and route: a message sent to
-- reply+<token>@ and help@ and delivered once per recipient is one message per route,
-- so the reply+ copy is never dropped because the help@ copy came first. Messages
-- claimed before this version keep the empty route.
ALTER TABLE inbound_messages ADD COLUMN route text NOT NULL DEFAULT '';
DROP INDEX inbound_messages_message_id;
DROP INDEX inbound_messages_content_hash;
CREATE UNIQUE INDEX inbound_messages_message_id ON inbound_messages (message_id, route) WHERE state IN ('claimed', 'processed', 'dropped', 'failed');
CREATE UNIQUE INDEX inbound_messages_content_hash ON inbound_messages (content_hash, route) WHERE state IN ('claimed', 'processed', 'dropped', 'failed');
`,
  },
  {
    version: 12,
    name: 'sender-auth',
    sql: `
-- How the sender of each reply was authenticated (MAILCA_SENDER_AUTH): results and domain
-- names only, by the inbound message that carried it and by what it was about (the reply
-- token's subject: a request or order id), shown with the decisions by mailca show.
CREATE TABLE sender_auth (
  inbound_id      text PRIMARY KEY,
  subject         text NOT NULL,
  purpose         text NOT NULL,
  sender          text NOT NULL,
  rule            text NOT NULL CHECK (rule IN ('aligned', 'dmarc', 'off')),
  outcome         text NOT NULL CHECK (outcome IN ('taken', 'refused', 'retry')),
  failed          text,
  from_domain     text,
  aligned_domain  text,
  aligned_by      text CHECK (aligned_by IN ('dkim', 'spf')),
  dkim            text NOT NULL,
  spf             text NOT NULL,
  dmarc           text NOT NULL,
  dmarc_policy    text,
  at              timestamptz NOT NULL
);
CREATE INDEX sender_auth_subject ON sender_auth (subject, at);
`,
  },
  {
    version: 13,
    name: 'operators',
    sql: `
-- Operators of the web console (issue 15). The password is a slow hash, the TOTP key is
-- sealed under the master key, the setup link's token is kept as SHA-256 only.
-- failed_attempts / locked_until carry the attempt rule (take, then check).
CREATE TABLE operators (
  email             text PRIMARY KEY,
  state             text NOT NULL CHECK (state IN ('invited', 'active', 'removed')),
  password_hash     text,
  sealed_totp_key   bytea,
  last_totp_step    bigint,
  setup_token_hash  text UNIQUE,
  setup_expires_at  timestamptz,
  failed_attempts   integer NOT NULL DEFAULT 0,
  locked_until      timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  CHECK (state <> 'active' OR (password_hash IS NOT NULL AND sealed_totp_key IS NOT NULL))
);

-- Console sessions, shared by every web process: keyed by the SHA-256 of the session id
-- (the id itself is only ever in the operator's cookie).
CREATE TABLE operator_sessions (
  id_hash       text PRIMARY KEY,
  operator      text NOT NULL REFERENCES operators (email),
  csrf          text NOT NULL,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  ended_at      timestamptz
);
CREATE INDEX operator_sessions_live ON operator_sessions (operator) WHERE ended_at IS NULL;
`,
  },
  {
    version: 14,
    name: 'revoke-phrase-attempts',
    sql: `
-- REVOKE <challenge phrase> by mail under the attempt rule (take, then check): at most 5
-- phrases are ever checked per request; the 5th wrong one locks revocation by mail (the
-- operator can still revoke). A row is made when the first phrase is tried.
CREATE TABLE revoke_phrase_attempts (
  enrolment_id     text PRIMARY KEY REFERENCES enrolments (id),
  failed_attempts  integer NOT NULL DEFAULT 0,
  state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'locked')),
  locked_at        timestamptz,
  CHECK ((state = 'locked') = (locked_at IS NOT NULL))
);
`,
  },
  {
    version: 15,
    name: 'console-submissions',
    sql: `
-- Console forms whose action is not idempotent (add credits, send a bounced mail again)
-- carry a one-time value; the first POST with it records it here, so a double click or a
-- browser sending the form again acts once. Rows older than a day are deleted as new ones
-- come (a form older than the longest session cannot be sent anyway).
CREATE TABLE console_submissions (
  token     text PRIMARY KEY,
  operator  text NOT NULL,
  action    text NOT NULL,
  used_at   timestamptz NOT NULL
);
CREATE INDEX console_submissions_used_at ON console_submissions (used_at);
`,
  },
  {
    version: 16,
    name: 'pickup-download-lease',
    sql: `
-- A journey A pickup gives its PKCS#12 once: a download takes the link until this time
-- before the file is made, so a second POST at once (a double click, another window) is
-- refused instead of getting the private key too. Cleared when a download did not go
-- out; lapses by itself after a crash.
ALTER TABLE pickups ADD COLUMN download_until timestamptz;
`,
  },
  {
    version: 17,
    name: 'one-renewal-at-a-time',
    sql: `
-- RENEW starts one renewal per request at a time, however many replies ask (the 30-day and
-- the 7-day reminder answered at once, RENEW sent twice): the request being renewed names
-- its renewal, taken by one conditional UPDATE before the renewal is stored. A renewal that
-- ended without a certificate (rejected, cancelled, locked, expired) leaves room for another.
ALTER TABLE enrolments ADD COLUMN renewed_by text;
-- renewals made before: each request names its latest one still in play, else its latest
UPDATE enrolments o SET renewed_by = (
  SELECT r.id FROM enrolments r WHERE r.renewal_of = o.id
   ORDER BY (r.state IN ('rejected', 'cancelled', 'locked', 'expired')), r.created_at DESC, r.id LIMIT 1)
 WHERE EXISTS (SELECT 1 FROM enrolments r WHERE r.renewal_of = o.id);
`,
  },
];
