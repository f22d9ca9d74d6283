//! The words of the domain, defined once: each vocabulary's codes with their Chinese labels
//! (and colours where the map or the charts draw them). The catalogue's fields take their codes
//! from here, `/api/words` serves them to every screen (desk, wall, phone, charts), and the
//! printed report reads them here: no screen keeps its own dictionary.

use serde::Serialize;

/// Makes enum `$t` spoken as its code: written as the code's string (`Serialize`) and read from a
/// column holding it (`TryFrom<String>`, for `#[sqlx(try_from = "String")]`), by its own
/// `$code(self) -> &str` and `$parse(&str) -> Result<Self, Error>`.
#[macro_export]
macro_rules! spoken_as_code {
    ($t:ty, $code:ident, $parse:ident) => {
        impl TryFrom<String> for $t {
            type Error = $crate::error::Error;

            fn try_from(code: String) -> Result<Self, $crate::error::Error> {
                Self::$parse(&code)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$code())
            }
        }
    };
}

/// One code of a vocabulary and how people say it.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Word {
    /// The code, as stored and as the API speaks it.
    pub code: &'static str,
    /// The Chinese label the screens and printed pages show.
    pub label: &'static str,
    /// The colour the map, the wall and the charts draw it in, if they do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colour: Option<&'static str>,
}

const fn w(code: &'static str, label: &'static str) -> Word {
    Word { code, label, colour: None }
}

const fn coloured(code: &'static str, label: &'static str, colour: &'static str) -> Word {
    Word { code, label, colour: Some(colour) }
}

/// The codes of `words`, in order: a field's admissible values.
pub const fn codes<const N: usize>(words: &[Word; N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = words[i].code;
        i += 1;
    }
    out
}

/// A named set of codes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Vocabulary {
    /// Name, as `/api/words` keys it.
    pub name: &'static str,
    /// What the codes name, in Chinese.
    pub title: &'static str,
    /// The codes, in the order the screens list them.
    pub words: &'static [Word],
}

/// The label of `code` among `words`, if it is one of them.
pub fn label(words: &[Word], code: &str) -> Option<&'static str> {
    words.iter().find(|w| w.code == code).map(|w| w.label)
}

/// Kinds of environmental sensitive receptors (环境敏感目标).
pub const RECEPTOR_KIND: [Word; 8] = [
    coloured("water_intake", "饮用水取水口", "#0571b0"),
    coloured("water_source_zone", "水源保护区", "#74a9cf"),
    coloured("school", "学校", "#7b3294"),
    coloured("hospital", "医院", "#e7298a"),
    coloured("residential", "居住区", "#bf812d"),
    coloured("nature_reserve", "自然保护区", "#1b7837"),
    coloured("river_section", "出入境断面", "#01665e"),
    coloured("other", "其他", "#636363"),
];
/// Air and water risk grades of HJ 941-2018 (incident severities share the words).
pub const GRADE: [Word; 3] =
    [coloured("一般", "一般", "#fed976"), coloured("较大", "较大", "#fd8d3c"), coloured("重大", "重大", "#d7191c")];
/// Incident severities (突发环境事件分级).
pub const SEVERITY: [Word; 4] = [
    coloured("一般", "一般", "#fcae91"),
    coloured("较大", "较大", "#fb6a4a"),
    coloured("重大", "重大", "#cb181d"),
    coloured("特别重大", "特别重大", "#67000d"),
];
/// Road classes, from OpenStreetMap's highway tags.
pub const ROAD_CLASS: [Word; 8] = [
    w("motorway", "高速公路"),
    w("trunk", "干线公路"),
    w("primary", "主干路"),
    w("secondary", "次干路"),
    w("tertiary", "支路"),
    w("unclassified", "乡村道路"),
    w("residential", "街巷"),
    w("service", "专用道路"),
];
/// Specialties of teams and experts.
pub const SPECIALTY: [Word; 7] = [
    w("hazmat", "危化品"),
    w("water", "水环境"),
    w("air", "大气"),
    w("monitoring", "监测"),
    w("fire", "消防"),
    w("medical", "医疗"),
    w("engineering", "工程"),
];
/// Categories of emergency supplies.
pub const STOCK_CATEGORY: [Word; 6] = [
    w("protection", "防护"),
    w("monitoring", "监测"),
    w("containment", "围堵"),
    w("collection", "收集"),
    w("treatment", "处置"),
    w("other", "其他"),
];
/// Causes of an incident.
pub const INCIDENT_CAUSE: [Word; 5] = [
    w("safety_accident", "安全生产事故"),
    w("traffic_accident", "交通事故"),
    w("illegal_discharge", "违法排污"),
    w("natural_disaster", "自然灾害"),
    w("other", "其他"),
];
/// Kinds of interception works on a river.
pub const INTERCEPT_KIND: [Word; 5] = [
    coloured("sluice", "闸", "#08519c"),
    coloured("dam", "坝", "#3182bd"),
    coloured("bridge", "桥", "#636363"),
    coloured("culvert", "涵", "#9ecae1"),
    coloured("boom_point", "布控点", "#e6550d"),
];
/// What can be done at an interception site (一河一策一图).
pub const INTERCEPT_ACTION: [Word; 4] =
    [w("cut_off", "截流"), w("divert", "引流"), w("dose", "投药"), w("dilute", "稀释")];
