"""find_region: gazetteer of the five regions and places outside."""

import pytest

from bot.understand import find_places, find_region, region_name

XIZANG = {
    "拉萨市": ["城关区", "堆龙德庆区", "达孜区", "林周县", "当雄县", "尼木县", "曲水县", "墨竹工卡县"],
    "日喀则市": ["桑珠孜区", "南木林县", "江孜县", "定日县", "萨迦县", "拉孜县", "昂仁县", "谢通门县", "白朗县", "仁布县",
              "康马县", "定结县", "仲巴县", "亚东县", "吉隆县", "聂拉木县", "萨嘎县", "岗巴县"],
    "昌都市": ["卡若区", "江达县", "贡觉县", "类乌齐县", "丁青县", "察雅县", "八宿县", "左贡县", "芒康县", "洛隆县", "边坝县"],
    "林芝市": ["巴宜区", "工布江达县", "米林市", "墨脱县", "波密县", "察隅县", "朗县"],
    "山南市": ["乃东区", "扎囊县", "贡嘎县", "桑日县", "琼结县", "曲松县", "措美县", "洛扎县", "加查县", "隆子县", "错那市",
             "浪卡子县"],
    "那曲市": ["色尼区", "嘉黎县", "比如县", "聂荣县", "安多县", "申扎县", "索县", "班戈县", "巴青县", "尼玛县", "双湖县"],
    "阿里地区": ["普兰县", "札达县", "噶尔县", "日土县", "革吉县", "改则县", "措勤县"],
}
GUANGXI = {
    "南宁市": ["兴宁区", "青秀区", "江南区", "西乡塘区", "良庆区", "邕宁区", "武鸣区", "隆安县", "马山县", "上林县", "宾阳县",
             "横州市"],
    "柳州市": ["城中区", "鱼峰区", "柳南区", "柳北区", "柳江区", "柳城县", "鹿寨县", "融安县", "融水苗族自治县", "三江侗族自治县"],
    "桂林市": ["秀峰区", "叠彩区", "象山区", "七星区", "雁山区", "临桂区", "阳朔县", "灵川县", "全州县", "兴安县", "永福县",
             "灌阳县", "龙胜各族自治县", "资源县", "平乐县", "荔浦市", "恭城瑶族自治县"],
    "梧州市": ["万秀区", "长洲区", "龙圩区", "苍梧县", "藤县", "蒙山县", "岑溪市"],
    "北海市": ["海城区", "银海区", "铁山港区", "合浦县"],
    "防城港市": ["港口区", "防城区", "上思县", "东兴市"],
    "钦州市": ["钦南区", "钦北区", "灵山县", "浦北县"],
    "贵港市": ["港北区", "港南区", "覃塘区", "平南县", "桂平市"],
    "玉林市": ["玉州区", "福绵区", "容县", "陆川县", "博白县", "兴业县", "北流市"],
    "百色市": ["右江区", "田阳区", "田东县", "德保县", "那坡县", "凌云县", "乐业县", "田林县", "西林县", "隆林各族自治县",
             "靖西市", "平果市"],
    "贺州市": ["八步区", "平桂区", "昭平县", "钟山县", "富川瑶族自治县"],
    "河池市": ["金城江区", "宜州区", "南丹县", "天峨县", "凤山县", "东兰县", "罗城仫佬族自治县", "环江毛南族自治县",
             "巴马瑶族自治县", "都安瑶族自治县", "大化瑶族自治县"],
    "来宾市": ["兴宾区", "忻城县", "象州县", "武宣县", "金秀瑶族自治县", "合山市"],
    "崇左市": ["江州区", "扶绥县", "宁明县", "龙州县", "大新县", "天等县", "凭祥市"],
}
ANKANG = ["汉滨区", "汉阴县", "石泉县", "宁陕县", "紫阳县", "岚皋县", "平利县", "镇坪县", "旬阳市", "白河县", "恒口示范区"]
URUMQI = ["天山区", "沙依巴克区", "新市区", "水磨沟区", "头屯河区", "达坂城区", "米东区", "乌鲁木齐县"]
QIANJIANG = ["城东街道", "城南街道", "城西街道", "正阳街道", "舟白街道", "冯家街道", "阿蓬江镇", "石会镇", "黑溪镇", "黄溪镇",
             "黎水镇", "金溪镇", "马喇镇", "濯水镇", "沙坝镇", "鹅池镇", "邻鄂镇", "小南海镇", "石家镇", "水市乡", "中塘乡",
             "蓬东乡", "白土乡", "白石乡", "五里乡", "水田乡", "杉岭乡", "太极乡", "新华乡", "金洞乡"]


def test_counts():
    assert len(XIZANG) == 7 and sum(len(v) for v in XIZANG.values()) == 74
    assert len(GUANGXI) == 14 and sum(len(v) for v in GUANGXI.values()) == 111


