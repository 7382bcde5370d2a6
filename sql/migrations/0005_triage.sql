-- 0005_triage: what classification and routing need in the database.
--
-- categories: a description for coordinators (from the 2019 notice, the 2023 opinions on
-- fingertip formalism and the 2024 rules; triage/data/categories.tsv is the source), the
-- deadlines of each kind in working days, and the department that answers for it when the
-- text names none. complaints: the classifier's confidence, whether urgency words shortened
-- the deadlines, and why the complaint was routed where it was. urgency_words: the words
-- that shorten deadlines. corrections: coordinators' re-categorisations and re-routings,
-- which are also the labelled examples `jianfu train` learns from.

ALTER TABLE categories
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN sla_ack integer NOT NULL DEFAULT 1,
    ADD COLUMN sla_answer integer NOT NULL DEFAULT 5,
    ADD COLUMN sla_resolve integer NOT NULL DEFAULT 15,
    ADD COLUMN default_department_id bigint REFERENCES departments (id),
    ADD CONSTRAINT categories_sla_order
        CHECK (1 <= sla_ack AND sla_ack <= sla_answer AND sla_answer <= sla_resolve
               AND sla_resolve <= 366);

UPDATE categories SET description = '上级文件过多过长、层层转发、照抄照搬，以文件落实文件，变相发文，动辄要配套方案。依据2019年《关于解决形式主义突出问题为基层减负的通知》"整治文山会海"（中央政策性文件原则上不超过10页，不再层层制定落实意见），2024年《整治形式主义为基层减负若干规定》第一部分"切实精简文件"（第1条只减不增、防红头变白头，第2条一般不超过5000字、不得照搬照抄，第3条一般不要求报送落实情况）。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 15 WHERE code = 'documents';
UPDATE categories SET description = '会议过多过长、层层开会、陪会，以会议落实会议，视频会从省市开到村、全员陪坐，周末夜间开会，传达"不过夜"，会上表态、会后拍照签到上传。依据2019年通知"少开会、开短会、开管用的会"、防止层层开会，及2024年规定第二部分"严格精简会议"：第4条已发文事项原则上不再开会部署、不刻意搞传达不过夜；第5条不搞层层陪会，分管负责同志召集的会一般不要求下级主要负责同志参加；第6条主报告不超过1小时。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 15 WHERE code = 'meetings';
UPDATE categories SET description = '督查检查考核过多过频：多头、重复、层层检查，调研变检查，暗访变明访，年底扎堆，考核排名通报，"一票否决"过滥，动辄要求主要负责同志陪同汇报。依据2019年通知"改变督查检查考核过多过频过度留痕现象"、强化结果导向；2024年规定第三部分"统筹规范督查检查考核"：第7条计划和备案管理、综合性事项原则上每部门不超过1项、同类合并，不得以调研之名行督检考之实；第8条不得动辄要求见主要负责同志。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 15 WHERE code = 'inspections';
UPDATE categories SET description = '以痕迹代替实绩，"工作干没干，材料说了算"：台账、工作日志、学习笔记要求手写手抄，走访、巡河、活动都要拍照录像带水印定位，摆拍补拍，材料装订成册、做展板，佐证材料层层堆叠。依据2019年通知纠正机械式做法、不以留痕多少评判工作好坏；2024年规定第8条不把是否开会发文、拍照留痕、制作学习笔记等作为评判工作优劣的标准；2023年指尖意见不得随意要求上传不必要的截图或视频。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 15 WHERE code = 'traces';
UPDATE categories SET description = '频繁要求基层填表格、报数据、交材料：同一数据多个部门反复要，表格层层加码，几小时内急报、周末夜间报，零报告，系统已有数据还要手工重录，"一张表""一表通"不落实。依据2019年通知不得随意要求基层填表报数、层层报材料；2024年规定第8条不得频繁要求基层填表格报材料，第五部分统筹政务App填表报数功能；2023年指尖意见同一事项原则上通过"一站式"平台、"一张表"报送，防止多头填报、重复索要数据。',
    sla_ack = 1, sla_answer = 3, sla_resolve = 10 WHERE code = 'forms';