/// The kinds of OpenStreetMap turn restrictions.
pub const TURN_KIND: [Word; 10] = [
    w("no_left_turn", "禁止左转"),
    w("no_right_turn", "禁止右转"),
    w("no_straight_on", "禁止直行"),
    w("no_u_turn", "禁止掉头"),
    w("no_entry", "禁止驶入"),
    w("no_exit", "禁止驶出"),
    w("only_left_turn", "只准左转"),
    w("only_right_turn", "只准右转"),
    w("only_straight_on", "只准直行"),
    w("only_u_turn", "只准掉头"),
];
/// Where a turn restriction's roads meet: at the first road's start or end.
pub const TURN_VIA: [Word; 2] = [w("start", "起点"), w("end", "终点")];
/// Kinds of route.
pub const ROUTE_KIND: [Word; 2] = [w("road", "道路"), w("river", "河流")];
/// Tiers of depots.
pub const DEPOT_TIER: [Word; 3] = [
    coloured("city", "市级", "#006d2c"),
    coloured("district", "区县级", "#31a354"),
    coloured("enterprise", "企业", "#74c476"),
];
/// A team's readiness.
pub const TEAM_STATUS: [Word; 3] = [
    coloured("available", "待命", "#2b8cbe"),
    coloured("dispatched", "已出动", "#810f7c"),
    coloured("off_duty", "休整", "#969696"),
];
/// Classes of a risk index (regional, grid and road risk maps), highest first.
pub const RISK_CLASS: [Word; 4] = [
    coloured("高", "高", "#bd0026"),
    coloured("较高", "较高", "#f03b20"),
    coloured("一般", "一般", "#feb24c"),
    coloured("低", "低", "#ffffb2"),
];
/// A risk source's operating state.
pub const RISK_SOURCE_STATUS: [Word; 3] = [w("active", "在产"), w("suspended", "停产"), w("closed", "关闭")];
/// What a risk source endangers.
pub const MEDIUM: [Word; 3] = [w("air", "大气"), w("water", "水"), w("both", "大气和水")];
/// Kinds of incident by what is polluted.
pub const INCIDENT_KIND: [Word; 3] = [w("water", "水污染"), w("air", "大气污染"), w("soil", "土壤污染")];
/// An incident's state.
pub const INCIDENT_STATUS: [Word; 2] = [w("open", "处置中"), w("closed", "已结束")];
/// How a call or tip came in (接警渠道).
pub const INTAKE_CHANNEL: [Word; 8] = [
    w("hotline_12369", "12369环保热线"),
    w("hotline_12345", "12345政务热线"),
    w("enterprise", "企业报告"),
    w("park_alarm", "园区报警"),
    w("monitoring_alarm", "监测报警"),
    w("emergency_services", "公安、消防、交通通报"),
    w("media", "媒体、网络"),
    w("other", "其他"),
];
/// Where a call or tip stands after screening.
pub const INTAKE_STATUS: [Word; 3] = [w("open", "待研判"), w("dismissed", "已排除"), w("incident", "已立事件")];
/// Levels of a response, lowest first (Ⅳ级 to Ⅰ级).
pub const RESPONSE_LEVEL: [Word; 4] = [
    coloured("IV", "Ⅳ级", "#4393c3"),
    coloured("III", "Ⅲ级", "#fee08b"),
    coloured("II", "Ⅱ级", "#f46d43"),
    coloured("I", "Ⅰ级", "#a50026"),
];
/// The modules of a response (the desk's checklist).
pub const ORDER_MODULE: [Word; 8] = [
    w("monitoring", "监测"),
    w("containment", "截控"),
    w("warning", "预警"),
    w("reporting", "报告"),
    w("evacuation", "疏散"),
    w("public_info", "舆情"),
    w("support", "保障"),
    w("other", "其他"),
];
/// To whom an order is given.
pub const ORDER_TO: [Word; 6] = [
    w("team", "救援队伍"),
    w("district", "区县值班室"),
    w("enterprise", "企业"),
    w("group", "指挥部工作组"),
    w("user", "用户"),
    w("city", "相邻市（州）值班室"),
];
/// Where an order stands.
pub const ORDER_STATUS: [Word; 5] = [
    w("draft", "待发送"),
    w("issued", "已下达"),
    w("acknowledged", "已签收"),
    w("done", "已完成"),
    w("refused", "已拒绝"),
];
/// An order, or a cross-boundary notice.
pub const ORDER_KIND: [Word; 2] = [w("order", "指令"), w("notice", "跨界通报")];
/// A post on a duty shift.
pub const DUTY_POST: [Word; 2] = [w("leader", "带班领导"), w("officer", "值班员")];
/// Hazards found by an inspection.
pub const HAZARD_SEVERITY: [Word; 2] = [w("一般隐患", "一般隐患"), w("重大隐患", "重大隐患")];
/// Who found a hazard: the bureau's inspection, or the enterprise's own self-check.
pub const INSPECTION_KIND: [Word; 2] = [w("bureau", "部门排查"), w("self", "企业自查")];
/// How a depot holds its stock.
pub const STORAGE_MODE: [Word; 3] = [w("自储", "自储"), w("代储", "代储"), w("协议储备", "协议储备")];
/// Where a support request (应急支援) stands.
pub const SUPPORT_STATUS: [Word; 4] =
    [w("filed", "已申请"), w("approved", "已批准"), w("partly_approved", "部分批准"), w("declined", "未批准")];
