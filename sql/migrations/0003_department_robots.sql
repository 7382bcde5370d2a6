-- 0003_department_robots: departments can be told about new work through a group robot
-- of their own chat (a WeCom group robot, or a DingTalk custom robot with 加签 signing).
-- The robot's webhook URL carries its credential; the notification names the ticket and
-- its deadline, never the complaint's text or anything about the reporter.

ALTER TABLE departments
    ADD COLUMN notify_kind   text CHECK (notify_kind IN ('wecom_robot', 'dingtalk_robot')),
    ADD COLUMN notify_url    text CHECK (notify_url ~ '^https?://'),
    ADD COLUMN notify_secret text,
    -- Told about every new complaint waiting in the coordinators' triage queue (the
    -- burden-reduction office).
    ADD COLUMN notify_triage boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT departments_notify_complete
        CHECK ((notify_kind IS NULL) = (notify_url IS NULL)),
    ADD CONSTRAINT departments_notify_triage_needs_robot
        CHECK (NOT notify_triage OR notify_kind IS NOT NULL);

-- Intake also queues a notification for every department that watches the triage queue,
-- in the same transaction as the complaint.
CREATE OR REPLACE FUNCTION jf_intake(
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
    INSERT INTO outbox (purpose, department_id, channel_kind, channel_name, body)
    SELECT 'notify', d.id, d.notify_kind, d.code,
           format('减负直通车：新反映 %s 待分办，答复期限 %s。请登录收件箱处理。', p_code,
                  to_char(p_answer_due AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))
      FROM departments d
     WHERE d.notify_triage AND d.notify_kind IS NOT NULL;
    code := p_code;
    answer_due := p_answer_due;
    created := true;
END $$;
