"""The Traditional Chinese texts are written in Traditional characters.

zh_Hant strings were produced by converting the Simplified ones, and some were pasted
unconverted (考评, 单位, 指标...): a reader of Traditional Chinese then meets a page
half in the other script. Here every msgstr of the zh_Hant catalog and every zh_Hant
text of the instruments and frameworks is checked against a fixed list of characters
that exist only in Simplified Chinese.

The list is data, built once with OpenCC's dictionaries (opencc-python-reimplemented,
not a dependency): the characters OpenCC converts from Simplified to Traditional and
that are no Traditional form themselves (STCharacters keys minus every Traditional
candidate and Taiwan/Hong Kong variant), taken from the zh_Hans texts of this project
and from the 3,755 most common characters (GB2312 level 1). Characters that are also
correct Traditional in some words (后 后妃, 干 干涉, 里 公里, 台 台灣, 准 核准, 制 制度,
只, 系, 面, 采...) are left out, so a wrong choice among them is for review by eye;
据, 价, 着 and 么 are in, because their Traditional uses (拮据...) do not occur here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "survey" / "translations" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
TOML_FILES = sorted(ROOT.glob("instruments/*.toml")) + sorted(ROOT.glob("frameworks/**/*.toml"))

SIMPLIFIED_ONLY = frozenset(
    "与专业丛东丝丢两严丧个临为丽举义乌乐乔习乡书买乱争亏亚产亩亲亿仅从仑仓仪们众优会伞伟传伤伦伪体侠侣侥"
    "侦侧侨侩俩俭债倾偿储儿兰关兴兹养兽内冈册写军农冯冲决况冻净凄凉减凑凛凤凭凯击凿刘则刚创删别刹刽剂剐剑"
    "剥剧劝办务动励劲劳势勋匀区医华协单卖卢卤卫却厅历厉压厌厕厢厦厨厩县参双发变叙叠号叹吓吕吗吨听启吴呐呕"
    "员呛呜咏咙响哑哗哟唤啮啸喷嘘嘱嚣团园围国图圆圣场坏块坚坛坝坞坟坠垄垒垦垫堑堕墙壮声壳壶处备复够头夹夺"
    "奋奖奥妆妇妈娄娇娱婴婶孙学孪宁宝实宠审宪宫宽宾寝对寻导寿将尔尘尝尧尽层屉届属屡屿岁岂岗岛岭岿峡峦崭巩"
    "币帅师帐帜带帧帮幂并庄庆庐库应庙庞废开异弃张弥弯弹强归当录彦彻径忆忧怀态怂怜总恋恒恳恶恼悬悯惊惧惨惩"
    "惫惭惮惯愤慑懒戏战扑执扩扫扬扰抚抛抠抡抢护报担拟拢拣拥拦拧拨择挚挛挝挞挟挠挡挣挤挥捞损捡换捣掳掷掸掺"
    "揽搀搁搂搅携摄摆摇摈摊撑撵擞攒敌敛数斋斩断无旧时旷昼显晋晒晓晕暂术机杀杂权条来杨构枢枣枪枫柠栅标栈栋"
    "栏树栖样档桥桨桩梦检椭楼槛横樱橱欢欧歼残殴毁毕毙毡气氢汇汉汤汹沟没沤沥沦沧沪泞泪泻泼泽洁洒洼浅浆浇浊"
    "测济浏浑浓涛涝涟涡涣涤润涧涨涩渊渍渐渔渗湾湿溃溅滚滞满滤滥滦滨滩潍潜澜濒灭灯灵灾灿炉点炼炽烁烂烃烛烟"
    "烦烧烩烫烬热焕爱爷牵牺犊状犹狈狞独狭狮狰狱猎猪猫献獭玛环现珐琐琼瑶瓮电画畅畴疗疟疡疮疯痈痉痒痪瘪瘫癣"
    "皑皱盏盐监盖盗盘睁瞒瞩矫矾矿码砖砚砾础硕硷碍碱礼祷祸禄离秃秆积称秽稳穷窃窍窑窜窝窥竖竞笋笔笺笼筛筹签"
    "简箩篓篮篱类粤粪粮紧纠红纤约级纪纫纬纯纱纲纳纵纶纷纸纹纺纽线练组绅细织终绊绍绎经绑绒结绕绘给绚络绝绞"
    "统绢绣绥绦继绩绪续绰绳维绵绷绸综绽绿缀缄缅缆缉缎缓缔缕编缘缚缝缠缨缩缮缴网罗罚罢羡翘耸耻聂聋职联聪肃"
    "肠肤肮肾肿胀胁胆胶脉脏脐脑脓脚脸腻腾舆舰舱艰艳艺节芜芦苇苍苏茎茧荆荚荡荣荤荧荫药莱莲获莹萝萤营萧萨蒋"
    "蓝蓟蔷蔼蕴虏虑虚虱虽虾蚀蚁蚂蚕蛊蛮蛰蜗蝇蝉衅衔补衬袄袜袭装裤见观规觅视览觉触誉誊计订讣认讥讨让讫训议"
    "讯记讲讳讶许讹论讼讽设访诀证评诅识诈诉诊诌词译试诗诚诛话诞诡询诣该详诧诫诬语误诱诲说诵请诸诺读诽课诿"
    "谁调谅谆谈谊谋谍谎谐谓谗谚谜谢谣谤谦谨谩谬谭谰谱谴贝贞负贡财责贤败账货质贩贪贫贬购贮贯贰贱贴贵贷贸费"
    "贺贼贾贿赁赂赃资赊赋赌赎赏赐赔赖赘赚赛赞赠赡赢赣赵赶趋跃践踌踪蹿躯车轧轨轩转轮软轰轴轻载轿较辅辆辈辉"
    "辊辐辑输辕辖辗辙辞辩辫边辽达迁过迈运还这进远违连迟迹选逊递逻遗遥邓邮邹邻郑郧郸酝酱酿释鉴针钉钎钒钓钙"
    "钝钞钟钠钡钢钥钦钧钨钩钮钱钳钵钻钾铀铁铂铃铅铆铜铝铡铣铬铭铰铱铲银铸铺链销锁锄锅锈锋锌锐锑锗错锚锡锣"
    "锤锥锦锨锭键锯锰锹锻镀镁镇镊镍镐镑镜镣镭镰镶长门闪闭问闯闰闲间闷闸闹闺闻闽阀阁阂阅阈阉阎阐阑阔队阳阴"
    "阵阶际陆陇陈陕陨险随隐隶难雇雏雾霉静韦韧韩韵页顶顷项顺须顽顾顿颁颂预颅领颇颈颊颐频颓颖颗题颜额颠颤颧"
    "风飘飞饥饭饮饯饰饱饲饵饶饷饺饼饿馁馅馆馈馋馏馒马驭驮驯驰驱驳驴驶驹驻驼驾骂骄骆骇骋验骏骑骗骚骡骤鱼鲁"
    "鲍鲜鲤鲸鳃鳖鳞鸟鸡鸣鸥鸦鸭鸯鸳鸵鸽鸿鹃鹅鹊鹏鹤鹰麦黄齐齿龄龋龙龚龟"
    "据价着么"
)

# A run of Chinese characters that the English msgid itself contains is a literal the
# code matches (such as the Simplified column headers the contact import understands),
# and stays as it is in every translation.
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")


def simplified_in(text: str) -> str:
    """The Simplified-only characters of text, in order, without repeats."""
    return "".join(dict.fromkeys(c for c in text if c in SIMPLIFIED_ONLY))


def _without_quoted_literals(msgid: str, msgstr: str) -> str:
    for literal in CJK_RUN.findall(msgid):
        msgstr = msgstr.replace(literal, "")
    return msgstr


def test_catalog_has_no_simplified_characters():
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle, locale="zh_Hant")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            found = simplified_in(_without_quoted_literals(" ".join(ids), string or ""))
            if found:
                problems.append(f"{ids[0]!r}: {found} in {string!r}")
    assert not problems, f"{len(problems)} msgstrs with Simplified characters: {problems[:10]}"


def _zh_hant_texts(node: object, where: str) -> list[tuple[str, str]]:
    """Every zh_Hant text of a parsed TOML file, with the key path that leads to it."""
    if isinstance(node, dict):
        found = [(where, node["zh_Hant"])] if isinstance(node.get("zh_Hant"), str) else []
        for key, value in node.items():
            found += _zh_hant_texts(value, f"{where}.{key}" if where else key)
        return found
    if isinstance(node, list):
        return [t for i, item in enumerate(node) for t in _zh_hant_texts(item, f"{where}[{i}]")]
    return []


@pytest.mark.parametrize("path", TOML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_toml_texts_have_no_simplified_characters(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    texts = _zh_hant_texts(data, "")
    if "zh_Hant" in data.get("languages", []):
        assert texts, "declares zh_Hant but no zh_Hant text was found: has the format changed?"
    problems = [
        f"{at}: {simplified_in(text)} in {text!r}" for at, text in texts if simplified_in(text)
    ]
    assert not problems, problems[:10]


def test_the_check_knows_simplified_from_traditional():
    assert simplified_in("考评单位的指标未保存任何内容。") == "评单标内"
    assert simplified_in("考評單位的指標未儲存任何內容。後台核准制度") == ""
