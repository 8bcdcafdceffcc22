"""技能竞赛: what its audit rows and menu entries say."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.competitions.awards.models import AwardBand, AwardLineStatus, PromotionMode
from app.competitions.events.models import AwardRuleKind, CompetitionClass, CompetitionLevel, JudgingState, Locality
from app.competitions.registration.models import RegistrationStatus
from app.core.enums import District, SkillLevel
from app.core.labels import register_audit_labels, register_nav, register_value_enums

register_audit_labels(
    actions={
        "request_changes": _l("退回修改"), "withdraw": _l("退赛"), "import_scheme": _l("导入评分方案"),
        "assign_expert": _l("安排裁判"), "remove_expert": _l("移出裁判组"), "open_scoring": _l("抽签并开始评分"),
        "score": _l("评分"), "rescore": _l("修改评分"), "lock_results": _l("锁定成绩"),
        "unlock_results": _l("解锁成绩"), "qualify": _l("晋级报名"), "decide_stage": _l("阶段考核定去留"),
        "finalise": _l("确定最终人选"), "generate_awards": _l("生成奖励"), "publish_notice": _l("发布公示"),
        "hold": _l("登记异议"), "release": _l("异议已处理"), "promote": _l("技能等级晋升"),
        "mark_paid": _l("标记已发放"),
    },
    entities={
        "competitions": _l("大赛"), "events": _l("赛项"), "registrations": _l("报名"), "contestants": _l("赛位"),
        "squads": _l("集训队"), "squad_stages": _l("阶段考核"), "award_rules": _l("奖励规则"),
        "award_lines": _l("奖励"), "award_notices": _l("奖励公示"), "payment_batches": _l("支付批次"),
    },
    fields={
        "event_id": _l("赛项"), "unit_id": _l("报名单位"), "team_id": _l("队伍"), "starts_on": _l("比赛开始日期"),
        "ends_on": _l("比赛结束日期"), "registration_opens_at": _l("报名开始"),
        "registration_closes_at": _l("报名截止"), "quota_per_unit": _l("每单位名额"),
        "born_on_or_after": _l("出生日期不早于"), "min_level": _l("最低技能等级"), "max_level": _l("最高技能等级"),
        "locality": _l("单位所在地要求"), "exclude_past_worldskills": _l("已参加过世赛者不得报名"),
        "feeds_event_id": _l("晋级到"), "feeds_top_n": _l("晋级名额"), "worldskills_no": _l("世赛项目编号"),
        "team_size": _l("每队人数"), "venue": _l("比赛地点"), "year": _l("年份"), "klass": _l("类别"),
        "organiser_id": _l("主办单位"), "host_district": _l("承办区"), "description": _l("说明"),
        "judging_state": _l("评分状态"), "results_locked_at": _l("成绩锁定时间"), "award_rule": _l("评奖规则"),
        "tie_break": _l("决胜顺序"), "medal_margin": _l("世赛分并列差值"), "share_gold": _l("金牌比例"),
        "share_silver": _l("银牌比例"), "share_bronze": _l("铜牌比例"), "share_merit": _l("优胜奖比例"),
        "scores_due_at": _l("评分截止"), "aspect_id": _l("评分项"), "expert_id": _l("裁判专家"),
        "time_seconds": _l("用时（秒）"), "aspects": _l("评分项数"), "criteria": _l("模块"), "user_id": _l("用户"),
        "is_chief": _l("裁判长"), "tier": _l("梯队"), "source_event_id": _l("来源赛项"),
        "target_event_id": _l("目标赛项"), "final_size": _l("最终入选人数"), "members": _l("队员数"),
        "advance_count": _l("晋级人数"), "held_on": _l("考核日期"), "continues": _l("晋级者"),
        "selected": _l("最终人选"), "registered": _l("已报名"), "band": _l("奖励对象"),
        "competitor_amount": _l("选手奖金"), "expert_team_amount": _l("专家团队奖金"), "unit_amount": _l("单位奖金"),
        "split_team": _l("队员平分"), "promotion": _l("晋升方式"), "promotion_level": _l("晋升到"),
        "promotion_alt_level": _l("替代晋升等级"), "honour_title": _l("荣誉称号"), "honour_level": _l("荣誉级别"),
        "honour_body": _l("授予机构"), "funder": _l("出资方"), "effective_to": _l("失效日期"), "top_n": _l("前 N 名"),
        "top_n_pair": _l("前 N 名（双人）"), "top_n_trio": _l("前 N 名（三人）"), "competition_id": _l("届次"),
        "lines": _l("条数"), "total": _l("合计"), "hold_reason": _l("异议内容"), "subject_key": _l("对象"),
    },
)
register_value_enums({
    "level": CompetitionLevel, "host_district": District, "min_level": SkillLevel, "max_level": SkillLevel,
    "status": (RegistrationStatus, AwardLineStatus), "locality": Locality, "klass": CompetitionClass,
    "judging_state": JudgingState, "award_rule": AwardRuleKind, "band": AwardBand, "promotion": PromotionMode,
    "promotion_level": SkillLevel, "promotion_alt_level": SkillLevel,
})
register_nav(20, "competitions.index", _l("技能竞赛"))
register_nav(130, "competitions.my_judging", _l("评分"), "judging.score")