/// The waters GB 3838-2002 classes apart (total phosphorus, total nitrogen).
pub const WATERBODY: [Word; 2] = [w("river", "河流"), w("lake", "湖库")];
/// The classes of GB 3838-2002 (`standards::water::CLASSES`), in the colours of 《地表水环境质量
/// 评价办法（试行）》 (环办〔2011〕22号): Ⅰ–Ⅱ blue, Ⅲ green, Ⅳ yellow, Ⅴ orange, 劣Ⅴ red.
pub const WATER_CLASS: [Word; 6] = [
    coloured("Ⅰ", "Ⅰ类", "#1e90ff"),
    coloured("Ⅱ", "Ⅱ类", "#1e90ff"),
    coloured("Ⅲ", "Ⅲ类", "#2ca25f"),
    coloured("Ⅳ", "Ⅳ类", "#ffd700"),
    coloured("Ⅴ", "Ⅴ类", "#ff8c00"),
    coloured("劣Ⅴ", "劣Ⅴ类", "#e31a1c"),
];
/// The categories of HJ 633-2012 Table 2 (`standards::aqi::CATEGORIES`) in its colours.
pub const AQI_CATEGORY: [Word; 6] = [
    coloured("优", "优", "#00e400"),
    coloured("良", "良", "#ffff00"),
    coloured("轻度污染", "轻度污染", "#ff7e00"),
    coloured("中度污染", "中度污染", "#ff0000"),
    coloured("重度污染", "重度污染", "#99004c"),
    coloured("严重污染", "严重污染", "#7e0023"),
];
/// What a monitoring station measures, and so how it is classed (GB 3838 or HJ 633).
pub const STATION_MEDIUM: [Word; 2] = [w("water", "水质"), w("air", "空气")];
/// Where a drill (演练) stands.
pub const DRILL_STATUS: [Word; 4] =
    [w("scheduled", "待演练"), w("running", "演练中"), w("done", "已完成"), w("cancelled", "已取消")];
