//! Allocation: 20 items over 200 depots (one incident, and five incidents jointly), onemap's
//! allocation beside one linear program of the same size (microlp; travel cost only, so a lower
//! bound on the work of the lexicographic objective, which needs a chain of such programs).

use std::time::Instant;

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use onemap::dispatch::allocate::{Demand, Offer, Supply, allocate};
use onemap::random::Random;

const DEPOTS: usize = 200;
const ITEMS: usize = 20;

/// Depots hold each item with probability 0.6 (5–100 units, in thousandths); travel times 5–180 min.
fn case(incidents: usize, seed: u64) -> (Vec<Supply>, Vec<Demand>) {
    let mut random = Random(seed);
    let mut supplies = Vec::new();
    let mut of_item: Vec<Vec<usize>> = vec![Vec::new(); ITEMS];
    for depot in 0..DEPOTS {
        for list in of_item.iter_mut() {
            if random.unit() < 0.6 {
                list.push(supplies.len());
                supplies.push(Supply { source: depot, amount: (5 + random.below(96) as i64) * 1000 });
            }
        }
    }
    let seconds: Vec<Vec<f64>> =
        (0..incidents).map(|_| (0..DEPOTS).map(|_| 300.0 + random.unit() * 10_500.0).collect()).collect();
    let mut demands = Vec::new();
    for (incident, times) in seconds.iter().enumerate() {
        for list in &of_item {
            let total: i64 = list.iter().map(|&s| supplies[s].amount).sum();
            demands.push(Demand {
                incident,
                priority: (incident % 3) as i32,
                quantity: total * 2 / (5 * incidents as i64),
                offers: list.iter().map(|&s| Offer { supply: s, seconds: times[supplies[s].source] }).collect(),
            });
        }
    }
    (supplies, demands)
}

fn lp(supplies: &[Supply], demands: &[Demand]) -> f64 {
    let mut problem = Problem::new(OptimizationDirection::Minimize);
    let mut by_supply: Vec<Vec<(microlp::Variable, f64)>> = vec![Vec::new(); supplies.len()];
    for d in demands {
        let row: Vec<(microlp::Variable, f64)> = d
            .offers
            .iter()
            .map(|o| {
                let v = problem.add_var(o.seconds, (0.0, f64::INFINITY));
                by_supply[o.supply].push((v, 1.0));
                (v, 1.0)
            })
            .collect();
        problem.add_constraint(row.as_slice(), ComparisonOp::Eq, d.quantity as f64);
    }
    for (s, row) in by_supply.iter().enumerate() {
        problem.add_constraint(row.as_slice(), ComparisonOp::Le, supplies[s].amount as f64);
    }
    problem.solve().expect("feasible").into_solution().expect("solved").objective()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Prints the figures.
pub fn run() {
    for incidents in [1, 5] {
        let (supplies, demands) = case(incidents, 20261123 + incidents as u64);
        let offers: usize = demands.iter().map(|d| d.offers.len()).sum();
        let mut times = Vec::new();
        let mut met = 0;
        for _ in 0..30 {
            let t = Instant::now();
            let fills = allocate(&supplies, &demands);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            met = fills.iter().filter(|f| f.met > 0).count();
        }
        times.sort_by(f64::total_cmp);
        let t = Instant::now();
        lp(&supplies, &demands);
        let reference = t.elapsed().as_secs_f64() * 1000.0;
        let p50 = percentile(&times, 0.5);
        println!(
            "allocation, {} demands ({ITEMS} items × {incidents} incident(s)) over {DEPOTS} depots, {} supplies, {offers} offers: \
             onemap p50 {p50:.2} ms, p99 {:.2} ms (target ≤ 50 ms); one LP of the same size (microlp) {reference:.0} ms; \
             ratio {:.0}x; demands met {met}/{}",
            demands.len(),
            supplies.len(),
            percentile(&times, 0.99),
            reference / p50,
            demands.len()
        );
    }
}
