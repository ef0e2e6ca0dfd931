"""The demo district's data: people and organizations of 明湖区 (Minghu District, fictional).

Plain data, kept apart from the loader in `market.demo` so both stay readable.
"""

from __future__ import annotations

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - documented demo credential
DOMAIN = "demo.example.org"
DIVISION = "330199"  # a made-up division code for a made-up district

# slug → (email local part, display name, platform role, what they can do)
USERS: dict[str, tuple[str, str, str, str]] = {
    "operator": ("operator", "陈敏 Chen Min", "", "operator — cultivation centre"),
    "auditor": ("auditor", "周洁 Zhou Jie", "auditor", "auditor — read-only oversight"),
    "civil_affairs": ("civil-affairs", "王强 Wang Qiang", "", "department — district bureau"),
    "street": ("hubin-street", "李娜 Li Na", "", "department — Hubin street office"),
    "finance": ("finance", "钱芳 Qian Fang", "", "finance — district finance bureau"),
    "org": ("elder-care", "刘芳 Liu Fang", "", "organization — elder care centre (5A)"),
    "mediator": ("mediation", "黄磊 Huang Lei", "", "organization — mediation association"),
    "applicant": ("newcomer", "吴静 Wu Jing", "", "organization — pending registrations"),
    "sponsor": ("sponsor", "赵伟 Zhao Wei", "", "sponsor — company"),
    "foundation": ("foundation", "孙丽 Sun Li", "", "sponsor — foundation"),
    "donor": ("donor", "张小明 Zhang Xiaoming", "", "donor"),
    "fund_chair": ("lakeside-fund", "何建国 He Jianguo", "", "community fund committee chair"),
    "fund_member": ("lakeside-member", "林秀英 Lin Xiuying", "", "community fund committee"),
    "fund_neighbour": ("lakeside-neighbour", "马冬梅 Ma Dongmei", "", "community fund committee"),
}

STREETS = ("湖滨街道", "北山街道", "新桥街道")

# The district's places (market/places/rules.py: 12-digit division codes): the
# district, its three streets (the names in STREETS) and four communities in each.
# slug → (code, name_zh, name_en); a place's parent follows from its code.
PLACES: dict[str, tuple[str, str, str]] = {
    "minghu": ("330109000000", "明湖区", "Minghu District"),
    "hubin": ("330109001000", "湖滨街道", "Hubin Subdistrict"),
    "hubin_lakeside": ("330109001001", "湖畔社区", "Lakeside Community"),
    "hubin_willow": ("330109001002", "柳岸社区", "Willow Bank Community"),
    "hubin_lotus": ("330109001003", "荷花社区", "Lotus Community"),
    "hubin_harbour": ("330109001004", "渔港社区", "Fishing Harbour Community"),
    "beishan": ("330109002000", "北山街道", "Beishan Subdistrict"),
    "beishan_pine": ("330109002001", "松林社区", "Pine Grove Community"),
    "beishan_tea": ("330109002002", "茶园社区", "Tea Garden Community"),
    "beishan_spring": ("330109002003", "清泉社区", "Clear Spring Community"),
    "beishan_terrace": ("330109002004", "梯田社区", "Terrace Community"),
    "xinqiao": ("330109003000", "新桥街道", "Xinqiao Subdistrict"),
    "xinqiao_bridge": ("330109003001", "新桥社区", "New Bridge Community"),
    "xinqiao_garden": ("330109003002", "花园社区", "Garden Community"),
    "xinqiao_station": ("330109003003", "车站社区", "Station Community"),
    "xinqiao_market": ("330109003004", "集市社区", "Market Street Community"),
}


# The place an organization's `area` names (market_place slug in PLACES; "" = the district).
def place_slug(area: str) -> str:
    """The PLACES slug of an area as the demo writes it: "", a district, a street, or
    "street·community"."""
    name = area.rpartition("·")[2] or PLACES["minghu"][1]
    street = area.partition("·")[0] if "·" in area else None
    for slug, (_, name_zh, _) in PLACES.items():
        parent = PLACES[slug.partition("_")[0]][1] if "_" in slug else None
        if name_zh == name and (street is None or parent == street):
            return slug
    raise KeyError(f"no demo place is called {area!r}")