/// The states of a dispatch, in the order they happen.
pub const DISPATCH_STATUS: [Word; 6] = [
    w("planned", "已调派"),
    w("en_route", "在途"),
    w("arrived", "已到达"),
    w("consumed", "已使用"),
    w("returned", "已返回"),
    w("cancelled", "已取消"),
];
/// Warning levels, lowest first, in the colours their names say.
pub const WARNING_LEVEL: [Word; 4] = [
    coloured("蓝", "蓝色", "#2c7bb6"),
    coloured("黄", "黄色", "#ffd700"),
    coloured("橙", "橙色", "#fd8d3c"),
    coloured("红", "红色", "#d7191c"),
];
/// What happened to a warning.
pub const WARNING_CHANGE: [Word; 3] = [w("issued", "发布"), w("updated", "更新"), w("cancelled", "解除")];
/// The three reports of an incident.
pub const REPORT_STAGE: [Word; 3] = [w("initial", "初报"), w("follow_up", "续报"), w("final", "终报（处理结果报告）")];
/// The victims a report counts.
pub const CASUALTY: [Word; 4] =
    [w("deaths", "死亡"), w("injuries", "受伤"), w("missing", "失踪"), w("evacuated", "疏散")];
/// Kinds of emergency plan (五类应急预案).
pub const PLAN_KIND: [Word; 5] = [
    w("enterprise", "企业事业单位预案"),
    w("government", "政府预案"),
    w("department", "部门预案"),
    w("water_source", "饮用水水源地预案"),
    w("park", "工业园区预案"),
];
/// A plan's place in its plan set.
pub const PLAN_LEVEL: [Word; 3] =
    [w("comprehensive", "综合预案"), w("special", "专项预案"), w("on_site", "现场处置预案")];
