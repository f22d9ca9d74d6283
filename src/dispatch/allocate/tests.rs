use super::*;
use crate::random::Random;

fn supply(source: usize, amount: i64) -> Supply {
    Supply { source, amount }
}

fn demand(incident: usize, priority: i32, quantity: i64, offers: &[(usize, f64)]) -> Demand {
    Demand {
        incident,
        priority,
        quantity,
        offers: offers.iter().map(|&(supply, seconds)| Offer { supply, seconds }).collect(),
    }
}

#[test]
fn the_nearest_stock_goes_first_and_a_shortfall_is_reported() {
    let supplies = [supply(0, 5), supply(1, 5), supply(2, 5)];
    let fills = allocate(&supplies, &[demand(0, 0, 8, &[(0, 300.0), (1, 100.0), (2, 200.0)])]);
    assert_eq!(fills[0].from, vec![(1, 5, 100.0), (2, 3, 200.0)]);
    assert_eq!(fills[0].seconds, Some(200.0));
    let fills = allocate(&supplies, &[demand(0, 0, 20, &[(0, 300.0), (1, 100.0)])]);
    assert_eq!((fills[0].met, fills[0].seconds), (10, Some(300.0)));
}

#[test]
fn a_higher_priority_incident_is_not_starved_by_an_earlier_one() {
    let supplies = [supply(0, 4), supply(1, 4)];
    let low = demand(0, 1, 4, &[(0, 60.0), (1, 600.0)]);
    let high = demand(1, 3, 4, &[(0, 60.0), (1, 900.0)]);
    let fills = allocate(&supplies, &[low, high]);
    assert_eq!(fills[1].from, vec![(0, 4, 60.0)]);
    assert_eq!(fills[0].from, vec![(1, 4, 600.0)]);
}

#[test]
fn an_earlier_demand_is_rerouted_so_that_a_later_one_can_be_met() {
    // The first demand can use either depot; the second only the first depot.
    let supplies = [supply(0, 3), supply(1, 3)];
    let fills = allocate(&supplies, &[demand(0, 0, 3, &[(0, 10.0), (1, 10.0)]), demand(0, 0, 3, &[(0, 50.0)])]);
    assert_eq!(fills[0].from, vec![(1, 3, 10.0)]);
    assert_eq!(fills[1].from, vec![(0, 3, 50.0)]);
}

#[test]
fn ties_go_to_one_depot() {
    let supplies = [supply(0, 2), supply(1, 6), supply(2, 3)];
    let fills = allocate(&supplies, &[demand(0, 0, 5, &[(0, 10.0), (1, 10.0), (2, 10.0)])]);
    assert_eq!(fills[0].from, vec![(1, 5, 10.0)]);
}

/// The objective as a key to compare, lower is better: per demand in service order (−met, time),
/// then total cost, then depots per incident.
fn key(supplies: &[Supply], demands: &[Demand], flows: &[Vec<i64>], with_depots: bool) -> Vec<i64> {
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&k| (Reverse(demands[k].priority), k));
    let mut key = Vec::new();
    let mut total = 0;
    let mut depots = std::collections::HashSet::new();
    for &k in &order {
        let mut met = 0;
        let mut time = 0;
        for (offer, &flow) in demands[k].offers.iter().zip(&flows[k]) {
            if flow > 0 {
                met += flow;
                time = time.max(cost(offer.seconds));
                total += flow * cost(offer.seconds);
                depots.insert((demands[k].incident, supplies[offer.supply].source));
            }
        }
        key.extend([-met, time]);
    }
    key.push(total);
    if with_depots {
        key.push(depots.len() as i64);
    }
    key
}