# slug → (name_zh, name_en, description_zh, description_en, area, admin slug)
DEPARTMENTS: dict[str, tuple[str, str, str, str, str, str | None]] = {
    "civil_affairs": (
        "明湖区民政局",
        "Minghu District Civil Affairs Bureau",
        "负责全区社会组织登记管理、社会救助、养老服务和社区治理。",
        "Registers social organizations and runs social assistance, elderly care and "
        "community governance for the district.",
        "",
        "civil_affairs",
    ),
    "hubin": (
        "明湖区湖滨街道办事处",
        "Hubin Subdistrict Office",
        "湖滨街道的社区服务、居民事务与公共服务购买。",
        "Community services, residents' affairs and purchase of public services in Hubin.",
        "湖滨街道",
        "street",
    ),
    "beishan": (
        "明湖区北山街道办事处",
        "Beishan Subdistrict Office",
        "北山街道的社区服务与公共服务购买。",
        "Community services and purchase of public services in Beishan.",
        "北山街道",
        None,
    ),
    "finance": (
        "明湖区财政局",
        "Minghu District Finance Bureau",
        "编制和执行全区预算，每年安排社区建设专项资金并按街道、社区和重点领域分配。",
        "Prepares and executes the district budget; each year it sets aside the "
        "community-building fund and allocates it by street, community and priority area.",
        "",
        "finance",
    ),
    "xinqiao": (
        "明湖区新桥街道办事处",
        "Xinqiao Subdistrict Office",
        "新桥街道的社区服务与公共服务购买。",
        "Community services and purchase of public services in Xinqiao.",
        "新桥街道",
        None,
    ),
}

# slug → (kind code, name_zh, name_en, category, rating, area, year, desc_zh, desc_en, admin)
SOCIAL_ORGS: dict[str, tuple[str, str, str, str, str, str, int, str, str, str | None]] = {
    "elder_care": (
        "2",
        "明湖区湖滨长者关爱服务中心",
        "Hubin Elder Care Service Centre",
        "community_services",
        "5A",
        "湖滨街道",
        2015,
        "为独居和高龄老人提供助餐、助浴、上门探访和健康管理服务。",
        "Meals, bathing help, home visits and health checks for older people living alone.",
        "org",
    ),
    "mutual_aid": (
        "2",
        "明湖区北山邻里互助社",
        "Beishan Neighbourhood Mutual Aid Society",
        "community_services",
        "3A",
        "北山街道",
        2021,
        "组织邻里志愿者开展照护、托管和社区活动。",
        "Neighbourhood volunteers for care, after-school minding and community events.",
        None,
    ),
    "mediation_assoc": (
        "1",
        "明湖区人民调解志愿者协会",
        "Minghu People's Mediation Volunteers Association",
        "dispute_mediation",
        "4A",
        "新桥街道",
        2016,
        "培训和派驻人民调解志愿者，化解邻里、物业和家庭纠纷。",
        "Trains and places volunteer mediators for neighbour, property and family disputes.",
        "mediator",
    ),
    "heshilao": (
        "2",
        "明湖区和事佬矛盾调解服务中心",
        "Heshilao Dispute Resolution Centre",
        "dispute_mediation",
        "2A",
        "湖滨街道",
        2023,
        "以社区调解室为平台，提供专业调解和法律咨询。",
        "Professional mediation and legal advice from community mediation rooms.",
        None,
    ),
    "digital_commons": (
        "2",
        "明湖区数字公益技术服务中心",
        "Minghu Digital Commons Technology Centre",
        "software_services",
        "4A",
        "新桥街道",
        2019,
        "为社区和社会组织开发开源信息系统，提供数字技能培训。",
        "Builds open-source systems for communities and non-profits; digital-skills training.",
        None,
    ),
    "open_source": (
        "2",
        "明湖区开源社区信息服务社",
        "Open Source Community Information Service",
        "software_services",
        "1A",
        "北山街道",
        2025,
        "帮助老年人和残障人士使用数字公共服务。",
        "Helps older and disabled residents use digital public services.",
        None,
    ),
    "youth_science": (
        "2",
        "明湖区青少年科创教育中心",
        "Minghu Youth Science & Innovation Centre",
        "science_technology",
        "5A",
        "北山街道",
        2017,
        "开展青少年科学实验、编程和创客课程。",
        "Science experiments, coding and maker courses for young people.",
        None,
    ),
    "popular_science": (
        "1",
        "明湖区科普志愿者协会",
        "Minghu Popular Science Volunteers Association",
        "science_technology",
        "3A",
        "湖滨街道",
        2020,
        "在社区开展防灾减灾、健康和环保科普。",
        "Community talks on disaster preparedness, health and the environment.",
        None,
    ),
    "governance": (
        "2",
        "明湖区社区治理协调发展中心",
        "Community Governance Coordination Centre",
        "coordination_management",
        "4A",
        "新桥街道",
        2018,
        "协助街道开展居民议事、项目评估和社区规划。",
        "Supports street offices with residents' councils, project evaluation and planning.",
        None,
    ),
    "federation": (
        "1",
        "明湖区社会组织联合会",
        "Minghu Federation of Social Organizations",
        "coordination_management",
        "2A",
        "湖滨街道",
        2022,
        "服务全区社会组织的行业自律、培训与交流平台。",
        "Self-regulation, training and exchange for the district's social organizations.",
        None,
    ),
    "charity_fed": (
        "1",
        "明湖区慈善总会",
        "Minghu Charity Federation",
        "charity",
        "5A",
        "新桥街道",
        2015,
        "募集和管理慈善资金，开展助学、助医、助困项目。",
        "Raises and manages charitable funds for education, medical and hardship relief.",
        None,
    ),
    "warm_heart": (
        "2",
        "明湖区暖心助困服务社",
        "Warm Heart Hardship Relief Service",
        "charity",
        "1A",
        "北山街道",
        2024,
        "为困难家庭提供物资援助和个案帮扶。",
        "Material aid and casework for families in hardship.",
        None,
    ),
}

