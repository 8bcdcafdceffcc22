"""Realistic, fictitious values for the bench data: surnames by frequency, enterprise names, ID numbers.

Everything here is pure (no Flask, no database) so worker processes can use it.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from datetime import date, timedelta
from functools import lru_cache
from typing import Generic, TypeVar

from stdnum.cn import ric

from app.core.demo import DISTRICT_CODES, OLD_COUNTY_CODES
from app.core.enums import District, SkillLevel

T = TypeVar("T")

#: Surnames with their share (per cent) of the population, roughly as in the 2020 census, with the
#: surnames common in Shanghai (徐 陆 沈 顾 钱 施 …) weighted up. "王" alone is about 7 %.
SURNAME_WEIGHTS: list[tuple[str, float]] = [
    ("王", 7.1), ("李", 6.9), ("张", 6.9), ("刘", 5.3), ("陈", 4.9), ("杨", 3.0), ("黄", 2.2), ("赵", 2.2),
    ("吴", 2.1), ("周", 2.0), ("徐", 2.0), ("孙", 1.4), ("马", 1.2), ("朱", 1.5), ("胡", 1.2), ("郭", 1.1),
    ("何", 1.0), ("林", 1.0), ("高", 1.0), ("罗", 0.9), ("郑", 0.8), ("梁", 0.8), ("谢", 0.7), ("宋", 0.7),
    ("唐", 0.6), ("许", 0.6), ("韩", 0.6), ("冯", 0.6), ("邓", 0.6), ("曹", 0.6), ("彭", 0.5), ("曾", 0.5),
    ("肖", 0.5), ("田", 0.5), ("董", 0.5), ("潘", 0.5), ("袁", 0.5), ("蔡", 0.5), ("蒋", 0.5), ("余", 0.4),
    ("于", 0.4), ("杜", 0.4), ("叶", 0.4), ("程", 0.4), ("魏", 0.4), ("苏", 0.4), ("吕", 0.4), ("丁", 0.4),
    ("任", 0.3), ("卢", 0.3), ("姚", 0.4), ("沈", 0.7), ("钟", 0.3), ("姜", 0.3), ("崔", 0.3), ("谭", 0.3),
    ("陆", 0.7), ("范", 0.3), ("汪", 0.3), ("廖", 0.2), ("石", 0.2), ("金", 0.3), ("韦", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("付", 0.2), ("方", 0.2), ("邹", 0.2), ("熊", 0.2), ("白", 0.2), ("孟", 0.2), ("秦", 0.2),
    ("邱", 0.2), ("侯", 0.2), ("江", 0.2), ("尹", 0.1), ("薛", 0.1), ("闫", 0.1), ("段", 0.1), ("雷", 0.1),
    ("龙", 0.1), ("黎", 0.1), ("史", 0.1), ("陶", 0.1), ("贺", 0.1), ("毛", 0.1), ("郝", 0.1), ("顾", 0.6),
    ("龚", 0.1), ("邵", 0.1), ("万", 0.1), ("覃", 0.1), ("武", 0.1), ("钱", 0.4), ("戴", 0.1), ("严", 0.1),
    ("莫", 0.1), ("孔", 0.1), ("向", 0.1), ("常", 0.1), ("汤", 0.1), ("施", 0.3), ("洪", 0.1), ("欧阳", 0.02),
    ("上官", 0.005), ("司马", 0.005), ("诸葛", 0.003),
]
#: The long tail: the surnames above cover about 85 % of people, these share the rest.
RARE_SURNAMES = ("殷柏宁喻甘祝柳童鲁葛包费伍倪管骆俞裴滕纪欧蓝封翁耿季虞左"
                 "单安柯庞申聂卜臧华屠阮车牛凌温甄关项梅闵岳卓茅储")
RARE_SHARE = 15.0
SURNAME_WEIGHTS += [(s, RARE_SHARE / len(RARE_SURNAMES)) for s in RARE_SURNAMES]
MALE_GIVEN = "伟强磊军勇杰涛明超刚平辉鹏华飞斌宇浩凯俊文博健峰晨阳建国志军海波林东亮成康毅彬磊杰家豪子轩浩然宇航"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞玲燕婷雪琳欣怡佳颖梦洁晶倩慧莉萍红秀兰桂英美琴雨桐思涵紫萱诗语若汐一诺可欣"

#: (district, share of enterprises) — the big industrial districts hold most employers.
DISTRICT_WEIGHTS: list[tuple[District, float]] = [
    (District.PUDONG, 24), (District.MINHANG, 10), (District.JIADING, 8), (District.SONGJIANG, 8),
    (District.BAOSHAN, 6), (District.QINGPU, 5), (District.FENGXIAN, 5), (District.JINSHAN, 3),
    (District.CHONGMING, 2), (District.HUANGPU, 4), (District.XUHUI, 5), (District.CHANGNING, 3),
    (District.JINGAN, 5), (District.PUTUO, 4), (District.HONGKOU, 3), (District.YANGPU, 5),
]
BRAND_FIRST = "申浦华东海宝金长新中恒鑫汇联盛达兴隆嘉协信永振建通力天利安瑞欣凯鼎晟博润弘锦泰锐"
BRAND_SECOND = "江港宇源丰昌达鹏程远诚佳成和益德翔荣辉腾普康顺星明光峰威创科智业迪驰帆越祥茂"
INDUSTRIES = [
    "精密机械", "汽车零部件", "智能装备", "电气", "焊接技术", "养老服务", "数据科技", "新材料", "生物医药",
    "餐饮管理", "物业管理", "建设工程", "电子科技", "物流", "化工", "食品", "服饰", "印刷", "模具",
    "船舶配套", "航空零部件", "环保科技", "机电设备", "信息技术", "酒店管理", "家政服务", "美容美发",
    "汽车销售服务", "轨道交通设备", "集成电路", "光电科技", "医疗器械", "纺织", "建材", "钢结构",
    "电梯工程", "机器人", "检测技术", "新能源科技", "包装材料",
]
SUFFIXES = [("有限公司", 80), ("股份有限公司", 10), ("集团有限公司", 5), ("有限责任公司", 5)]

#: Where the people who were not born in Shanghai come from (county codes in Anhui, Jiangsu, Henan,
#: Sichuan, Zhejiang, Jiangxi, Hubei, Shandong, Chongqing); an invalid code for a birth year falls back.
ORIGIN_CODES = ["340121", "340822", "320321", "411323", "510922", "330183", "362330", "420281", "370883",
                "500228"]
BORN_ELSEWHERE_SHARE = 0.35

#: Skill levels held by the workforce (None: no certificate yet), most people at the lower rungs.
LEVEL_WEIGHTS: list[tuple[SkillLevel | None, float]] = [
    (None, 25), (SkillLevel.APPRENTICE, 5), (SkillLevel.LEVEL_5, 24), (SkillLevel.LEVEL_4, 22),
    (SkillLevel.LEVEL_3, 15), (SkillLevel.LEVEL_2, 6), (SkillLevel.LEVEL_1, 2.5), (SkillLevel.SPECIAL, 0.4),
    (SkillLevel.CHIEF, 0.1),
]
MOBILE_PREFIXES = ["138", "139", "136", "135", "137", "150", "151", "158", "159", "186", "187", "188", "177",
                   "189", "199", "133", "153", "180", "181", "173"]

BIRTH_FIRST = date(1966, 1, 1)
BIRTH_DAYS = 40 * 365  # people born 1966–2005, of working age
SEQ_BLOCKS = 100  # the order code's first two digits; the third carries the sex
ID_CAPACITY = BIRTH_DAYS * SEQ_BLOCKS
#: A multiplier coprime with ID_CAPACITY: i -> (i * STRIDE + OFFSET) % ID_CAPACITY visits every
#: (birth day, order block) pair once, so person i's ID number is unique without remembering the others.
ID_STRIDE = 7_919_993
ID_OFFSET = 1_234_567


class Weighted(Generic[T]):
    """Draw from a fixed list of choices with weights, in O(log n) per draw."""

    def __init__(self, pairs: list[tuple[T, float]]):
        self.values = [v for v, _ in pairs]
        self.cumulative = list(itertools.accumulate(w for _, w in pairs))

    def draw(self, rng: random.Random) -> T:
        return self.values[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


SURNAMES = Weighted(SURNAME_WEIGHTS)
LEVELS = Weighted(LEVEL_WEIGHTS)
DISTRICTS = Weighted(DISTRICT_WEIGHTS)


def person_name(rng: random.Random, male: bool, birth_year: int) -> str:
    pool = MALE_GIVEN if male else FEMALE_GIVEN
    given = pool[rng.randrange(len(pool))]
    # Two-character given names became the norm for people born from the 1980s on.
    if rng.random() < (0.85 if birth_year >= 1980 else 0.6):
        given += pool[rng.randrange(len(pool))]
    return SURNAMES.draw(rng) + given


def mobile(rng: random.Random) -> str:
    return MOBILE_PREFIXES[rng.randrange(len(MOBILE_PREFIXES))] + f"{rng.randrange(10**8):08d}"


def birth_and_block(index: int) -> tuple[date, int]:
    """The unique (birth date, order-code block) of person ``index``."""
    slot = (index * ID_STRIDE + ID_OFFSET) % ID_CAPACITY
    return BIRTH_FIRST + timedelta(days=slot // SEQ_BLOCKS), slot % SEQ_BLOCKS


#: Where to look for an area code that existed in the birth year, in order of preference.
ORIGIN_CHOICES = [tuple(ORIGIN_CODES[i:] + ORIGIN_CODES[:i]) + ("310101",) for i in range(len(ORIGIN_CODES))]
SHANGHAI_CHOICES = {d: (code, OLD_COUNTY_CODES.get(d, ""), "310101") for d, code in DISTRICT_CODES.items()}


@lru_cache(maxsize=8192)
def region_for(choices: tuple[str, ...], year: int) -> str:
    """The first area code among ``choices`` that existed in ``year`` (stdnum checks it by year)."""
    for region in choices:
        if region and ric.is_valid(_with_check(f"{region}{year}0101001")):
            return region
    return "310101"


def _with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")  # stdnum expects a placeholder check digit


def id_number(rng: random.Random, index: int, district: District) -> tuple[str, date, bool]:
    """A unique, check-digit-correct (invented) 身份证号 for person ``index``, its birth date and sex."""
    birth, block = birth_and_block(index)
    male = rng.random() < 0.58
    sex_digit = rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    if rng.random() < BORN_ELSEWHERE_SHARE:
        choices = ORIGIN_CHOICES[rng.randrange(len(ORIGIN_CHOICES))]
    else:
        choices = SHANGHAI_CHOICES[district]
    region = region_for(choices, birth.year)
    return _with_check(f"{region}{birth:%Y%m%d}{block:02d}{sex_digit}"), birth, male


def enterprise_names() -> list[str]:
    """Every enterprise name the generator can make, in a fixed shuffled order (64,000 of them)."""
    rng = random.Random(31_2026)
    combos = [(a, b, industry) for a in BRAND_FIRST for b in BRAND_SECOND for industry in INDUSTRIES]
    rng.shuffle(combos)
    suffixes = Weighted(SUFFIXES)
    names = []
    for first, second, industry in combos:
        suffix = suffixes.draw(rng)
        # About one in ten is a foreign-invested company named "X（上海）…", the rest "上海X…".
        if rng.random() < 0.1:
            names.append(f"{first}{second}（上海）{industry}{suffix}")
        else:
            names.append(f"上海{first}{second}{industry}{suffix}")
    return names