/// Every integer allocation, the best key.
fn brute_force(supplies: &[Supply], demands: &[Demand], with_depots: bool) -> Vec<i64> {
    let arcs: Vec<(usize, usize)> =
        demands.iter().enumerate().flat_map(|(k, d)| (0..d.offers.len()).map(move |o| (k, o))).collect();
    let mut flows: Vec<Vec<i64>> = demands.iter().map(|d| vec![0; d.offers.len()]).collect();
    let mut left: Vec<i64> = supplies.iter().map(|s| s.amount).collect();
    let mut need: Vec<i64> = demands.iter().map(|d| d.quantity).collect();
    let mut best: Option<Vec<i64>> = None;
    #[allow(clippy::too_many_arguments)]
    fn walk(
        i: usize,
        arcs: &[(usize, usize)],
        supplies: &[Supply],
        demands: &[Demand],
        flows: &mut Vec<Vec<i64>>,
        left: &mut Vec<i64>,
        need: &mut Vec<i64>,
        best: &mut Option<Vec<i64>>,
        with_depots: bool,
    ) {
        if i == arcs.len() {
            let k = key(supplies, demands, flows, with_depots);
            if best.as_ref().is_none_or(|b| k < *b) {
                *best = Some(k);
            }
            return;
        }
        let (d, o) = arcs[i];
        let s = demands[d].offers[o].supply;
        for x in 0..=left[s].min(need[d]) {
            flows[d][o] = x;
            left[s] -= x;
            need[d] -= x;
            walk(i + 1, arcs, supplies, demands, flows, left, need, best, with_depots);
            left[s] += x;
            need[d] += x;
        }
        flows[d][o] = 0;
    }
    walk(0, &arcs, supplies, demands, &mut flows, &mut left, &mut need, &mut best, with_depots);
    best.unwrap()
}

/// A small random case: depots with one or two items, travel time per (depot, incident) from a
/// few values so that ties are common.
fn random_case(random: &mut Random) -> (Vec<Supply>, Vec<Demand>) {
    let depots = 1 + random.below(3) as usize;
    let supplies: Vec<Supply> =
        (0..2 + random.below(3) as usize).map(|i| supply(i % depots, random.below(5) as i64)).collect();
    let incidents = 1 + random.below(2) as usize;
    let times: Vec<Vec<f64>> =
        (0..depots).map(|_| (0..incidents).map(|_| 60.0 * (1 + random.below(4)) as f64).collect()).collect();
    let demands: Vec<Demand> = (0..1 + random.below(3) as usize)
        .map(|_| {
            let incident = random.below(incidents as u64) as usize;
            let offers: Vec<(usize, f64)> = (0..supplies.len())
                .filter(|_| random.below(3) > 0)
                .map(|s| (s, times[supplies[s].source][incident]))
                .collect();
            demand(incident, random.below(2) as i32, 1 + random.below(5) as i64, &offers)
        })
        .collect();
    (supplies, demands)
}

fn flows_of(demands: &[Demand], fills: &[Fill]) -> Vec<Vec<i64>> {
    demands
        .iter()
        .zip(fills)
        .map(|(d, f)| d.offers.iter().map(|o| f.from.iter().filter(|x| x.0 == o.supply).map(|x| x.1).sum()).collect())
        .collect()
}

#[test]
fn equals_brute_force_on_random_cases() {
    let mut random = Random(41);
    let (mut cases, mut single) = (0, 0);
    while cases < 400 {
        let (supplies, demands) = random_case(&mut random);
        let arcs: usize = demands.iter().map(|d| d.offers.len()).sum();
        if arcs > 7 {
            continue;
        }
        cases += 1;
        let fills = allocate(&supplies, &demands);
        let flows = flows_of(&demands, &fills);
        // Feasible: no supply over-used, no demand over-met.
        for (s, supply) in supplies.iter().enumerate() {
            let used: i64 = fills.iter().flat_map(|f| &f.from).filter(|x| x.0 == s).map(|x| x.1).sum();
            assert!(used <= supply.amount, "supply {s} over-used in {supplies:?} {demands:?}");
        }
        for (d, f) in demands.iter().zip(&fills) {
            assert!(f.met <= d.quantity);
        }
        let exact_depots = demands.len() == 1;
        single += usize::from(exact_depots);
        assert_eq!(
            key(&supplies, &demands, &flows, exact_depots),
            brute_force(&supplies, &demands, exact_depots),
            "case {cases}: {supplies:?} {demands:?} → {fills:?}"
        );
    }
    assert!(single > 50, "only {single} single-demand cases");
}

/// A larger random case: several incidents, overlapping demands, travel times with some ties.
fn medium_case(random: &mut Random) -> (Vec<Supply>, Vec<Demand>) {
    let depots = 2 + random.below(6) as usize;
    let supplies: Vec<Supply> = (0..depots * 2).map(|i| supply(i % depots, random.below(6) as i64)).collect();
    let incidents = 1 + random.below(3) as usize;
    let times: Vec<Vec<f64>> =
        (0..depots).map(|_| (0..incidents).map(|_| 10.0 * (1 + random.below(30)) as f64).collect()).collect();
    let demands = (0..2 + random.below(5) as usize)
        .map(|_| {
            let incident = random.below(incidents as u64) as usize;
            let offers: Vec<(usize, f64)> = (0..supplies.len())
                .filter(|_| random.below(2) > 0)
                .map(|s| (s, times[supplies[s].source][incident]))
                .collect();
            demand(incident, random.below(3) as i32, 1 + random.below(8) as i64, &offers)
        })
        .collect();
    (supplies, demands)
}