UPDATE categories SET description = '"指尖上的形式主义"：强制下载政务App、考核安装率登录率，打卡签到、积分排名、学习时长，转发点赞投票任务，工作群过多、重复建群，群里接龙、秒回、24小时在线、随意摊派任务，空壳僵尸App和公众号。依据2023年中央网信委《关于防治"指尖上的形式主义"的若干意见》（不得强制推广，不以点赞转发作考评依据，不把App作为考核日常化载体），及2024年规定第五部分"规范政务移动互联网应用程序管理"。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 15 WHERE code = 'apps';
UPDATE categories SET description = '上级机关从乡镇、村社区、学校、卫生院借调或抽调人员：长期借调、借而不还、到期续借，以工作专班、跟班学习、挂职、攻坚行动等名义变相借调，口头借调不走程序，借调人员"两头空"，工资绩效仍由基层负担，派出单位一人顶几岗。依据2024年《整治形式主义为基层减负若干规定》第四部分"规范借调干部"：上级机关、单位原则上不得从县及以下单位借调干部，严控借调时限，防止变相借调，借调须审批备案。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 20 WHERE code = 'secondment';
UPDATE categories SET description = '以"属地管理"为名把上级部门的执法监管职责推给乡镇和村社区：安全生产、消防、环保、食品安全、自建房排查、防溺水、禁烧等，权小责大、"小马拉大车"；层层签责任状、"一票否决"，出事先问责基层。依据2019年通知完善问责制度、不能动辄签责任状变相向基层推卸责任；2024年规定第3条原则上不对"一票否决"、签订责任状提具体要求，第六部分"规范明晰基层权责"（乡镇履职事项清单，防止任务随意下压）。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 20 WHERE code = 'duties';
UPDATE categories SET description = '创建示范、评比达标、评先活动过多：创建文明城市、卫生城市、各类示范村示范校，要求基层停下工作迎创建、刷墙换招牌、做创建台账、周末全员上岗，向基层摊派费用，评比与考核挂钩；各部门要求村社区挂牌、制度上墙，村部牌子几十块，清理后反弹。依据2024年规定第七部分"规范创建示范和达标活动"（严控数量，第21条不得以乡镇街道、村社区、学校为对象开展达标活动），以及各地整治村级组织"牌子多"。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 20 WHERE code = 'campaigns';
UPDATE categories SET description = '政绩观错位带来的负担：要求基层改数据、按目标倒推数据、虚报瞒报，满意度和收入"算高一点"，指标层层加码逼出造假；盲目举债搞形象工程、面子工程、"盆景"示范点，迎检临时造景摆拍、租花刷墙，项目建成闲置或烂尾。依据2019年通知"着力解决党性不纯、政绩观错位问题"，2024年规定开篇"树立和践行正确政绩观"，及中央纪委国家监委通报的数据造假、形象工程、违规举债等典型问题。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 20 WHERE code = 'vanity';
UPDATE categories SET description = '不是基层负担投诉的消息：问候、致谢、测试、误发；广告推销、诈骗和垃圾短信；群众个人诉求和纠纷（低保、社保、欠薪、邻里、物业）；办事咨询、政策咨询；询问本服务怎么用、是否匿名、多久回复；含有"会议""填表""检查""App""借调"等字眼但只是询问事务安排、没有反映形式主义负担的消息，如"今天下午的培训在哪个会议室？"。此类不分派给责任部门，必要时提示改找12345热线或办事窗口。',
    sla_ack = 1, sla_answer = 5, sla_resolve = 15 WHERE code = 'other';

ALTER TABLE complaints
    ADD COLUMN confidence real CHECK (confidence BETWEEN 0 AND 1),
    ADD COLUMN urgent boolean NOT NULL DEFAULT false,
    ADD COLUMN route_reason jsonb NOT NULL DEFAULT '{}';

CREATE TABLE urgency_words (
    word     text PRIMARY KEY CHECK (length(word) BETWEEN 1 AND 64),
    added_at timestamptz NOT NULL DEFAULT now()
);