@pytest.mark.parametrize("pref", list(XIZANG))
def test_xizang_prefectures(pref):
    m = find_region(pref)
    assert m is not None and m.region == "xizang" and m.place == pref and m.level == "prefecture"
    assert not m.outside and not m.ambiguous


@pytest.mark.parametrize("pref", list(GUANGXI))
def test_guangxi_cities(pref):
    m = find_region(pref)
    assert m is not None and m.region == "guangxi" and m.place == pref and m.level == "prefecture"
    short = pref[:-1]
    m2 = find_region(f"我是{short}的")
    assert m2 is not None and m2.region == "guangxi" and m2.place == pref


@pytest.mark.parametrize("pref,county", [(p, c) for p, cs in XIZANG.items() for c in cs])
def test_xizang_counties(pref, county):
    m = find_region(county)
    assert m is not None and m.region == "xizang" and m.place == county and m.level == "county"
    m2 = find_region(f"我是{pref}{county}的五保户")
    assert m2 is not None and m2.region == "xizang" and m2.place == county and not m2.ambiguous


@pytest.mark.parametrize("pref,county", [(p, c) for p, cs in GUANGXI.items() for c in cs])
def test_guangxi_counties(pref, county):
    m = find_region(county)
    assert m is not None and m.region == "guangxi" and m.place == county and m.level == "county"
    m2 = find_region(f"广西{pref}{county}人，住院了")
    assert m2 is not None and m2.region == "guangxi" and m2.place == county and not m2.ambiguous


@pytest.mark.parametrize("name", ANKANG)
def test_ankang(name):
    m = find_region(name)
    assert m is not None and m.region == "ankang" and m.place == name


@pytest.mark.parametrize("name", URUMQI)
def test_urumqi(name):
    m = find_region(name)
    assert m is not None and m.region == "urumqi" and m.place == name


@pytest.mark.parametrize("name", QIANJIANG)
def test_qianjiang_with_context(name):
    m = find_region(f"重庆黔江{name}")
    assert m is not None and m.region == "qianjiang" and m.place == name and not m.ambiguous
    assert m.level in ("town", "street")


@pytest.mark.parametrize("text,region,place", [
    ("南宁", "guangxi", "南宁市"),
    ("百色市", "guangxi", "百色市"),
    ("拉萨市", "xizang", "拉萨市"),
    ("拉萨", "xizang", "拉萨市"),
    ("乌市", "urumqi", "乌鲁木齐市"),
    ("乌鲁木齐", "urumqi", "乌鲁木齐市"),
    ("汉滨", "ankang", "汉滨区"),
    ("西藏", "xizang", "西藏自治区"),
    ("广西", "guangxi", "广西壮族自治区"),
    ("广西壮族自治区", "guangxi", "广西壮族自治区"),
    ("安康", "ankang", "安康市"),
    ("安康市", "ankang", "安康市"),
    ("陕西安康", "ankang", "安康市"),
    ("黔江", "qianjiang", "黔江区"),
    ("重庆黔江", "qianjiang", "黔江区"),
    ("重庆市黔江区", "qianjiang", "黔江区"),
    ("我在安康住院", "ankang", "安康市"),
    ("横县", "guangxi", "横州市"),
    ("恭城", "guangxi", "恭城瑶族自治县"),
    ("巴马", "guangxi", "巴马瑶族自治县"),
    ("融水", "guangxi", "融水苗族自治县"),
    ("南宁市武鸣区", "guangxi", "武鸣区"),
    ("旬阳县", "ankang", "旬阳市"),
    ("米林县", "xizang", "米林市"),
    ("错那县", "xizang", "错那市"),
    ("扎达县", "xizang", "札达县"),
    ("堆龙", "xizang", "堆龙德庆区"),
    ("日喀则", "xizang", "日喀则市"),
    ("阿里地区", "xizang", "阿里地区"),
    ("西藏阿里", "xizang", "阿里地区"),
    ("那曲比如县", "xizang", "比如县"),
    ("桂林兴安", "guangxi", "兴安县"),
    ("黔江城东", "qianjiang", "城东街道"),
    ("乌鲁木齐高新区", "urumqi", "乌鲁木齐高新技术产业开发区"),
    ("乌鲁木齐经济技术开发区", "urumqi", "乌鲁木齐经济技术开发区"),
    ("我是汉滨区的，在西安住院", "ankang", "汉滨区"),
    ("我是黔江的，现在在重庆主城住院", "qianjiang", "黔江区"),
    ("<b>拉萨</b>", "xizang", "拉萨市"),
    ("ＮＮ南宁", "guangxi", "南宁市"),
    ("濯水", "qianjiang", "濯水镇"),
    ("阿蓬江镇", "qianjiang", "阿蓬江镇"),
    ("达坂城", "urumqi", "达坂城区"),
    ("米东区", "urumqi", "米东区"),
])
def test_named(text, region, place):
    m = find_region(text)
    assert m is not None, text
    assert (m.region, m.place) == (region, place)
    assert m.outside is False


