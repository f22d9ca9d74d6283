//! A dispatch's life: planned → en_route → arrived → consumed or returned (or cancelled before
//! arrival), and what each step does to the stock and the team:
//!
//! - arrived: the goods have left the depot — quantity and reservation both go down;
//! - consumed: used up at the scene; the stock was already taken out on arrival;
//! - returned: what was carried is put back in the depot's stock; a team is available again;
//! - cancelled: the reservation is released; a team is available again.

use sqlx::PgPool;

use crate::auth::begin_as;
use crate::auth::{Actor, jurisdiction};
use crate::error::Error;

/// Every status code, in order of the life of a dispatch.
pub const STATUSES: &[&str] = &crate::layers::words::codes(&crate::layers::words::DISPATCH_STATUS);

/// Where a dispatch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Planned: stock reserved, team assigned.
    Planned,
    /// On its way.
    EnRoute,
    /// At the scene.
    Arrived,
    /// Used up at the scene.
    Consumed,
    /// Back at the depot.
    Returned,
    /// Called off before arrival.
    Cancelled,
}

impl Status {
    /// In the order of [`STATUSES`], whose codes they are.
    const ALL: [Status; 6] =
        [Self::Planned, Self::EnRoute, Self::Arrived, Self::Consumed, Self::Returned, Self::Cancelled];

    /// The code stored in `dispatch.status` and spoken by the API.
    pub fn code(self) -> &'static str {
        STATUSES[Self::ALL.iter().position(|s| *s == self).unwrap_or_default()]
    }

    /// The status of `code`, or a refusal naming `status` with the codes there are.
    pub fn parse(code: &str) -> Result<Self, Error> {
        match STATUSES.iter().position(|c| *c == code) {
            Some(i) => Ok(Self::ALL[i]),
            None => Err(Error::invalid("status", format!("`{code}` is not one of: {}", STATUSES.join(", ")))),
        }
    }

    /// Whether a dispatch may go from this status to `to`; `team` when it sends a team (teams
    /// are not consumed).
    fn may_become(self, to: Status, team: bool) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Planned, EnRoute | Arrived | Cancelled) | (EnRoute, Arrived | Cancelled) | (Arrived, Returned)
        ) || (self == Arrived && to == Consumed && !team)
    }
}

crate::spoken_as_code!(Status, code, parse);

/// Moves dispatch `id` to `to`, with its effect on stock and team, in one transaction.
/// Returns the team whose status changed, if any.
pub async fn change(pool: &PgPool, actor: &Actor, id: i64, to: &str) -> Result<Option<i64>, Error> {
    let to = Status::parse(to)?;
    let mut tx = begin_as(pool, actor).await?;
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT status, team_id FROM dispatch WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((from, team)) = row else {
        return Err(Error::NotFound { layer: "dispatch", id });
    };
    jurisdiction::check(&mut tx, actor, "dispatch", &[id]).await?;
    if !Status::parse(&from)?.may_become(to, team.is_some()) {
        return Err(super::refused::Refused::StatusChange { id, from, to: to.code() }.into());
    }
    // Stock rows are locked in id order, as the commit does.
    let stock = match to {
        Status::Arrived => {
            Some("quantity = GREATEST(0, s.quantity - i.quantity), reserved = GREATEST(0, s.reserved - i.quantity)")
        }
        Status::Returned => Some("quantity = s.quantity + i.quantity"),
        Status::Cancelled => Some("reserved = GREATEST(0, s.reserved - i.quantity)"),
        _ => None,
    };
    if let Some(set) = stock {
        sqlx::query(
            "SELECT s.id FROM stock_item s JOIN dispatch_item i ON i.stock_item_id = s.id \
             WHERE i.dispatch_id = $1 ORDER BY s.id FOR UPDATE OF s",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE stock_item s SET {set} FROM dispatch_item i WHERE i.dispatch_id = $1 AND i.stock_item_id = s.id"
        )))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let team_freed = team.filter(|_| matches!(to, Status::Returned | Status::Cancelled));
    if let Some(t) = team_freed {
        sqlx::query("UPDATE team SET status = 'available' WHERE id = $1 AND status = 'dispatched'")
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    let stamp = match to {
        Status::EnRoute => "en_route_at",
        Status::Arrived => "arrived_at",
        _ => "finished_at",
    };
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE dispatch SET status = $2, {stamp} = now() WHERE id = $1")))
        .bind(id)
        .bind(to.code())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(team_freed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_code_and_only_the_life_of_a_dispatch_is_allowed() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.code()).unwrap(), s);
        }
        assert!(Status::parse("lost").is_err());
        // Each status goes forward only, never back to an earlier one or to itself.
        for (i, from) in Status::ALL.iter().enumerate() {
            for (j, to) in Status::ALL.iter().enumerate() {
                if from.may_become(*to, false) {
                    assert!(j > i, "{from:?} → {to:?}");
                }
            }
        }
        assert!(Status::Arrived.may_become(Status::Consumed, false));
        assert!(!Status::Arrived.may_become(Status::Consumed, true), "a team is not consumed");
        assert!(!Status::Returned.may_become(Status::Cancelled, false));
    }
}