/// The same objective (steps 1 and 2) by a chain of linear programs: per demand in service order,
/// the most that can be met, then the earliest time it can be met by, each fixed for the next;
/// then the least total travel time. Returns (met, time) per demand in service order and the cost.
fn by_linear_programs(supplies: &[Supply], demands: &[Demand]) -> (Vec<(i64, f64)>, f64) {
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    let mut order: Vec<usize> = (0..demands.len()).collect();
    order.sort_by_key(|&k| (Reverse(demands[k].priority), k));
    // Per demand: Some((met, time limit)) once fixed; the one being decided gets a trial limit.
    let mut fixed: Vec<Option<(i64, f64)>> = vec![None; demands.len()];
    let solve =
        |fixed: &[Option<(i64, f64)>], trial: Option<(usize, f64)>, objective: &dyn Fn(usize, &Offer) -> f64| {
            let mut lp = Problem::new(OptimizationDirection::Maximize);
            let mut vars = Vec::new();
            for (k, d) in demands.iter().enumerate() {
                let limit = match (fixed[k], trial) {
                    (Some((_, t)), _) => t,
                    (None, Some((j, t))) if j == k => t,
                    (None, _) if trial.is_some_and(|(j, _)| j != k) => -1.0,
                    _ => f64::INFINITY,
                };
                for o in &d.offers {
                    let upper = if o.seconds <= limit { f64::INFINITY } else { 0.0 };
                    vars.push((k, o.supply, lp.add_var(objective(k, o), (0.0, upper))));
                }
            }
            for (s, supply) in supplies.iter().enumerate() {
                let row: Vec<_> = vars.iter().filter(|v| v.1 == s).map(|v| (v.2, 1.0)).collect();
                lp.add_constraint(row.as_slice(), ComparisonOp::Le, supply.amount as f64);
            }
            for (k, d) in demands.iter().enumerate() {
                let row: Vec<_> = vars.iter().filter(|v| v.0 == k).map(|v| (v.2, 1.0)).collect();
                match fixed[k] {
                    Some((met, _)) => lp.add_constraint(row.as_slice(), ComparisonOp::Eq, met as f64),
                    None => lp.add_constraint(row.as_slice(), ComparisonOp::Le, d.quantity as f64),
                }
            }
            lp.solve().unwrap().into_solution().unwrap().objective()
        };
    let mut result = Vec::new();
    for &k in &order {
        let only_k = |j: usize, _: &Offer| if j == k { 1.0 } else { 0.0 };
        let most = solve(&fixed, Some((k, f64::INFINITY)), &only_k).round() as i64;
        let mut times: Vec<f64> = demands[k].offers.iter().map(|o| o.seconds).collect();
        times.sort_by(f64::total_cmp);
        let time = if most == 0 {
            -1.0
        } else {
            *times.iter().find(|&&t| solve(&fixed, Some((k, t)), &only_k).round() as i64 >= most).unwrap()
        };
        fixed[k] = Some((most, time));
        result.push((most, time));
    }
    let cost = -solve(&fixed, None, &|_, o: &Offer| -(cost(o.seconds) as f64));
    (result, cost)
}

#[test]
fn equals_a_chain_of_linear_programs_on_larger_random_cases() {
    let mut random = Random(7);
    for case in 0..150 {
        let (supplies, demands) = medium_case(&mut random);
        let fills = allocate(&supplies, &demands);
        let mut order: Vec<usize> = (0..demands.len()).collect();
        order.sort_by_key(|&k| (Reverse(demands[k].priority), k));
        let ours: Vec<(i64, f64)> = order.iter().map(|&k| (fills[k].met, fills[k].seconds.unwrap_or(-1.0))).collect();
        let cost_ours: i64 = fills.iter().flat_map(|f| &f.from).map(|f| f.1 * cost(f.2)).sum();
        let (reference, cost_lp) = by_linear_programs(&supplies, &demands);
        assert_eq!(ours, reference, "case {case}: {supplies:?} {demands:?}");
        assert!(
            (cost_ours as f64 - cost_lp).abs() < 1e-6 * cost_lp.max(1.0),
            "case {case}: cost {cost_ours} vs {cost_lp}"
        );
    }
}
