//! The coded values of plans, as enums the lifecycle reasons with, each spelled by the
//! vocabulary in [`crate::layers::words`] (a test holds them together).

use crate::error::Error;

/// Declares an enum spoken as codes: `ALL`, `code()`, `parse()` (a stored value) and
/// `parse_field()` (a request's, refused as bad input at `field`).
macro_rules! coded {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident = $c:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value with its code, in the vocabulary's order.
            pub const ALL: &'static [($name, &'static str)] = &[$(($name::$v, $c)),+];

            /// The code, as stored and as the API speaks it.
            pub fn code(self) -> &'static str {
                Self::ALL.iter().find(|(v, _)| *v == self).map(|(_, c)| *c).unwrap_or_default()
            }

            /// The value of a stored code.
            pub fn parse(code: &str) -> Result<Self, Error> {
                Self::ALL
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map(|(v, _)| *v)
                    .ok_or_else(|| Error::Failed(format!("{} `{code}` is not one onemap knows", $what)))
            }

            /// The value of a request's `field`, refused with the codes there are.
            pub fn parse_field(field: &str, code: &str) -> Result<Self, Error> {
                Self::ALL.iter().find(|(_, c)| *c == code).map(|(v, _)| *v).ok_or_else(|| {
                    let codes: Vec<&str> = Self::ALL.iter().map(|(_, c)| *c).collect();
                    Error::invalid(field, format!("`{code}` is not a {}; one of {}", $what, codes.join(", ")))
                })
            }
        }

        crate::spoken_as_code!($name, code, parse);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

coded!(
    /// The five kinds of plan (五类应急预案).
    Kind, "plan kind" {
        /// An enterprise's (企业事业单位), filed under 环发〔2015〕4号.
        Enterprise = "enterprise",
        /// A government's (政府).
        Government = "government",
        /// A department's (部门).
        Department = "department",
        /// A drinking-water source's (饮用水水源地).
        WaterSource = "water_source",
        /// An industrial park's (工业园区).
        Park = "park",
    }
);

coded!(
    /// A plan's place in its plan set.
    Level, "plan level" {
        /// 综合预案.
        Comprehensive = "comprehensive",
        /// 专项预案.
        Special = "special",
        /// 现场处置预案.
        OnSite = "on_site",
    }
);

impl Level {
    /// Whether a plan of this level may sit under one of `parent` (综合 over 专项 over 现场处置).
    pub fn may_sit_under(self, parent: Level) -> bool {
        let rank = |l: Level| Self::ALL.iter().position(|(v, _)| *v == l).unwrap_or(0);
        rank(self) > rank(parent)
    }
}

coded!(
    /// Where a version is in its life.
    VersionStatus, "plan version status" {
        /// Being written.
        Drafting = "drafting",
        /// Reviewed by experts and neighbours (评审).
        Reviewed = "reviewed",
        /// Signed and published by the responsible person.
        Signed = "signed",
        /// Submitted for filing, waiting on the bureau.
        Filed = "filed",
        /// Filed (or a minor change notified): the plan in force.
        InForce = "in_force",
        /// Replaced by a later version in force.
        Superseded = "superseded",
        /// Withdrawn.
        Withdrawn = "withdrawn",
    }
);

impl VersionStatus {
    /// Whether the version is still being prepared or filed (not yet in force, not ended).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Drafting | Self::Reviewed | Self::Signed | Self::Filed)
    }

    /// Whether its scenarios may still change (not once signed: they are what was signed).
    pub fn takes_scenarios(self) -> bool {
        matches!(self, Self::Drafting | Self::Reviewed)
    }

    /// Whether its documents may still change (not while the bureau checks it, not once in force).
    pub fn takes_documents(self) -> bool {
        matches!(self, Self::Drafting | Self::Reviewed | Self::Signed)
    }
}

coded!(
    /// What a filing is.
    FilingKind, "filing kind" {
        /// The first filing of a plan (备案).
        Initial = "initial",
        /// A major revision filed again (变更备案).
        Change = "change",
        /// A minor change notified (告知).
        Notice = "notice",
    }
);

coded!(
    /// What the bureau made of a filing.
    FilingStatus, "filing status" {
        /// Waiting on the bureau.
        Submitted = "submitted",
        /// Accepted, with its filing number (准予备案).
        Accepted = "accepted",
        /// Returned with everything missing (退回补正).
        Returned = "returned",
    }
);

coded!(
    /// The documents of a version.
    DocumentKind, "plan document" {
        /// 突发环境事件应急预案备案表.
        FilingForm = "filing_form",
        /// The plan itself.
        Plan = "plan",
        /// Its 编制说明.
        Explanation = "explanation",
        /// 环境风险评估报告.
        RiskAssessment = "risk_assessment",
        /// 环境应急资源调查报告.
        ResourceSurvey = "resource_survey",
        /// 评审意见.
        ReviewOpinions = "review_opinions",
        /// The public summary (简本).
        Summary = "summary",
        /// Anything else.
        Other = "other",
    }
);

impl DocumentKind {
    /// The documents a filing needs (article 9), with the summary where the plan is confidential.
    pub fn required(confidential: bool) -> Vec<DocumentKind> {
        let mut kinds = vec![
            Self::FilingForm,
            Self::Plan,
            Self::Explanation,
            Self::RiskAssessment,
            Self::ResourceSurvey,
            Self::ReviewOpinions,
        ];
        if confidential {
            kinds.push(Self::Summary);
        }
        kinds
    }

    /// Its name in Chinese, as a returned filing lists it.
    pub fn label(self) -> &'static str {
        crate::layers::words::label(&crate::layers::words::PLAN_DOCUMENT, self.code()).unwrap_or("材料")
    }
}

/// The reasons a version revises its plan (环发〔2015〕4号 article 12).
pub const REVISION_REASONS: [&str; 6] = crate::layers::words::codes(&crate::layers::words::REVISION_REASON);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::words::{self, Word};

    fn same(all: &[(impl Copy, &'static str)], words: &[Word]) -> bool {
        all.iter().map(|(_, c)| *c).eq(words.iter().map(|w| w.code))
    }

    #[test]
    fn the_codes_are_the_vocabularies() {
        assert!(same(Kind::ALL, &words::PLAN_KIND));
        assert!(same(Level::ALL, &words::PLAN_LEVEL));
        assert!(same(VersionStatus::ALL, &words::PLAN_STATUS));
        assert!(same(FilingKind::ALL, &words::FILING_KIND));
        assert!(same(FilingStatus::ALL, &words::FILING_STATUS));
        assert!(same(DocumentKind::ALL, &words::PLAN_DOCUMENT));
    }

    #[test]
    fn plan_sets_nest_downwards() {
        assert!(Level::Special.may_sit_under(Level::Comprehensive));
        assert!(Level::OnSite.may_sit_under(Level::Special));
        assert!(!Level::Comprehensive.may_sit_under(Level::Special));
        assert!(!Level::Special.may_sit_under(Level::Special));
    }

    #[test]
    fn requests_are_refused_with_the_codes() {
        assert_eq!(Kind::parse_field("kind", "park").unwrap(), Kind::Park);
        let err = Kind::parse_field("kind", "factory").unwrap_err().to_string();
        assert!(err.contains("enterprise, government"), "{err}");
    }
}
