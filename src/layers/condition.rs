//! A WHERE clause under construction: SQL text from the catalogue, values only as bound
//! parameters (all bound as text and cast in the SQL, so one list holds every kind).

/// Conditions joined by AND, with their parameters.
#[derive(Debug, Clone, Default)]
pub struct Condition {
    clauses: Vec<String>,
    params: Vec<String>,
}

impl Condition {
    /// Binds `value` and returns its placeholder (`$3`).
    pub fn bind(&mut self, value: impl ToString) -> String {
        self.params.push(value.to_string());
        format!("${}", self.params.len())
    }

    /// Adds one boolean SQL expression.
    pub fn and(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// `WHERE …`, or nothing when there is no condition.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) }
    }

    /// The parameters, in placeholder order.
    pub fn params(&self) -> &[String] {
        &self.params
    }
}