@pytest.mark.parametrize("text,place", [
    ("北京", "北京市"), ("上海", "上海市"), ("天津", "天津市"), ("重庆", "重庆市"), ("成都", "成都市"),
    ("西安", "西安市"), ("喀什", "喀什地区"), ("伊犁", "伊犁哈萨克自治州"), ("昆明", "昆明市"), ("贵阳", "贵阳市"),
    ("陕西", "陕西省"), ("新疆", "新疆维吾尔自治区"), ("广东", "广东省"), ("深圳", "深圳市"), ("兴安盟", "兴安盟"),
    ("石家庄", "石家庄市"), ("汉中", "汉中市"), ("克拉玛依", "克拉玛依市"), ("酉阳", "酉阳土家族苗族自治县"),
    ("万州", "万州区"), ("湖南长沙", "长沙市"), ("内蒙古", "内蒙古自治区"), ("香港", "香港特别行政区"),
    ("我在北京打工", "北京市"), ("四川", "四川省"), ("云南", "云南省"), ("甘肃兰州", "兰州市"), ("宁夏", "宁夏回族自治区"),
    ("北京城东", "北京市"), ("恩施", "恩施土家族苗族自治州"), ("湛江", "湛江市"),
])
def test_outside(text, place):
    m = find_region(text)
    assert m is not None, text
    assert m.outside is True and m.region is None and m.place == place


@pytest.mark.parametrize("text", [
    "祝您安康", "祝你身体健康，阖家安康", "端午安康", "中秋安康！", "谢谢，祝您平安安康", "阿里巴巴", "比如说我家",
    "我家门前有块水田", "你好", "我是低保户", "住院花了2万", "", "   ", "保险", "不知道", "太极拳打得好",
    "新华书店", "我想了解医疗救助", "12345", "😀😀", "<script>alert(1)</script>", "我家在城东那边的小区",
])
def test_no_place(text):
    assert find_region(text) is None


@pytest.mark.parametrize("text,region", [("城东", "qianjiang"), ("城东街道", "qianjiang"), ("水田乡", "qianjiang"),
                                         ("阿里", "xizang"), ("三江", "guangxi"), ("兴安", "guangxi")])
def test_ambiguous_alone(text, region):
    m = find_region(text)
    assert m is not None and m.region == region and m.ambiguous is True


def test_greeting_and_place_together():
    m = find_region("祝您安康！我是安康市汉滨区的")
    assert m.region == "ankang" and m.place == "汉滨区"


def test_alternatives():
    m = find_region("我户口在拉萨，现在南宁")
    assert m.region in ("xizang", "guangxi")
    assert set([m.region] + m.alternatives) == {"xizang", "guangxi"}


def test_find_places_lists_outside_too():
    ps = find_places("我是汉滨区的，在西安住院")
    names = [p.place for p in ps]
    assert names[0] == "汉滨区" and "西安市" in names


def test_region_name():
    assert region_name("qianjiang") == "黔江区"
    assert region_name("nope") == ""


@pytest.mark.parametrize("text,place", [("那曲地区", "那曲市"), ("山南地区", "山南市"), ("日喀则地区", "日喀则市"),
                                        ("林芝县", "巴宜区"), ("昌都县", "卡若区"), ("那曲县", "色尼区"),
                                        ("乃东县", "乃东区"), ("靖西县", "靖西市"), ("狮泉河", "噶尔县"),
                                        ("泽当", "乃东区"), ("八一镇", "巴宜区"), ("山南", "山南市"), ("北海", "北海市")])
def test_old_names(text, place):
    m = find_region(text)
    assert m is not None and m.place == place and not m.ambiguous


@pytest.mark.parametrize("text", ["走遍山南海北", "去了北海公园", "北海道旅游"])
def test_idioms_with_place_names(text):
    m = find_region(text)
    assert m is None or m.region is None


def test_outside_levels():
    assert find_region("酉阳").level == "county"
    assert find_region("西安").level == "city"
    assert find_region("陕西").level == "province"


@pytest.mark.parametrize("text,place", [("我家在曲水，是低保户", "曲水县"), ("我是紫阳的", "紫阳县"), ("平果人", "平果市")])
def test_less_common_short_forms_are_accepted_but_flagged(text, place):
    m = find_region(text)
    assert m is not None and m.place == place and m.ambiguous


@pytest.mark.parametrize("text", ["去灵山寺拜佛", "天山好美", "兴业银行", "资源不够"])
def test_common_word_short_forms_need_context(text):
    m = find_region(text)
    assert m is None or m.region is None