/// Where a version of a plan is in its life, in order.
pub const PLAN_STATUS: [Word; 7] = [
    coloured("drafting", "编制中", "#969696"),
    coloured("reviewed", "已评审", "#9ecae1"),
    coloured("signed", "已签署发布", "#4292c6"),
    coloured("filed", "已报备", "#2171b5"),
    coloured("in_force", "备案生效", "#238b45"),
    coloured("superseded", "已修订替代", "#bdbdbd"),
    coloured("withdrawn", "已废止", "#636363"),
];
/// Why a plan is revised (环发〔2015〕4号 article 12).
pub const REVISION_REASON: [Word; 6] = [
    w("risk", "环境风险发生重大变化"),
    w("command", "应急管理组织指挥体系与职责发生重大变化"),
    w("measures", "环境应急监测预警及报告机制、应对流程和措施、应急保障措施发生重大变化"),
    w("resources", "重要应急资源发生重大变化"),
    w("drill", "演练和实际应对中发现问题需要作出重大调整"),
    w("other", "其他需要修订的情况"),
];
/// Kinds of filing.
pub const FILING_KIND: [Word; 3] = [w("initial", "备案"), w("change", "变更备案"), w("notice", "修订告知")];
/// What the bureau made of a filing.
pub const FILING_STATUS: [Word; 3] = [w("submitted", "待审"), w("accepted", "准予备案"), w("returned", "退回补正")];
/// The documents of a plan version.
pub const PLAN_DOCUMENT: [Word; 8] = [
    w("filing_form", "突发环境事件应急预案备案表"),
    w("plan", "环境应急预案"),
    w("explanation", "编制说明"),
    w("risk_assessment", "环境风险评估报告"),
    w("resource_survey", "环境应急资源调查报告"),
    w("review_opinions", "环境应急预案评审意见"),
    w("summary", "预案简本（公开）"),
    w("other", "其他材料"),
];
/// A plan's standing on the legal clock, worst last (the map colours risk sources by it).
pub const PLAN_STANDING: [Word; 6] = [
    coloured("in_force", "预案有效", "#238b45"),
    coloured("revise", "需修订", "#e08214"),
    coloured("due_soon", "即将到期", "#fdae61"),
    coloured("due", "待办", "#fee08b"),
    coloured("overdue", "已逾期", "#d7191c"),
    coloured("none", "无预案", "#762a83"),
];
/// Kinds of event in the live feed.
pub const EVENT_KIND: [Word; 18] = [
    w("change", "数据更新"),
    w("incident", "事件"),
    w("report", "报告"),
    w("report_due", "报告期限"),
    w("dispatch", "调度"),
    w("warning", "预警"),
    w("attachment", "现场照片"),
    w("plan", "应急预案"),
    w("plan_due", "预案期限"),
    w("plan_flag", "预案修订提示"),
    w("intake", "接警"),
    w("duty_log", "值班日志"),
    w("response", "应急响应"),
    w("order", "指令"),
    w("order_due", "指令超时"),
    w("support", "应急支援"),
    w("station", "监测站"),
    w("alarm", "监测预警"),
];
/// What a station's alarm is about.
pub const ALARM_KIND: [Word; 3] = [
    coloured("exceedance", "超标", "#e31a1c"),
    coloured("instrument", "仪器异常", "#ff8c00"),
    coloured("silent", "数据中断", "#756bb1"),
];
/// Where a station's alarm stands.
pub const ALARM_STATUS: [Word; 3] = [w("raised", "未确认"), w("acknowledged", "已确认"), w("cleared", "已解除")];
/// Where an incident's monitoring plan stands.
pub const MONITORING_PLAN_STATUS: [Word; 2] = [w("draft", "草案"), w("issued", "已下达")];
/// What a sampling point of emergency monitoring is.
pub const SAMPLING_KIND: [Word; 7] = [
    w("control", "对照点"),
    w("incident", "事发点"),
    w("section", "下游断面"),
    w("intake", "取水口"),
    w("edge", "影响区边界"),
    w("receptor", "敏感目标"),
    w("other", "其他"),
];
/// A quality-control test of an observation (IOOS QARTOD's).
pub const QC_TEST: [Word; 5] = [
    w("gross_range", "超量程"),
    w("spike", "尖峰"),
    w("rate_of_change", "突变"),
    w("flat_line", "数据恒定"),
    w("missing", "缺失"),
];
/// A quality-control flag of an observation (IOOS QARTOD's).
pub const QC_FLAG: [Word; 4] = [w("pass", "通过"), w("suspect", "可疑"), w("fail", "错误"), w("missing", "缺失")];
/// What a user may do.
pub const ROLE: [Word; 5] = [
    w("viewer", "查看"),
    w("dispatcher", "值守调度"),
    w("planner", "规划"),
    w("admin", "管理员"),
    w("enterprise", "企业"),
];
/// The map's layers as the layer switcher and popups name them (tile layers included).
pub const MAP_LAYER: [Word; 17] = [
    w("district", "区县"),
    w("district_label", "区县名称"),
    w("route", "道路与河流"),
    w("risk_source", "环境风险源"),
    w("receptor", "环境敏感目标"),
    w("depot", "应急物资储备库"),
    w("team", "救援队伍"),
    w("incident", "突发环境事件"),
    w("intercept_site", "拦截点位"),
    w("risk_district", "区域风险（区县）"),
    w("risk_grid", "网格风险（1 公里）"),
    w("risk_road", "危化品道路风险"),
    w("inspection", "隐患排查"),
    w("warning", "预警"),
    w("stock_item", "应急物资"),
    w("expert", "应急专家"),
    w("turn_restriction", "转向限制"),
];
/// Fields (properties) as tables and popups head them.
pub const FIELD: [Word; 55] = [
    w("name", "名称"),
    w("code", "代码"),
    w("kind", "类型"),
    w("grade", "风险等级"),
    w("air_grade", "大气风险等级"),
    w("water_grade", "水风险等级"),
    w("industry", "行业"),
    w("district", "区县"),
    w("status", "状态"),
    w("population", "人口/服务人数"),
    w("protection_level", "保护级别"),
    w("road_class", "道路等级"),
    w("speed_kmh", "限速(km/h)"),
    w("oneway", "单行"),
    w("hazmat_allowed", "危化品通行"),
    w("flow_speed_ms", "流速(m/s)"),
    w("tier", "级别"),
    w("operator", "管理单位"),
    w("contact", "联系方式"),
    w("specialties", "专业"),
    w("headcount", "人数"),
    w("equipment", "装备"),
    w("credit_code", "统一社会信用代码"),
    w("parent_code", "上级代码"),
    w("m_air", "大气M"),
    w("e_air", "大气E"),
    w("m_water", "水M"),
    w("e_water", "水E"),
    w("substances", "风险物质"),
    w("distance_m", "距离(米)"),
    w("layer", "图层"),
    w("created_at", "创建时间"),
    w("updated_at", "更新时间"),
    w("level", "HJ 941 风险等级表征"),
    w("q_air", "大气 Q"),
    w("q_water", "水 Q"),
    w("severity", "级别"),
    w("pollutant", "污染物"),
    w("cause", "起因"),
    w("cause_detail", "起因说明"),
    w("discovered_at", "发现时间"),
    w("closed_at", "结束时间"),
    w("occurred_at", "发生时间"),
    w("initial_report_due_at", "初报期限"),
    w("initial_reported_at", "初报时间"),
    w("index", "风险指数"),
    w("class", "风险分级"),
    w("volume_m3", "应急空间(m³)"),
    w("actions", "可采取措施"),
    w("plan_standing", "预案状态"),
    w("rectified_on", "整改完成日期"),
    w("sensitive", "敏感事件"),
    w("drill", "演练"),
    w("phone_report_due_at", "电话报告期限"),
    w("phone_reported_at", "电话报告时间"),
];
/// Yes and no.
pub const YES_NO: [Word; 2] = [w("true", "是"), w("false", "否")];

