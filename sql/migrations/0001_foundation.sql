-- 0001_foundation: departments, users, categories, complaints with their deadlines,
-- sealed reply addresses, provider message ids for idempotency, and the timeline.
--
-- Anonymity: complaints carry only the reporter key (a keyed HMAC of the sender address)
-- and the redacted text. The sender's reply address lives sealed (AES-256-GCM) in its own
-- table so that it can be purged after the retention period; the key that opens it is in
-- the key file, never in the database.

CREATE TABLE departments (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    parent_id   bigint REFERENCES departments (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE department_aliases (
    department_id bigint NOT NULL REFERENCES departments (id) ON DELETE CASCADE,
    alias         text NOT NULL UNIQUE CHECK (length(alias) BETWEEN 1 AND 200),
    PRIMARY KEY (department_id, alias)
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE CHECK (login ~ '^[A-Za-z0-9._-]{1,64}$'),
    role          text NOT NULL CHECK (role IN ('liaison', 'coordinator', 'inspector', 'admin')),
    department_id bigint REFERENCES departments (id),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz,
    -- A liaison always works for one department.
    CHECK (role <> 'liaison' OR department_id IS NOT NULL)
);

CREATE TABLE categories (
    code    text PRIMARY KEY,
    name_zh text NOT NULL
);

INSERT INTO categories (code, name_zh) VALUES
    ('documents',   '文件'),
    ('meetings',    '会议'),
    ('inspections', '督查检查考核'),
    ('traces',      '过度留痕'),
    ('forms',       '填表报数'),
    ('apps',        '政务App与工作群'),
    ('secondment',  '借调'),
    ('duties',      '属地管理/权责转嫁'),
    ('campaigns',   '创建示范/评比达标/挂牌'),
    ('vanity',      '政绩工程/数据造假'),
    ('other',       '其他');

CREATE TABLE complaints (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    reporter_key    bytea NOT NULL CHECK (length(reporter_key) = 32),
    pseudonym_kid   text NOT NULL,
    channel_kind    text NOT NULL,
    channel_name    text NOT NULL,
    body            text NOT NULL,            -- redacted before it gets here
    redactions      integer NOT NULL DEFAULT 0,
    category        text REFERENCES categories (code),
    department_id   bigint REFERENCES departments (id),
    status          text NOT NULL DEFAULT 'triage'
                    CHECK (status IN ('triage', 'assigned', 'acknowledged', 'answered',
                                      'resolved', 'closed')),
    received_at     timestamptz NOT NULL,
    ack_due         timestamptz NOT NULL,
    answer_due      timestamptz NOT NULL,
    resolve_due     timestamptz NOT NULL,
    acknowledged_at timestamptz,
    answered_at     timestamptz,
    resolved_at     timestamptz,
    closed_at       timestamptz,
    CHECK (ack_due <= answer_due AND answer_due <= resolve_due)
);
CREATE INDEX complaints_reporter_idx ON complaints (reporter_key);
CREATE INDEX complaints_open_idx ON complaints (department_id, resolve_due)
    WHERE status NOT IN ('resolved', 'closed');

-- One sealed reply address per complaint, deleted after the retention period once the
-- complaint is closed.
CREATE TABLE sealed_addresses (
    complaint_id bigint PRIMARY KEY REFERENCES complaints (id) ON DELETE CASCADE,
    key_id       text NOT NULL,
    sealed       bytea NOT NULL
);

-- Provider message ids already taken in: the idempotency key of intake.
CREATE TABLE inbound_messages (
    channel_kind    text NOT NULL,
    channel_name    text NOT NULL,
    provider_msg_id text NOT NULL,
    -- Deferred: jf_intake claims the message id before it inserts the complaint.
    complaint_id    bigint NOT NULL REFERENCES complaints (id) ON DELETE CASCADE
                    DEFERRABLE INITIALLY DEFERRED,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_kind, channel_name, provider_msg_id)
);

-- The append-only timeline of every complaint.
CREATE TABLE complaint_events (
    id           bigserial PRIMARY KEY,
    complaint_id bigint NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    kind         text NOT NULL,
    actor        text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, id);

CREATE FUNCTION complaint_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'complaint_events is append-only';
END $$;
CREATE TRIGGER complaint_events_no_update BEFORE UPDATE OR DELETE ON complaint_events
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION complaint_events_append_only();

-- Intake of one message, idempotent on (channel kind, channel name, provider message id):
-- returns the ticket code and answer deadline of the complaint that message created,
-- whether it was created now (created = true) or by an earlier delivery of the same
-- message. The message id is claimed first, with the complaint's id drawn in advance, so
-- concurrent deliveries of one message serialise on the primary key of inbound_messages
-- and exactly one complaint results; the loser waits for the winner's commit and then
-- returns the winner's ticket.
CREATE FUNCTION jf_intake(
    p_kind text, p_channel text, p_msg_id text, p_code text, p_reporter_key bytea,
    p_pseudonym_kid text, p_body text, p_redactions integer, p_received_at timestamptz,
    p_ack_due timestamptz, p_answer_due timestamptz, p_resolve_due timestamptz,
    p_seal_kid text, p_sealed bytea,
    OUT code text, OUT answer_due timestamptz, OUT created boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := nextval('complaints_id_seq');
BEGIN
    INSERT INTO inbound_messages (channel_kind, channel_name, provider_msg_id, complaint_id)
    VALUES (p_kind, p_channel, p_msg_id, v_id)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        SELECT c.code, c.answer_due INTO code, answer_due
          FROM inbound_messages m JOIN complaints c ON c.id = m.complaint_id
         WHERE m.channel_kind = p_kind AND m.channel_name = p_channel
           AND m.provider_msg_id = p_msg_id;
        created := false;
        RETURN;
    END IF;

    INSERT INTO complaints (id, code, reporter_key, pseudonym_kid, channel_kind, channel_name,
                            body, redactions, received_at, ack_due, answer_due, resolve_due)
    VALUES (v_id, p_code, p_reporter_key, p_pseudonym_kid, p_kind, p_channel, p_body,
            p_redactions, p_received_at, p_ack_due, p_answer_due, p_resolve_due);
    INSERT INTO sealed_addresses (complaint_id, key_id, sealed)
    VALUES (v_id, p_seal_kid, p_sealed);
    INSERT INTO complaint_events (complaint_id, kind, actor, detail)
    VALUES (v_id, 'received', 'reporter',
            jsonb_build_object('channel', p_kind, 'redactions', p_redactions));
    code := p_code;
    answer_due := p_answer_due;
    created := true;
END $$;
