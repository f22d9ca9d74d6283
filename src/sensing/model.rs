//! The entity sets of SensorThings API 1.1 Part 1 as onemap stores them: each set's table, its
//! properties (name in the API, column, kind) and its navigation properties (how the rows of
//! two sets are linked). Everything that reads or writes the sets takes names from here only.

/// An entity set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Set {
    /// A station or a sampling point.
    Things,
    /// Where a Thing is.
    Locations,
    /// Where a Thing was, and since when.
    HistoricalLocations,
    /// A series of observations of one property by one sensor of one Thing.
    Datastreams,
    /// An instrument or a method.
    Sensors,
    /// What is observed (a pollutant, the water temperature).
    ObservedProperties,
    /// One measurement.
    Observations,
    /// What an observation is about (the water at a section, the air at a point).
    FeaturesOfInterest,
}

/// Every set, in the order the service root lists them.
pub const SETS: [Set; 8] = [
    Set::Things,
    Set::Locations,
    Set::HistoricalLocations,
    Set::Datastreams,
    Set::Sensors,
    Set::ObservedProperties,
    Set::Observations,
    Set::FeaturesOfInterest,
];

/// How a property is stored and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text.
    Text,
    /// A JSON value (`properties`, `unitOfMeasurement`, `parameters`).
    Json,
    /// A geometry, shown as GeoJSON.
    Geometry,
    /// An instant.
    Time,
    /// An instant or an interval: the column holds its start, `end` its end when it is one.
    TimeOrInterval {
        /// The column of the end.
        end: &'static str,
    },
    /// An interval, both ends in columns (`valid_time_start`, `valid_time_end`).
    Interval {
        /// The column of the end.
        end: &'static str,
    },
    /// A measurement's result: a number in the column, anything else in `other`.
    Result {
        /// The column of results that are not numbers.
        other: &'static str,
    },
    /// A property of the standard onemap does not keep (a Datastream's observedArea and
    /// resultTime): shown as null, accepted and ignored in writes.
    Unkept,
    /// An interval kept in `sta_latest` for a datastream (read only).
    Span {
        /// The column of `sta_latest` holding the start.
        first: &'static str,
        /// The column holding the end.
        last: &'static str,
    },
}

/// A property of an entity.
#[derive(Debug)]
pub struct Prop {
    /// Its name in the API.
    pub name: &'static str,
    /// Its column (or, for a span, unused).
    pub column: &'static str,
    /// How it is stored.
    pub kind: Kind,
    /// Whether a create must give it.
    pub required: bool,
    /// Whether a client may write it.
    pub writable: bool,
}

const fn prop(name: &'static str, column: &'static str, kind: Kind, required: bool) -> Prop {
    Prop { name, column, kind, required, writable: true }
}

/// How the rows of two sets are linked.
#[derive(Debug, Clone, Copy)]
pub enum Link {
    /// This row holds the other's id in `column` (a Datastream's Thing).
    ToOne(&'static str),
    /// The other rows hold this row's id in `column` (a Thing's Datastreams).
    ToMany(&'static str),
    /// A join table: (table, column of this row's id, column of the other's).
    Through(&'static str, &'static str, &'static str),
}

/// A navigation property.
#[derive(Debug)]
pub struct Nav {
    /// Its name in the API (`Datastreams`, `Thing`).
    pub name: &'static str,
    /// The set it leads to.
    pub target: Set,
    /// How.
    pub link: Link,
}

const fn nav(name: &'static str, target: Set, link: Link) -> Nav {
    Nav { name, target, link }
}

const fn unkept(name: &'static str) -> Prop {
    Prop { name, column: "", kind: Kind::Unkept, required: false, writable: false }
}

const NAME: Prop = prop("name", "name", Kind::Text, true);
const DESCRIPTION: Prop = prop("description", "description", Kind::Text, false);
const PROPERTIES: Prop = prop("properties", "properties", Kind::Json, false);
const ENCODING: Prop = prop("encodingType", "encoding_type", Kind::Text, false);

impl Set {
    /// The name in URLs (`Things`).
    pub fn name(self) -> &'static str {
        match self {
            Set::Things => "Things",
            Set::Locations => "Locations",
            Set::HistoricalLocations => "HistoricalLocations",
            Set::Datastreams => "Datastreams",
            Set::Sensors => "Sensors",
            Set::ObservedProperties => "ObservedProperties",
            Set::Observations => "Observations",
            Set::FeaturesOfInterest => "FeaturesOfInterest",
        }
    }

    /// The set named `name`.
    pub fn named(name: &str) -> Option<Set> {
        SETS.into_iter().find(|s| s.name() == name)
    }

    /// Its table.
    pub fn table(self) -> &'static str {
        match self {
            Set::Things => "sta_thing",
            Set::Locations => "sta_location",
            Set::HistoricalLocations => "sta_historical_location",
            Set::Datastreams => "sta_datastream",
            Set::Sensors => "sta_sensor",
            Set::ObservedProperties => "sta_observed_property",
            Set::Observations => "sta_observation",
            Set::FeaturesOfInterest => "sta_feature_of_interest",
        }
    }

    /// Its properties.
    pub fn props(self) -> &'static [Prop] {
        const THING: &[Prop] = &[NAME, DESCRIPTION, PROPERTIES];
        const LOCATION: &[Prop] =
            &[NAME, DESCRIPTION, ENCODING, prop("location", "geom", Kind::Geometry, true), PROPERTIES];
        const HISTORICAL: &[Prop] = &[prop("time", "time", Kind::Time, true)];
        const DATASTREAM: &[Prop] = &[
            NAME,
            DESCRIPTION,
            prop("unitOfMeasurement", "unit_of_measurement", Kind::Json, true),
            prop("observationType", "observation_type", Kind::Text, true),
            Prop {
                name: "phenomenonTime",
                column: "",
                kind: Kind::Span { first: "first_time", last: "last_time" },
                required: false,
                writable: false,
            },
            unkept("observedArea"),
            unkept("resultTime"),
            PROPERTIES,
        ];
        const SENSOR: &[Prop] = &[
            NAME,
            DESCRIPTION,
            prop("encodingType", "encoding_type", Kind::Text, true),
            prop("metadata", "metadata", Kind::Text, true),
            PROPERTIES,
        ];
        const OBSERVED: &[Prop] = &[NAME, prop("definition", "definition", Kind::Text, true), DESCRIPTION, PROPERTIES];
        const OBSERVATION: &[Prop] = &[
            prop("phenomenonTime", "phenomenon_time", Kind::TimeOrInterval { end: "phenomenon_time_end" }, false),
            prop("resultTime", "result_time", Kind::Time, false),
            prop("result", "result", Kind::Result { other: "result_other" }, true),
            prop("resultQuality", "result_quality", Kind::Json, false),
            prop("validTime", "valid_time_start", Kind::Interval { end: "valid_time_end" }, false),
            prop("parameters", "parameters", Kind::Json, false),
        ];
        const FEATURE: &[Prop] =
            &[NAME, DESCRIPTION, ENCODING, prop("feature", "geom", Kind::Geometry, true), PROPERTIES];
        match self {
            Set::Things => THING,
            Set::Locations => LOCATION,
            Set::HistoricalLocations => HISTORICAL,
            Set::Datastreams => DATASTREAM,
            Set::Sensors => SENSOR,
            Set::ObservedProperties => OBSERVED,
            Set::Observations => OBSERVATION,
            Set::FeaturesOfInterest => FEATURE,
        }
    }