-- The shipped list (triage/data/urgency.txt); admins add and remove words in this table.
INSERT INTO urgency_words (word) VALUES
    ('安全隐患'),
    ('塌方'),
    ('山体滑坡'),
    ('泥石流'),
    ('火灾'),
    ('着火'),
    ('溺亡'),
    ('溺水身亡'),
    ('溺水事故'),
    ('房屋倒塌'),
    ('垮塌'),
    ('触电'),
    ('燃气泄漏'),
    ('煤气中毒'),
    ('洪水'),
    ('被困'),
    ('中暑'),
    ('累倒'),
    ('晕倒'),
    ('昏倒'),
    ('住院'),
    ('猝死'),
    ('抢救'),
    ('心梗'),
    ('脑溢血'),
    ('抑郁'),
    ('轻生'),
    ('自杀'),
    ('流产'),
    ('拖欠工资'),
    ('工资不发'),
    ('工资发不出'),
    ('绩效扣发'),
    ('扣发绩效'),
    ('扣工资'),
    ('扣绩效'),
    ('停发工资'),
    ('补贴不发'),
    ('威胁'),
    ('打击报复'),
    ('穿小鞋'),
    ('被约谈'),
    ('恐吓'),
    ('辱骂'),
    ('殴打'),
    ('被打'),
    ('开除'),
    ('逼辞职');

CREATE TABLE corrections (
    id            bigserial PRIMARY KEY,
    complaint_id  bigint NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    category      text REFERENCES categories (code),
    department_id bigint REFERENCES departments (id),
    reason        text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    actor         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (category IS NOT NULL OR department_id IS NOT NULL)
);
CREATE INDEX corrections_category_idx ON corrections (created_at) WHERE category IS NOT NULL;


-- Intake now stores the classification and routing decided in the gateway, and notifies
-- the department a complaint was assigned to (or, for one left in triage, the
-- departments watching the triage queue).
DROP FUNCTION jf_intake(text, text, text, text, bytea, text, text, integer, timestamptz,
                        timestamptz, timestamptz, timestamptz, text, bytea, text);

CREATE FUNCTION jf_intake(
    p_kind text, p_channel text, p_msg_id text, p_code text, p_reporter_key bytea,
    p_pseudonym_kid text, p_body text, p_redactions integer, p_received_at timestamptz,
    p_ack_due timestamptz, p_answer_due timestamptz, p_resolve_due timestamptz,
    p_seal_kid text, p_sealed bytea, p_ack text,
    p_category text, p_confidence real, p_department_id bigint, p_urgent boolean,
    p_route_reason jsonb,
    OUT code text, OUT answer_due timestamptz, OUT created boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint := nextval('complaints_id_seq');
    v_status text := CASE WHEN p_department_id IS NULL THEN 'triage' ELSE 'assigned' END;
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
                            body, redactions, received_at, ack_due, answer_due, resolve_due,
                            category, confidence, department_id, status, urgent, route_reason)
    VALUES (v_id, p_code, p_reporter_key, p_pseudonym_kid, p_kind, p_channel, p_body,
            p_redactions, p_received_at, p_ack_due, p_answer_due, p_resolve_due,
            p_category, p_confidence, p_department_id, v_status, coalesce(p_urgent, false),
            coalesce(p_route_reason, '{}'));
    INSERT INTO sealed_addresses (complaint_id, key_id, sealed)
    VALUES (v_id, p_seal_kid, p_sealed);
    INSERT INTO complaint_events (complaint_id, kind, actor, detail)
    VALUES (v_id, 'received', 'reporter',
            jsonb_build_object('channel', p_kind, 'redactions', p_redactions,
                               'status', v_status, 'route', coalesce(p_route_reason, '{}')));
    IF p_ack IS NOT NULL THEN
        INSERT INTO outbox (purpose, complaint_id, channel_kind, channel_name, body)
        VALUES ('ack', v_id, p_kind, p_channel, p_ack);
    END IF;
    IF v_status = 'assigned' THEN
        INSERT INTO outbox (purpose, department_id, channel_kind, channel_name, body)
        SELECT 'notify', d.id, d.notify_kind, d.code,
               format('减负直通车：新反映 %s 已分办至本单位，请于 %s 前签收、%s 前答复。请登录收件箱处理。',
                      p_code,
                      to_char(p_ack_due AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
                      to_char(p_answer_due AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))
          FROM departments d
         WHERE d.id = p_department_id AND d.notify_kind IS NOT NULL;
    ELSE
        INSERT INTO outbox (purpose, department_id, channel_kind, channel_name, body)
        SELECT 'notify', d.id, d.notify_kind, d.code,
               format('减负直通车：新反映 %s 待分办，答复期限 %s。请登录收件箱处理。', p_code,
                      to_char(p_answer_due AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'))
          FROM departments d
         WHERE d.notify_triage AND d.notify_kind IS NOT NULL;
    END IF;
    code := p_code;
    answer_due := p_answer_due;
    created := true;
END $$;
