"""What a question asks: its type, the subject terms, region, year, period and intent.

Pure functions over the cleaned question text; no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import has_cjk, tokenize

# ----------------------------------------------------------------- vocabulary

#: Everyday or English names of report terms → the wording reports use.
SYNONYMS: dict[str, str] = {
    "gdp": "地区生产总值", "国内生产总值": "地区生产总值", "生产总值": "地区生产总值", "经济总量": "地区生产总值",
    "社零": "社会消费品零售总额", "社零额": "社会消费品零售总额", "消费品零售": "社会消费品零售总额",
    "财政收入": "一般公共预算收入", "地方财政收入": "一般公共预算收入",
    "医保": "基本医疗保险", "规上": "规模以上", "规上工业": "规模以上工业", "规上工业增加值": "规模以上工业增加值",
    "规模以上工业增加值": "规上工业增加值", "规上企业": "规模以上企业", "养老保险": "基本养老保险", "固投": "固定资产投资",
    "游客": "旅游人数", "人大": "人民代表大会", "人代会": "人民代表大会", "旅客": "旅游人数", "收入增速": "人均可支配收入",
}

#: English words and phrases → report wording (longest phrases first when applied).
ENGLISH: dict[str, str] = {
    "gdp": "地区生产总值", "gross domestic product": "地区生产总值", "economic output": "地区生产总值",
    "general public budget revenue": "一般公共预算收入", "public budget revenue": "一般公共预算收入",
    "budget revenue": "一般公共预算收入", "fiscal revenue": "一般公共预算收入",
    "retail sales of consumer goods": "社会消费品零售总额", "retail sales": "社会消费品零售总额",
    "fixed-asset investment": "固定资产投资", "fixed asset investment": "固定资产投资",
    "industrial investment": "产业投资", "private investment": "民间投资", "total investment": "投资",
    "industrial added value": "工业增加值", "value added of industry": "工业增加值",
    "disposable income": "人均可支配收入", "per capita income": "人均可支配收入",
    "tourist visits": "旅游人数 游客 人次", "tourists": "旅游人数 游客 人次", "tourism revenue": "旅游总花费",
    "tourism spending": "旅游总花费", "tourism": "旅游",
    "new urban jobs": "城镇新增就业", "urban jobs": "城镇新增就业", "jobs": "就业", "employment": "就业",
    "key projects": "重点项目", "municipal key projects": "市级重点项目", "projects": "项目",
    "farmland": "农田", "high-standard farmland": "高标准农田", "grain": "粮食", "output": "产量",
    "people's congress": "人民代表大会", "congress": "人民代表大会", "session": "会议",
    "government work report": "政府工作报告", "delivered": "代表 报告", "report": "报告",
    "open": "开幕", "opened": "开幕", "held": "召开",
    "growth target": "增长 目标", "growth": "增长", "target": "目标", "goal": "目标", "aim": "目标 力争",
    "gold industry": "黄金产业", "gold": "黄金", "copper": "铜", "phosphorus": "磷", "new energy": "新能源",
    "education": "教育", "schools": "学校", "kindergartens": "幼儿园", "hospital": "医院", "health": "卫生健康",
    "poverty": "返贫 帮扶", "rural revitalization": "乡村振兴", "ecology": "生态", "environment": "环境",
    "air quality": "空气质量", "water": "水", "housing": "住房", "old residential": "老旧小区",
    "investment": "投资", "consumption": "消费", "industry": "产业", "industries": "产业", "enterprises": "企业",
    "share": "占比 比重", "proportion": "占比 比重", "rate": "率", "population": "人口", "pension": "养老保险",
    "unemployment insurance": "失业保险", "medical insurance": "医疗保险", "scale": "规模",
    "six dongchuans": "六个东川", "six spring cities": "六个春城",
}

REGION_ALIASES: dict[str, str] = {
    "dongchuan": "东川", "kunming": "昆明", "yunnan": "云南", "beijing": "北京", "shanghai": "上海",
}

# Place names that are not in the corpus still deserve a clear "no report for X".
KNOWN_PLACES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧 楚雄 红河 "
    "文山 大理 德宏 怒江 迪庆 西双版纳 东川 五华 盘龙 官渡 西山 呈贡 晋宁 安宁 富民 宜良 石林 嵩明 禄劝 寻甸 深圳 广州 "
    "成都 武汉 杭州 南京 西安 长沙 郑州 贵阳 南宁 拉萨 兰州 西宁 银川 乌鲁木齐 呼和浩特 哈尔滨 长春 沈阳 石家庄 太原 "
    "济南 合肥 南昌 福州 海口 苏州 青岛 大连 厦门 宁波"
).split()

_TARGET_WORDS = ("目标", "预期", "计划", "打算", "力争", "争取", "确保", "要", "将", "准备", "拟", "规划", "aim", "plan",
                 "target", "goal", "will", "expect")
_ACTUAL_WORDS = ("完成", "实现", "达到", "取得", "了", "去年", "已经", "累计", "was", "did", "achieved", "reached")
_GROWTH_WORDS = ("增长", "增速", "增幅", "增加", "提高", "提升", "下降", "减少", "降低", "涨", "growth", "grow", "increase",
                 "decline", "drop")
_RATE_WORDS = ("率", "比例", "比重", "占比", "百分之", "百分比", "share", "percentage", "proportion", "rate")
_FIVE_YEAR = ("十四五", "五年来", "五年", "年均", "每年平均", "平均每年", "14th five", "five years")
_NEXT_PLAN = ("十五五", "2030", "到2030", "15th five")

QUESTION_WORDS = frozenset(
    "多少 几 几个 几项 几家 几所 哪些 哪几 哪个 哪家 哪位 哪里 哪儿 哪天 哪一天 哪次 什么 谁 何时 何地 怎样 怎么 如何 是否 "
    "是不是 多大 多高 多长 多远 多久 有没有 吗 呢 么 指 指的是 意思 含义 内容 包括 包含 具体 分别 目标 预期 计划 打算 力争 "
    "争取 确保 要 将 完成 实现 达到 增长 增速 增幅 同比 比 提高 提升 下降 减少 年 今年 去年 明年 期间 时期 时候 "
    "超过 不少于 不低于 至少 稳定在 表述 怎么表述 说法 形态 类型 种类 方面 领域 措施 举措 名称 哪方面 "
    "全市 全区 全省 全县 全州 我市 我区 我省 本市 本区 "
    "亿元 万元 元 亿 万 平方公里 公里 平方米 万人 人 人次 万人次 户 万户 亩 万亩 公顷 吨 万吨 个 家 所 项 座 % 百分点 个百分点 倍 "
    "这篇 这个 该 写 作 作的 新闻稿 一下 幅度 增长率 百分之 百分之几 上年 比上年 同比 一共 总共 全年 大概 大约 数量 数字 情况 哪五个 哪四个 哪三个 哪两个 哪六个 "
    "哪几个 哪几类 哪几种 哪几条 哪几项 哪两类 哪一 哪类 哪种 几类 几种 几条 多高 多大 现在 目前 当时 "
    "which what how who when where many much is are was were the of in for to a an does do did".split()
)


@dataclass(frozen=True)
class QuestionInfo:
    """The parts of a question that retrieval and extraction use."""

    text: str  # cleaned question (simplified, NFKC)
    qtype: str  # number | list | glossary | name | date | place | meeting | yesno | text
    terms: tuple[str, ...]  # subject terms, in order (synonyms expanded, English translated)
    search_text: str  # what the lexical searcher is given
    regions: tuple[str, ...] = ()  # place names mentioned ("东川", "昆明")
    years: tuple[int, ...] = ()
    wants_target: bool = False
    wants_actual: bool = False
    wants_growth: bool = False
    wants_rate: bool = False
    five_year: bool = False  # 十四五 / 年均 / 五年来
    next_plan: bool = False  # 十五五 / 2030
    unit_hint: str = ""  # "人", "户", "亩", "元", …
    quoted: tuple[str, ...] = ()  # “术语” in the question
    english: bool = False


_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?:年|\b)")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{1,20})[”\"」』]")
_UNIT_HINT = re.compile(r"多少(万|亿)?(人次|人|户|亩|公顷|公里|平方米|个|家|所|项|座|套|盏|吨|元|千瓦|兆瓦|条|名|批|次|宗|件|张|床|处)")
_UNIT_HINT_AFTER = re.compile(r"(几|多少)(个|家|所|项|座|条|户|人|名|次|批|万)")


def _translate_english(text: str) -> tuple[str, bool]:
    lowered = text.lower()
    ascii_letters = sum(c.isascii() and c.isalpha() for c in text)
    if ascii_letters < 6 or has_cjk(re.sub(r"\([^)]*\)|\"[^\"]*\"", "", text)) and ascii_letters < len(text) // 2:
        return text, False
    extra = []
    for phrase in sorted(ENGLISH, key=len, reverse=True):
        if re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", lowered):
            extra.append(ENGLISH[phrase])
            lowered = lowered.replace(phrase, " ")
    for name, zh in REGION_ALIASES.items():
        if name in text.lower():
            extra.insert(0, zh)
    return text + " " + " ".join(extra), True


def _qtype(q: str) -> str:
    low = q.lower()
    if re.search(r"指什么|是什么意思|指的是什么|什么意思|含义|是指|指哪|指的是|refer to|stand for|mean", low) or (
        _QUOTED.search(q) and re.search(r"是什么|包括|是哪|有哪些|具体", q)
    ):
        return "glossary"
    if re.search(r"哪次会议|什么会议|哪个会议|哪一次会议|哪届|which session|what meeting|在哪次", low):
        return "meeting"
    if re.search(r"哪天|哪一天|什么时候|何时|日期|几月几日|几号|什么日子|when|what date|on what date", low):
        return "date"
    if re.search(r"谁|哪位|什么人|姓名|名字|who\b|职务|担任什么|哪家媒体|什么媒体|哪个媒体|记者", low):
        return "name"
    if re.search(r"哪里|哪儿|在哪|何地|什么地方|哪个地方|where", low):
        return "place"
    if re.search(r"哪几|哪些|哪[一二三四五六七八九十两]+[个类种项条方大]", low):
        return "list"
    if re.search(r"多少|几[个项家所座条户人名次批万亿倍年]?|多大|多高|比例|百分|how many|how much|what share|what percent|"
                 r"growth target|what was .*(gdp|revenue|sales|investment)|what is .*(gdp|revenue|target|rate)|"
                 r"what scale|增长了?多少|增速|增幅", low):
        return "number"
    if re.search(r"哪些|哪几|包括|包含|有什么|什么样|哪类|哪种|which|what are", low):
        return "list"
    if re.search(r"哪家|哪个|什么企业|什么项目|什么", low):
        return "entity"
    if re.search(r"是否|是不是|有没有|吗[?？]?$", low):
        return "yesno"
    return "text"


def analyze(question: str) -> QuestionInfo:
    """Parse a cleaned question (see text.clean_question) into QuestionInfo."""
    q, english = _translate_english(question)
    low = q.lower()
    qtype = _qtype(question)
    years = tuple(sorted({int(y) for y in _YEAR_RE.findall(q)}))
    regions = []
    for place in KNOWN_PLACES:
        if place in q and not any(place in r for r in regions):
            regions.append(place)
    quoted = tuple(m.group(1).strip() for m in _QUOTED.finditer(question))

    wants_target = any(w in low for w in _TARGET_WORDS)
    wants_actual = any(w in low for w in _ACTUAL_WORDS) and not any(w in low for w in ("目标", "计划", "预期", "打算"))
    wants_growth = any(w in low.replace("增加值", "") for w in _GROWTH_WORDS)
    wants_rate = any(w in low for w in _RATE_WORDS) or "%" in q
    five_year = any(w in low for w in _FIVE_YEAR)
    next_plan = any(w in low for w in _NEXT_PLAN)
    m = _UNIT_HINT.search(q) or _UNIT_HINT_AFTER.search(q)
    unit_hint = m.group(m.lastindex) if m else ""
    if re.search(r"多少钱|资金|金额|投入|花费|收入|总额|产值|投资", q) and not unit_hint and not wants_rate:
        unit_hint = "元" if not wants_growth else ""
    if not unit_hint and not wants_growth and not wants_rate and re.search(
            r"多少(个)?(游客|人|城里人|居民|学生|干部|群众|员工|护理员|老人|教师|医生|名)|多少人|"
            r"how many (tourist|people|visitor|resident|student|job|worker|new urban job)", q.lower()):
        unit_hint = "人"

    terms: list[str] = []
    for tok in tokenize(q):
        tok = re.sub(r"^哪[一二三四五六七八九十两几]?|(?<=.)[要的了是在作]$", "", tok) if len(tok) > 1 else tok
        if not tok:
            continue
        t = f"{tok}|{SYNONYMS[tok]}" if tok in SYNONYMS else tok
        if t in QUESTION_WORDS or t.isascii() and english:
            continue
        if re.fullmatch(r"20\d\d|20\d\d年|\d+", t):
            continue
        if any(t == r or t in (r + "区", r + "市", r + "省", r + "县") for r in regions):
            continue
        if t not in terms:
            terms.append(t)
    for q_ in quoted:
        if q_ not in terms:
            terms.insert(0, q_)
    search_text = " ".join([q] + [SYNONYMS[t] for t in SYNONYMS if t in low and SYNONYMS[t] not in q])
    return QuestionInfo(
        text=question, qtype=qtype, terms=tuple(terms), search_text=search_text, regions=tuple(regions),
        years=years, wants_target=wants_target, wants_actual=wants_actual, wants_growth=wants_growth,
        wants_rate=wants_rate, five_year=five_year, next_plan=next_plan, unit_hint=unit_hint, quoted=quoted,
        english=english,
    )