    /// Its navigation properties.
    pub fn navs(self) -> &'static [Nav] {
        use Link::*;
        const THING: &[Nav] = &[
            nav("Locations", Set::Locations, Through("sta_thing_location", "thing_id", "location_id")),
            nav("HistoricalLocations", Set::HistoricalLocations, ToMany("thing_id")),
            nav("Datastreams", Set::Datastreams, ToMany("thing_id")),
        ];
        const LOCATION: &[Nav] = &[
            nav("Things", Set::Things, Through("sta_thing_location", "location_id", "thing_id")),
            nav(
                "HistoricalLocations",
                Set::HistoricalLocations,
                Through("sta_location_history", "location_id", "historical_location_id"),
            ),
        ];
        const HISTORICAL: &[Nav] = &[
            nav("Thing", Set::Things, ToOne("thing_id")),
            nav("Locations", Set::Locations, Through("sta_location_history", "historical_location_id", "location_id")),
        ];
        const DATASTREAM: &[Nav] = &[
            nav("Thing", Set::Things, ToOne("thing_id")),
            nav("Sensor", Set::Sensors, ToOne("sensor_id")),
            nav("ObservedProperty", Set::ObservedProperties, ToOne("observed_property_id")),
            nav("Observations", Set::Observations, ToMany("datastream_id")),
        ];
        const SENSOR: &[Nav] = &[nav("Datastreams", Set::Datastreams, ToMany("sensor_id"))];
        const OBSERVED: &[Nav] = &[nav("Datastreams", Set::Datastreams, ToMany("observed_property_id"))];
        const OBSERVATION: &[Nav] = &[
            nav("Datastream", Set::Datastreams, ToOne("datastream_id")),
            nav("FeatureOfInterest", Set::FeaturesOfInterest, ToOne("feature_of_interest_id")),
        ];
        const FEATURE: &[Nav] = &[nav("Observations", Set::Observations, ToMany("feature_of_interest_id"))];
        match self {
            Set::Things => THING,
            Set::Locations => LOCATION,
            Set::HistoricalLocations => HISTORICAL,
            Set::Datastreams => DATASTREAM,
            Set::Sensors => SENSOR,
            Set::ObservedProperties => OBSERVED,
            Set::Observations => OBSERVATION,
            Set::FeaturesOfInterest => FEATURE,
        }
    }

    /// The property named `name`.
    pub fn prop(self, name: &str) -> Option<&'static Prop> {
        self.props().iter().find(|p| p.name == name)
    }

    /// The navigation property named `name`.
    pub fn nav(self, name: &str) -> Option<&'static Nav> {
        self.navs().iter().find(|n| n.name == name)
    }

    /// What the set's names are, for a message.
    pub fn known(self) -> String {
        let mut names = vec!["id"];
        names.extend(self.props().iter().map(|p| p.name));
        names.extend(self.navs().iter().map(|n| n.name));
        names.join(", ")
    }
}
