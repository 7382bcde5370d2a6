-- 0002_outbox: the transactional outbox. Every message that leaves jianfu (an
-- acknowledgement that could not go inline, the department's answer relayed to the
-- reporter, a notification to a department) is a row here, written in the same
-- transaction as the change that causes it, and sent by the dispatcher of any `jianfu
-- serve` process: rows are claimed with FOR UPDATE SKIP LOCKED, so two processes never
-- send one row twice.
--
-- A message to a reporter names its complaint; the dispatcher opens the complaint's
-- sealed address in memory only. The body is text jianfu wrote (ticket, deadline, the
-- department's answer) and never the reporter's address.

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    purpose         text NOT NULL CHECK (purpose IN ('ack', 'answer', 'notify')),
    complaint_id    bigint REFERENCES complaints (id) ON DELETE CASCADE,
    department_id   bigint REFERENCES departments (id),
    channel_kind    text NOT NULL,
    channel_name    text NOT NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    last_error      text,
    -- A message to a reporter needs the complaint (and so the sealed address); a
    -- notification goes to a department.
    CHECK ((purpose = 'notify' AND department_id IS NOT NULL AND complaint_id IS NULL) OR
           (purpose <> 'notify' AND complaint_id IS NOT NULL))
);
CREATE INDEX outbox_pending_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_dead_idx ON outbox (created_at) WHERE status = 'dead';

-- Intake now also queues the acknowledgement when the provider's HTTP answer cannot carry
-- it (p_ack NULL when it can): one transaction for the complaint and its outbox row.
DROP FUNCTION jf_intake(text, text, text, text, bytea, text, text, integer, timestamptz,
                        timestamptz, timestamptz, timestamptz, text, bytea);

CREATE FUNCTION jf_intake(
    p_kind text, p_channel text, p_msg_id text, p_code text, p_reporter_key bytea,
    p_pseudonym_kid text, p_body text, p_redactions integer, p_received_at timestamptz,
    p_ack_due timestamptz, p_answer_due timestamptz, p_resolve_due timestamptz,
    p_seal_kid text, p_sealed bytea, p_ack text,
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
    IF p_ack IS NOT NULL THEN
        INSERT INTO outbox (purpose, complaint_id, channel_kind, channel_name, body)
        VALUES ('ack', v_id, p_kind, p_channel, p_ack);
    END IF;
    code := p_code;
    answer_due := p_answer_due;
    created := true;
END $$;