/// Every vocabulary, by name.
pub static VOCABULARIES: &[Vocabulary] = &[
    Vocabulary { name: "receptor_kind", title: "敏感目标类型", words: &RECEPTOR_KIND },
    Vocabulary { name: "grade", title: "风险等级", words: &GRADE },
    Vocabulary { name: "severity", title: "事件级别", words: &SEVERITY },
    Vocabulary { name: "road_class", title: "道路等级", words: &ROAD_CLASS },
    Vocabulary { name: "specialty", title: "专业", words: &SPECIALTY },
    Vocabulary { name: "stock_category", title: "物资类别", words: &STOCK_CATEGORY },
    Vocabulary { name: "incident_cause", title: "事件起因", words: &INCIDENT_CAUSE },
    Vocabulary { name: "intercept_kind", title: "拦截点位类型", words: &INTERCEPT_KIND },
    Vocabulary { name: "intercept_action", title: "拦截措施", words: &INTERCEPT_ACTION },
    Vocabulary { name: "turn_kind", title: "转向限制", words: &TURN_KIND },
    Vocabulary { name: "turn_via", title: "转向位置", words: &TURN_VIA },
    Vocabulary { name: "route_kind", title: "路线类型", words: &ROUTE_KIND },
    Vocabulary { name: "depot_tier", title: "储备库级别", words: &DEPOT_TIER },
    Vocabulary { name: "team_status", title: "队伍状态", words: &TEAM_STATUS },
    Vocabulary { name: "risk_class", title: "风险分级", words: &RISK_CLASS },
    Vocabulary { name: "risk_source_status", title: "生产状态", words: &RISK_SOURCE_STATUS },
    Vocabulary { name: "medium", title: "环境要素", words: &MEDIUM },
    Vocabulary { name: "incident_kind", title: "事件类型", words: &INCIDENT_KIND },
    Vocabulary { name: "incident_status", title: "事件状态", words: &INCIDENT_STATUS },
    Vocabulary { name: "intake_channel", title: "接警渠道", words: &INTAKE_CHANNEL },
    Vocabulary { name: "intake_status", title: "接警状态", words: &INTAKE_STATUS },
    Vocabulary { name: "duty_post", title: "值班岗位", words: &DUTY_POST },
    Vocabulary { name: "response_level", title: "响应级别", words: &RESPONSE_LEVEL },
    Vocabulary { name: "order_module", title: "处置模块", words: &ORDER_MODULE },
    Vocabulary { name: "order_to", title: "指令对象", words: &ORDER_TO },
    Vocabulary { name: "order_status", title: "指令状态", words: &ORDER_STATUS },
    Vocabulary { name: "order_kind", title: "指令类别", words: &ORDER_KIND },
    Vocabulary { name: "support_status", title: "支援申请状态", words: &SUPPORT_STATUS },
    Vocabulary { name: "drill_status", title: "演练状态", words: &DRILL_STATUS },
    Vocabulary { name: "waterbody", title: "水体", words: &WATERBODY },
    Vocabulary { name: "station_medium", title: "监测站类型", words: &STATION_MEDIUM },
    Vocabulary { name: "water_class", title: "水质类别", words: &WATER_CLASS },
    Vocabulary { name: "aqi_category", title: "空气质量指数类别", words: &AQI_CATEGORY },
    Vocabulary { name: "alarm_kind", title: "监测预警类型", words: &ALARM_KIND },
    Vocabulary { name: "alarm_status", title: "监测预警状态", words: &ALARM_STATUS },
    Vocabulary { name: "qc_flag", title: "质控标记", words: &QC_FLAG },
    Vocabulary { name: "qc_test", title: "质控检验", words: &QC_TEST },
    Vocabulary { name: "monitoring_plan_status", title: "监测方案状态", words: &MONITORING_PLAN_STATUS },
    Vocabulary { name: "sampling_kind", title: "采样点类型", words: &SAMPLING_KIND },
    Vocabulary { name: "hazard_severity", title: "隐患级别", words: &HAZARD_SEVERITY },
    Vocabulary { name: "inspection_kind", title: "排查方式", words: &INSPECTION_KIND },
    Vocabulary { name: "storage_mode", title: "储备方式", words: &STORAGE_MODE },
    Vocabulary { name: "dispatch_status", title: "调度状态", words: &DISPATCH_STATUS },
    Vocabulary { name: "warning_level", title: "预警级别", words: &WARNING_LEVEL },
    Vocabulary { name: "warning_change", title: "预警操作", words: &WARNING_CHANGE },
    Vocabulary { name: "report_stage", title: "报告阶段", words: &REPORT_STAGE },
    Vocabulary { name: "casualty", title: "人员受害", words: &CASUALTY },
    Vocabulary { name: "plan_kind", title: "预案类型", words: &PLAN_KIND },
    Vocabulary { name: "plan_level", title: "预案层级", words: &PLAN_LEVEL },
    Vocabulary { name: "plan_status", title: "预案状态", words: &PLAN_STATUS },
    Vocabulary { name: "revision_reason", title: "修订原因", words: &REVISION_REASON },
    Vocabulary { name: "filing_kind", title: "备案类型", words: &FILING_KIND },
    Vocabulary { name: "filing_status", title: "备案状态", words: &FILING_STATUS },
    Vocabulary { name: "plan_document", title: "预案材料", words: &PLAN_DOCUMENT },
    Vocabulary { name: "plan_standing", title: "预案期限状态", words: &PLAN_STANDING },
    Vocabulary { name: "event_kind", title: "动态类型", words: &EVENT_KIND },
    Vocabulary { name: "role", title: "角色", words: &ROLE },
    Vocabulary { name: "map_layer", title: "图层", words: &MAP_LAYER },
    Vocabulary { name: "field", title: "字段", words: &FIELD },
    Vocabulary { name: "yes_no", title: "是否", words: &YES_NO },
];

