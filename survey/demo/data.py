"""The demo's fixed data: units, groups and their settings, names, comments, sizes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEMO_CAMPAIGN = "demo"


SEED = 20240101


BEIJING = dt.timedelta(hours=8)  # demo times are office hours in China, stored in UTC


# code, name, kind, service points (code, name), satisfaction profile (see _unit_level)
UNITS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "zwfw",
        "省政务服务中心",
        "政务服务",
        (
            ("zwfw-01", "综合受理窗口"),
            ("zwfw-02", "不动产登记窗口"),
            ("zwfw-03", "企业开办专区"),
        ),
    ),
    (
        "rmyy",
        "市人民医院行政服务部",
        "医疗卫生",
        (("rmyy-01", "门诊服务中心"), ("rmyy-02", "住院结算窗口")),
    ),
    ("nky", "省农业科学院", "科研院所", (("nky-01", "科研服务大厅"),)),
)


# The latent level of dissatisfaction (0 best, 1 worst) around which a unit's answers fall.
# zwfw is good, rmyy mediocre and steady, nky starts poor and improves over the cycle.
_UNIT_LEVEL = {"zwfw": (0.12, 0.12), "rmyy": (0.32, 0.32), "nky": (0.5, 0.12)}


# Stakeholders who look more critically (supervisors, staff about their own unit) or less.
_GROUP_SHIFT = {"supervisor": 0.06, "staff": 0.08, "retiree": -0.04, "expert": 0.03}


# group: instrument id, policy weight, population N (None: unknown), target sample size
GROUP_SETTINGS: dict[str, tuple[str, float, int | None, int]] = {
    "service_user": ("post-service-card", 0.40, None, 400),
    "public": ("post-service-card", 0.10, None, 60),
    "deputy": ("stakeholder-evaluation", 0.10, 60, 15),
    "cppcc": ("stakeholder-evaluation", 0.10, 50, 15),
    "retiree": ("stakeholder-evaluation", 0.05, 40, 15),
    "expert": ("stakeholder-evaluation", 0.05, 30, 15),
    "supervisor": ("stakeholder-evaluation", 0.10, 24, 15),
    "party": ("stakeholder-evaluation", 0.05, 30, 15),
    "staff": ("staff-survey", 0.05, 120, 24),
}


FALLBACK_INSTRUMENT = "post-service-card"


# Service users per unit over the whole cycle, and how they reached the card.
SERVICE_USERS = {"zwfw": 220, "rmyy": 150, "nky": 70}


SERVICE_CHANNELS = (("qr", 0.45), ("ticket", 0.2), ("kiosk", 0.2), ("phone", 0.15))


PUBLIC_PER_UNIT = 20  # general public, reached by phone


STAKEHOLDERS_PER_UNIT = 19  # per group and unit: 18 answer (6 a year), 1 is still pending


STAFF_PER_UNIT = 91  # 90 answer (30 a year), 1 pending


UNUSED_TICKETS_PER_POINT = 2


# Bad reviews of the last few days at the first (busiest) unit, so that the demo
# handler has open cases whatever the date of the load.
RECENT_BAD_REVIEWS = 2


ORGANISATIONS = {
    "deputy": ("省人大代表", "省人大常委会", "市人大代表"),
    "cppcc": ("省政协委员", "省政协社会和法制委员会", "市政协委员"),
    "retiree": ("省直机关离退休干部", "省老干部活动中心"),
    "expert": ("省社会科学院", "省行政学院", "某大学公共管理学院"),
    "supervisor": ("省政务服务管理局", "省卫生健康委员会", "省农业农村厅"),
    "party": ("民盟省委", "九三学社省委", "民进省委", "农工党省委"),
    "staff": ("本单位",),
}


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"


GIVEN_NAMES = (
    "建国 秀英 伟 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 志强 海燕 "
    "国庆 晓东 红梅 建华 文博 雪梅 立新 春华 玉兰 振华 子涵 浩然 思远 佳怡 永红 德明"
).split()


COMMENTS_GOOD = (
    "工作人员很耐心，一次就办好了。",
    "流程清楚，等候时间短。",
    "窗口服务热情，点赞！",
    "网上预约很方便，到了就办。",
    "材料一次性告知，很省心。",
    "引导员主动帮忙，服务周到。",
)


COMMENTS_MIXED = (
    "希望增加周末和中午的服务时间。",
    "停车不太方便。",
    "自助机有时候不好用，需要有人指导。",
    "整体还行，就是叫号有点乱。",
)


COMMENTS_BAD = (
    "排队时间太长，窗口开得太少。",
    "工作人员态度冷淡，问了几次才说清楚。",
    "跑了两次才办成，所需材料没有一次说清。",
    "咨询电话一直打不通。",
    "系统经常卡顿，办理很慢。",
)


COMMENTS_UNIT = {
    "rmyy": ("挂号和住院结算要排很久的队。", "医保报销手续太繁琐。"),
    "nky": ("找不到对口的科室，来回跑。",),
}


COMMENTS_NKY_LATER = ("现在有了专门的服务大厅，比以前方便多了。", "近一年服务明显改进。")


COMMENTS_STAKEHOLDER = (
    "建议进一步精简审批环节，推进“一件事一次办”。",
    "近年来服务有明显改进，群众反映较好。",
    "希望加强与基层和企业的沟通。",
    "信息公开还可以更及时。",
    "队伍作风建设成效明显。",
)


@dataclass
class DemoResult:
    """What the loader did, for the command to print."""

    created: bool
    campaign_code: str = DEMO_CAMPAIGN
    counts: dict[str, int] = field(default_factory=dict)
    responses_by_group: dict[str, int] = field(default_factory=dict)
    urls: list[tuple[str, str]] = field(default_factory=list)
    # Instruments not found, whose groups answer FALLBACK_INSTRUMENT instead.
    missing_instruments: list[str] = field(default_factory=list)
    fallback_instrument: str = FALLBACK_INSTRUMENT