# slug → (name_zh, name_en, area, year, desc_zh, desc_en, admin)
COMPANIES: dict[str, tuple[str, str, str, int, str, str, str | None]] = {
    "smart_mfg": (
        "明湖智造科技有限公司",
        "Minghu Smart Manufacturing Technology Co., Ltd.",
        "新桥街道",
        2016,
        "工业自动化设备制造商，长期支持社区科普与助老项目。",
        "Industrial automation maker; long-time sponsor of science outreach and elder care.",
        "sponsor",
    ),
    "lakeside": (
        "湖畔建设集团有限公司",
        "Lakeside Construction Group Co., Ltd.",
        "湖滨街道",
        2015,
        "本地建筑企业，参与社区适老化改造公益项目。",
        "Local builder supporting age-friendly home renovation projects.",
        None,
    ),
    "beishan_foods": (
        "北山食品股份有限公司",
        "Beishan Foods Co., Ltd.",
        "北山街道",
        2018,
        "食品企业，为社区长者食堂提供配捐。",
        "Food company matching donations to community canteens for older people.",
        None,
    ),
}

# slug → (name_zh, name_en, year, desc_zh, desc_en, admin)
FOUNDATIONS: dict[str, tuple[str, str, int, str, str, str | None]] = {
    "community_dev": (
        "明湖区社区发展基金会",
        "Minghu Community Development Foundation",
        2017,
        "资助社区服务和社会组织能力建设。",
        "Funds community services and capacity building for social organizations.",
        "foundation",
    ),
    "huguang_edu": (
        "湖光教育基金会",
        "Huguang Education Foundation",
        2019,
        "资助青少年教育和科创项目。",
        "Funds youth education and science projects.",
        None,
    ),
}

# slug → (name_zh, name_en, category, area, year, days before now submitted, desc_zh, desc_en)
PENDING: dict[str, tuple[str, str, str, str, int, int, str, str]] = {
    "rehab": (
        "明湖区新桥助残康复服务中心",
        "Xinqiao Disability Rehabilitation Service Centre",
        "community_services",
        "新桥街道",
        2025,
        10,
        "为残障人士提供社区康复训练和就业辅导。",
        "Community rehabilitation and job coaching for people with disabilities.",
    ),
    "green_home": (
        "明湖区绿色家园环保服务社",
        "Green Home Environmental Service",
        "science_technology",
        "湖滨街道",
        2026,
        1,
        "推广垃圾分类和社区环保科普。",
        "Promotes waste sorting and environmental science in the community.",
    ),
}