/// The vocabulary called `name`.
pub fn vocabulary(name: &str) -> Option<&'static Vocabulary> {
    VOCABULARIES.iter().find(|v| v.name == name)
}

/// The vocabulary whose codes are exactly `values` (a field's admissible values), if one is.
pub fn of_values(values: &[&str]) -> Option<&'static Vocabulary> {
    VOCABULARIES.iter().find(|v| v.words.len() == values.len() && v.words.iter().zip(values).all(|(w, c)| w.code == *c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::spec::{FieldType, LAYERS};

    #[test]
    fn names_and_codes_are_unique() {
        let mut names: Vec<&str> = VOCABULARIES.iter().map(|v| v.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), VOCABULARIES.len());
        for v in VOCABULARIES {
            let mut codes: Vec<&str> = v.words.iter().map(|w| w.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), v.words.len(), "{}", v.name);
            assert!(v.words.iter().all(|w| !w.label.is_empty()), "{}", v.name);
        }
    }

    #[test]
    fn every_coded_field_has_its_words() {
        // HJ 941's M and E bands are their own names.
        let self_named = ["m_air", "e_air", "m_water", "e_water"];
        for layer in LAYERS {
            for field in layer.fields.iter().chain(layer.computed) {
                if let FieldType::Enum(values) | FieldType::EnumList(values) = field.ty
                    && !self_named.contains(&field.name)
                {
                    assert!(of_values(values).is_some(), "{}.{} has codes without words", layer.name, field.name);
                }
            }
        }
    }

    #[test]
    fn every_layer_has_a_name_on_the_map() {
        for layer in LAYERS {
            assert!(label(&MAP_LAYER, layer.name).is_some(), "{}", layer.name);
        }
    }

    #[test]
    fn the_roles_are_those_of_identity() {
        let roles: Vec<&str> = crate::auth::permission::ROLES.iter().map(|r| r.as_str()).collect();
        assert_eq!(roles, codes(&ROLE));
    }
}
